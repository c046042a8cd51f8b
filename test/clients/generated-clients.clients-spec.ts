import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { STUB_REPLY } from '../support/stub-upstream';
import { BuiltServer, FLOW_MODEL, startBuiltServer } from './support/built-server';
import type { FlowResult } from './flows/flow-io';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const FLOWS = join(__dirname, 'flows');
const GENERATED = join(FLOWS, 'generated');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

/** Runs a tool of node_modules/.bin; a failure carries its output. */
async function tool(name: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(bin(name), args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${name} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Runs a compiled flow against `server` (asynchronously: the stub upstream answers from this process). */
async function runFlow(server: BuiltServer, flow: string, user: string): Promise<FlowResult> {
  try {
    const { stdout } = await run(process.execPath, [join(GENERATED, 'out', `${flow}.flow.js`)], {
      env: { ...process.env, TOLLGATE_URL: server.url, TOLLGATE_ROOT_TOKEN: server.root.token, FLOW_MODEL, FLOW_USER: user },
    });
    return JSON.parse(stdout) as FlowResult;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`the ${flow} flow failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/**
 * Clients generated from the served `/docs-json` at test time (into the git-ignored
 * test/clients/flows/generated), so a document that drifts breaks them here: openapi-typescript's
 * types used through openapi-fetch, and @hey-api/openapi-ts's SDK. Both flows compile under strict
 * tsc with no cast and no `any`, then run the same steps against the built server and a stub upstream.
 */
describe('clients generated from /docs-json', () => {
  let server: BuiltServer;

  beforeAll(async () => {
    server = await startBuiltServer();
    rmSync(GENERATED, { recursive: true, force: true });
    const document = `${server.url}/docs-json`;
    await tool('openapi-typescript', [document, '-o', join(GENERATED, 'openapi-typescript/schema.ts')]);
    await tool('openapi-ts', ['-i', document, '-o', join(GENERATED, 'hey-api'), '-c', '@hey-api/client-fetch', '-s']);
  });
  afterAll(async () => server?.close());

  it('the flows use the generated types as they are: no cast and no any', () => {
    for (const file of ['openapi-fetch.flow.ts', 'hey-api.flow.ts', 'flow-io.ts']) {
      const code = readFileSync(join(FLOWS, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect({ file, casts: code.match(/\bas\s+(?!const\b)[\w{[(<]/g) ?? [], any: code.match(/\bany\b/g) ?? [] }).toEqual({ file, casts: [], any: [] });
    }
  });

  it('both clients and the flows compile with strict tsc (noImplicitAny, noUncheckedIndexedAccess)', async () => {
    await tool('tsc', ['-p', join(FLOWS, 'tsconfig.json')]);
  });

  it.each([['openapi-fetch'], ['hey-api']])(
    'the %s flow creates a user and a token, lists and reveals it, chats through the relay and reads the usage',
    async (flow) => {
      const result = await runFlow(server, flow, `flow-${flow}`);
      expect(result.revealedKeyLength).toBe(48);
      expect(result.listedTokenNames).toEqual(['flow token']);
      expect(result.tokenUsageName).toBe('flow token');
      expect(result.models).toContain(FLOW_MODEL);
      expect({ content: result.chatContent, model: result.chatModel, totalTokens: result.chatTotalTokens }).toEqual({
        content: STUB_REPLY,
        model: FLOW_MODEL,
        totalTokens: 55,
      });
      expect(result.unknownModel).toEqual({ status: 404, code: 'model_not_found', type: 'not_found_error' });
      expect(result.usageLogs).toEqual(
        expect.arrayContaining([
          { model: FLOW_MODEL, tokenId: result.tokenId, totalTokens: 55, statusCode: 200 },
          { model: 'no-such-model', tokenId: result.tokenId, totalTokens: 0, statusCode: 404 },
        ]),
      );
      expect(result.myUsageTotalUnit).toBe(55);
    },
  );
});
