import { chooseLogFormat, logDestination } from './log-destination';

describe('chooseLogFormat', () => {
  it('is pretty only in development on a terminal, unless LOG_FORMAT says', () => {
    expect(chooseLogFormat({ NODE_ENV: 'development' }, true)).toBe('pretty');
    expect(chooseLogFormat({ NODE_ENV: 'development' }, false)).toBe('json');
    expect(chooseLogFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(chooseLogFormat({ NODE_ENV: 'test' }, true)).toBe('json');
    expect(chooseLogFormat({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(chooseLogFormat({ NODE_ENV: 'development', LOG_FORMAT: 'json' }, true)).toBe('json');
  });
});

describe('logDestination', () => {
  let writes: string[];
  let original: typeof process.stdout.write;
  beforeEach(() => {
    writes = [];
    original = process.stdout.write;
    process.stdout.write = ((chunk: string) => writes.push(chunk) > 0) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = original;
  });

  const line = `${JSON.stringify({ level: 30, time: 0, pid: 1, req: { method: 'GET', url: '/1/me' }, res: { statusCode: 200 }, responseTime: 4, msg: 'request completed' })}\n`;

  it('json writes the line as it is', async () => {
    logDestination('json').write(line);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.join('')).toBe(line);
  });

  it('pretty renders a request as one readable line', async () => {
    logDestination('pretty').write(line);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.join('')).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/1\/me 200 4 ms – request completed\n$/);
  });
});
