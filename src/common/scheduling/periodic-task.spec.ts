import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  afterEach(() => jest.useRealTimers());

  it('joins a run already going instead of starting a second', async () => {
    const task = new PeriodicTask<number>('test task', { error: jest.fn() });
    let finish!: (value: number) => void;
    const run = jest.fn(() => new Promise<number>((resolve) => (finish = resolve)));
    const first = task.runOnce(run);
    const second = task.runOnce(run);
    finish(7);
    await expect(Promise.all([first, second])).resolves.toEqual([7, 7]);
    expect(run).toHaveBeenCalledTimes(1);
    const third = task.runOnce(run);
    expect(run).toHaveBeenCalledTimes(2);
    finish(8);
    await expect(third).resolves.toBe(8);
  });

  it('logs a failed timer run and runs again at the next tick; stop ends the ticks', async () => {
    jest.useFakeTimers();
    const logger = { error: jest.fn() };
    const task = new PeriodicTask<number>('test task', logger);
    const run = jest.fn().mockRejectedValueOnce(new Error('database gone')).mockResolvedValue(1);
    task.start(1000, run);
    await jest.advanceTimersByTimeAsync(1000);
    expect(logger.error).toHaveBeenCalledWith('test task failed: database gone');
    await jest.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(2);
    task.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
