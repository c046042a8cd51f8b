import { createServer } from 'node:net';
import { assertPortFree, describeListenAddress } from './listen-address';

describe('assertPortFree', () => {
  it('passes for a free port and refuses a taken one, naming it', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(assertPortFree(port)).rejects.toThrow(`PORT ${port} is already in use (EADDRINUSE)`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    await expect(assertPortFree(port)).resolves.toBeUndefined();
  });
});

describe('describeListenAddress', () => {
  it('names the URL, the port, the interfaces and Swagger UI', () => {
    expect(describeListenAddress({ address: '::', family: 'IPv6', port: 3000 })).toBe(
      'Listening on http://localhost:3000 (port 3000, all interfaces); Swagger UI at http://localhost:3000/docs',
    );
    expect(describeListenAddress({ address: '127.0.0.1', family: 'IPv4', port: 8080 })).toBe(
      'Listening on http://127.0.0.1:8080 (port 8080, 127.0.0.1); Swagger UI at http://127.0.0.1:8080/docs',
    );
  });
});
