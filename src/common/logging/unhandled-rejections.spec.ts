import { spawnSync } from 'node:child_process';

describe('logUnhandledRejections', () => {
  it('a rejection nothing handles is logged through the given logger and the process goes on', () => {
    const script = `
      const { logUnhandledRejections } = require('./src/common/logging/unhandled-rejections');
      logUnhandledRejections({ error: (obj, msg) => process.stdout.write(JSON.stringify({ msg, err: obj.err.message }) + '\\n'), log() {}, warn() {} });
      Promise.reject(new Error('background task failed'));
      setTimeout(() => process.stdout.write('still running\\n'), 50);
    `;
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
    expect(child.status).toBe(0);
    const lines = child.stdout.trim().split('\n');
    expect(JSON.parse(lines[0])).toEqual({ msg: 'unhandled promise rejection', err: 'background task failed' });
    expect(lines[1]).toBe('still running');
  });
});
