import { usageOfJson, usageOfStream } from './usage-extract';

describe('usage extraction', () => {
  it('takes reported usage from a JSON answer, else counts the reply with the tokenizer', () => {
    const none = { cachedTokens: 0, reasoningTokens: 0 };
    expect(usageOfJson({ usage: { prompt_tokens: 5, completion_tokens: 50 } }, () => 9)).toEqual({ promptTokens: 5, completionTokens: 50, ...none, reported: true });
    const counted = usageOfJson({ choices: [{ message: { content: 'hello world' } }] }, () => 9);
    expect(counted).toEqual({ promptTokens: 9, completionTokens: 2, ...none, reported: false });
  });

  it('takes the usage event of a stream, else counts the deltas; tolerates a cut last event', () => {
    const withUsage =
      'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\ndata: [DONE]\n\n';
    expect(usageOfStream(withUsage, () => 1)).toEqual({ promptTokens: 7, completionTokens: 3, cachedTokens: 0, reasoningTokens: 0, reported: true });
    const without = 'data: {"choices":[{"delta":{"content":"hello"}}]}\n\ndata: {"choices":[{"delta":{"content":" world"}}]}\n\ndata: {"choi';
    expect(usageOfStream(without, () => 4)).toEqual({ promptTokens: 4, completionTokens: 2, cachedTokens: 0, reasoningTokens: 0, reported: false });
    expect(usageOfStream('data: {"usage":null,"choices":[{"delta":{"content":"x"}}]}\n\n', () => 4).reported).toBe(false);
  });

  it('reads cached and reasoning tokens, in the chat and the Responses API shapes', () => {
    const chat = { prompt_tokens: 100, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 30 } };
    expect(usageOfJson({ usage: chat }, () => 0)).toEqual({ promptTokens: 100, completionTokens: 40, cachedTokens: 64, reasoningTokens: 30, reported: true });
    const responses = { input_tokens: 100, output_tokens: 40, input_tokens_details: { cached_tokens: 64 }, output_tokens_details: { reasoning_tokens: 30 } };
    const stream = `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { usage: responses } })}\n\n`;
    expect(usageOfStream(stream, () => 0)).toEqual({ promptTokens: 100, completionTokens: 40, cachedTokens: 64, reasoningTokens: 30, reported: true });
  });

  it('asks for the prompt count only when the upstream reported no usage', () => {
    const countPrompt = jest.fn(() => 9);
    usageOfJson({ usage: { prompt_tokens: 5, completion_tokens: 1 } }, countPrompt);
    expect(countPrompt).not.toHaveBeenCalled();
  });
});
