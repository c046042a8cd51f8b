import { StdoutLines } from './stdout-lines';

describe('StdoutLines', () => {
  let writes: string[];
  let original: typeof process.stdout.write;

  beforeEach(() => {
    writes = [];
    original = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      writes.push(chunk);
      return true;
    }) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = original;
  });

  it('joins the lines of one event-loop turn into one stdout write, in order, once the turn ends', async () => {
    const sink = new StdoutLines();
    sink.write('{"a":1}\n');
    sink.write('{"b":2}\n');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['{"a":1}\n{"b":2}\n']);
    sink.write('{"c":3}\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['{"a":1}\n{"b":2}\n', '{"c":3}\n']);
  });

  it('flush() writes what is pending at once (as on exit)', () => {
    const sink = new StdoutLines();
    sink.write('{"last":true}\n');
    sink.flush();
    expect(writes).toEqual(['{"last":true}\n']);
    sink.flush();
    expect(writes).toHaveLength(1);
  });
});
