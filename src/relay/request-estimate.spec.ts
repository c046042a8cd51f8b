import { countChatPrompt, countResponsesInput } from './token-counter';
import { completionTokenBound, DEFAULT_IMAGE_TOKENS, imageTokenBound, promptTokenBound } from './request-estimate';

const prose = 'Grüße, 你好! The quick brown fox jumps over the lazy dog. '.repeat(50);

describe('request estimates (upper bounds, no tokenizer)', () => {
  it('bound a chat prompt above what the tokenizer counts, for any text', () => {
    const body = { messages: [{ role: 'system', content: prose }, { role: 'user', name: 'ann', content: [{ type: 'text', text: prose }] }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] };
    expect(promptTokenBound('chat/completions', body, 'gpt-4o')).toBeGreaterThanOrEqual(countChatPrompt(body));
  });

  it('bound a Responses API input above what the tokenizer counts', () => {
    const body = { instructions: 'Be brief.', input: [{ role: 'user', content: [{ type: 'input_text', text: prose }] }, { role: 'assistant', content: prose }] };
    expect(promptTokenBound('responses', body, 'gpt-4o')).toBeGreaterThanOrEqual(countResponsesInput(body));
    expect(promptTokenBound('responses', { input: prose }, 'gpt-4o')).toBeGreaterThanOrEqual(countResponsesInput({ input: prose }));
  });

  it('count an image at its model family maximum, never its URL or data bytes', () => {
    const image = (url: string) => ({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] });
    const short = promptTokenBound('chat/completions', image('https://x/a.png'), 'gpt-4o');
    expect(promptTokenBound('chat/completions', image(`data:image/png;base64,${'A'.repeat(500_000)}`), 'gpt-4o')).toBe(short);
    expect(imageTokenBound('gpt-4o-2024-11-20')).toBe(DEFAULT_IMAGE_TOKENS);
    expect(imageTokenBound('gpt-4o-mini')).toBe(2_833 + 5_667 * 8);
    expect(promptTokenBound('responses', { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/a.png' }] }] }, 'gpt-4o-mini')).toBeGreaterThan(48_000);
  });

  it('take the completion from max_completion_tokens, max_tokens or max_output_tokens, else the default, times n', () => {
    expect(completionTokenBound('chat/completions', { max_completion_tokens: 10, max_tokens: 99 }, 512)).toBe(10);
    expect(completionTokenBound('chat/completions', { max_tokens: 20, n: 3 }, 512)).toBe(60);
    expect(completionTokenBound('responses', { max_output_tokens: 30 }, 512)).toBe(30);
    expect(completionTokenBound('completions', { best_of: 4, n: 2 }, 100)).toBe(400);
    expect(completionTokenBound('chat/completions', {}, 512)).toBe(512);
    expect(completionTokenBound('embeddings', { max_tokens: 5 }, 512)).toBe(0);
  });
});

describe('withUsageAsked', () => {
  const { withUsageAsked } = jest.requireActual('./relay.service') as typeof import('./relay.service');

  it('asks for usage in front of the bytes as received, or merges it into stream_options', () => {
    const body = { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const spliced = withUsageAsked(body, Buffer.from(` \n${JSON.stringify(body)}`));
    expect(JSON.parse(spliced.toString())).toEqual({ stream_options: { include_usage: true }, ...body });
    const own = { ...body, stream_options: { include_obfuscation: false } };
    expect(JSON.parse(withUsageAsked(own, Buffer.from(JSON.stringify(own))).toString())).toEqual({ ...body, stream_options: { include_obfuscation: false, include_usage: true } });
  });
});
