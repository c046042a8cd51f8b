import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';

/**
 * Resolves when `port` can be listened on (all interfaces, as `app.listen(port)` does), so that a
 * taken port stops the start before the app initializes and logs that it started. Port 0 (any free
 * port) always passes.
 * @throws Error `PORT 3000 is already in use (EADDRINUSE)`, or with the OS's reason (EACCES…)
 */
export async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `PORT ${port} is already in use (EADDRINUSE)` : `PORT ${port} cannot be listened on: ${error.message}`)),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

/**
 * The one start line: where the server listens and where Swagger UI is, e.g.
 * `Listening on http://localhost:3000 (port 3000, all interfaces); Swagger UI at http://localhost:3000/docs`.
 * A wildcard bind (`::`, `0.0.0.0`) is shown as `localhost`, a specific address as itself.
 */
export function describeListenAddress(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return `Listening on ${address ?? 'an unknown address'}; Swagger UI at /docs`;
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return `Listening on ${url} (port ${address.port}, ${wildcard ? 'all interfaces' : address.address}); Swagger UI at ${url}/docs`;
}
