import { usageOfJson, usageOfStream } from './usage-extract';

describe('usage extraction', () => {
  it('takes reported usage from a JSON answer, else counts the reply with the tokenizer', () => {
    expect(usageOfJson({ usage: { prompt_tokens: 5, completion_tokens: 50 } }, 9)).toEqual({ promptTokens: 5, completionTokens: 50, reported: true });
    const counted = usageOfJson({ choices: [{ message: { content: 'hello world' } }] }, 9);
    expect(counted).toEqual({ promptTokens: 9, completionTokens: 2, reported: false });
  });

  it('takes the usage event of a stream, else counts the deltas; tolerates a cut last event', () => {
    const withUsage =
      'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\ndata: [DONE]\n\n';
    expect(usageOfStream(withUsage, 1)).toEqual({ promptTokens: 7, completionTokens: 3, reported: true });
    const without = 'data: {"choices":[{"delta":{"content":"hello"}}]}\n\ndata: {"choices":[{"delta":{"content":" world"}}]}\n\ndata: {"choi';
    expect(usageOfStream(without, 4)).toEqual({ promptTokens: 4, completionTokens: 2, reported: false });
    expect(usageOfStream('data: {"usage":null,"choices":[{"delta":{"content":"x"}}]}\n\n', 4).reported).toBe(false);
  });
});
