import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { ChildServer, startChildServer } from '../../support/child-server';
import { StubUpstream } from '../../support/stub-upstream';

/** The model every client flow chats with; the stub upstream serves it and it is priced. */
export const FLOW_MODEL = 'gpt-3.5-turbo';

/** A built Tollgate (`dist/main.js`) on a fresh SQLite file, with root made and an upstream key on the stub. */
export interface BuiltServer {
  url: string;
  http: ReturnType<typeof request>;
  /** Root's id and clear access token. */
  root: { id: number; token: string };
  stub: StubUpstream;
  close(): Promise<void>;
}

/**
 * Starts what `npm run build` made, as `npm start` runs it, on its own SQLite file: the document
 * it serves is the one clients are generated from (with the Swagger CLI plugin's metadata, which
 * the Jest-compiled app lacks). Root is initialised and, unless `seed` is false, an upstream key
 * on the stub upstream (priority 10, so it is tried first) serves every model.
 * @throws when `dist/main.js` is missing (run `npm run build`) or the server does not start
 */
export async function startBuiltServer(options: { seed?: boolean } = {}): Promise<BuiltServer> {
  if (!existsSync(resolve(__dirname, '../../../dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  const stub = await StubUpstream.start();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-clients-'));
  let server: ChildServer | undefined;
  try {
    server = await startChildServer(
      { DATABASE_URL: `sqlite:${join(dir, 'tollgate.sqlite')}`, TOLLGATE_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn' },
      60_000,
      'built',
    );
    const http = request(server.url);
    const init = await http.post('/1/users/init').expect(200);
    const root = { id: init.body.id as number, token: init.body.token as string };
    if (options.seed !== false) {
      const asRoot = { Authorization: `Bearer ${root.token}` };
      await http.post('/1/keys').set(asRoot).send({ key: `sk-stub-${randomBytes(8).toString('hex')}`, name: 'stub', endpoint: stub.baseUrl, priority: 10 }).expect(200);
      await http.put('/1/prices').set(asRoot).send({ prices: [{ model: FLOW_MODEL, input: '2', output: '2' }] }).expect(200);
    }
    const running = server;
    return {
      url: running.url,
      http,
      root,
      stub,
      async close() {
        await running.stop();
        await stub.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.kill();
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
