import { JsonBodyParser, OFF_THREAD_BYTES } from './json-body';

describe('JsonBodyParser', () => {
  const parser = new JsonBodyParser();
  afterAll(() => parser.close());

  it('parses a small body at once and a large one off the thread, to the same value', async () => {
    const small = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    expect(parser.parse(Buffer.from(JSON.stringify(small)))).toEqual(small);
    const large = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(OFF_THREAD_BYTES + 10) + ' 你好' }] };
    const pending = parser.parse(Buffer.from(JSON.stringify(large)));
    expect(pending).toBeInstanceOf(Promise); // the event loop did not parse it
    await expect(pending).resolves.toEqual(large);
  });

  it('refuses malformed JSON with a SyntaxError either way', async () => {
    expect(() => parser.parse(Buffer.from('{"a":'))).toThrow(SyntaxError);
    await expect(parser.parse(Buffer.from(`{"a":"${'x'.repeat(OFF_THREAD_BYTES)}"`))).rejects.toBeInstanceOf(SyntaxError);
  });
});
