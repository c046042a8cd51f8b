import { retryOnLockConflict } from './mysql-text-connection';

const failing = (errno: number, times: number) => {
  let calls = 0;
  const write = async () => {
    calls++;
    if (calls <= times) throw Object.assign(new Error(`errno ${errno}`), { errno });
  };
  return { write, calls: () => calls };
};

describe('retryOnLockConflict (MySQL deadlock and lock wait timeout)', () => {
  it('runs the write again after a deadlock (1213) or a lock wait timeout (1205) until it succeeds', async () => {
    const deadlock = failing(1213, 2);
    await expect(retryOnLockConflict(deadlock.write)).resolves.toBeUndefined();
    expect(deadlock.calls()).toBe(3);
    const timeout = failing(1205, 1);
    await expect(retryOnLockConflict(timeout.write)).resolves.toBeUndefined();
    expect(timeout.calls()).toBe(2);
  });

  it('gives up after 4 attempts with the last error', async () => {
    const always = failing(1213, Infinity);
    await expect(retryOnLockConflict(always.write)).rejects.toThrow('errno 1213');
    expect(always.calls()).toBe(4);
  });

  it('throws any other error at once, without retrying', async () => {
    const broken = failing(1146, 1);
    await expect(retryOnLockConflict(broken.write)).rejects.toThrow('errno 1146');
    expect(broken.calls()).toBe(1);
  });
});
