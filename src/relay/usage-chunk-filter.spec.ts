import { UsageChunkFilter } from './usage-chunk-filter';

const delta = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
const usage = 'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';
const done = 'data: [DONE]\n\n';

describe('UsageChunkFilter', () => {
  it('drops the usage-only event and keeps every other event in order', () => {
    const f = new UsageChunkFilter();
    expect(f.push(Buffer.from(delta + usage + done)) + f.flush()).toBe(delta + done);
  });

  it('forwards complete events at once and holds only a partial one, across odd chunk boundaries', () => {
    const f = new UsageChunkFilter();
    const whole = Buffer.from(delta + usage + done);
    let out = '';
    out += f.push(whole.subarray(0, 10));
    expect(out).toBe('');
    out += f.push(whole.subarray(10, delta.length + 3));
    expect(out).toBe(delta);
    for (let i = delta.length + 3; i < whole.length; i += 7) out += f.push(whole.subarray(i, Math.min(i + 7, whole.length)));
    out += f.flush();
    expect(out).toBe(delta + done);
  });

  it('keeps a chunk that carries content and usage together, and multi-byte text split mid-character', () => {
    const both = 'data: {"choices":[{"delta":{"content":"é"}}],"usage":{"total_tokens":3}}\n\n';
    const f = new UsageChunkFilter();
    const bytes = Buffer.from(both);
    const cut = bytes.indexOf(0xc3) + 1;
    expect(f.push(bytes.subarray(0, cut)) + f.push(bytes.subarray(cut)) + f.flush()).toBe(both);
  });
});
