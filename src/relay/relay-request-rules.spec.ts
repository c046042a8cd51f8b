import { CodedHttpException } from '../common/http/http-error';
import { assertRelayRequest } from './relay-request-rules';

const CHAT = { model: 'gpt-4o', messages: [] };

function refusal(operation: Parameters<typeof assertRelayRequest>[0], body: unknown): string | undefined {
  try {
    assertRelayRequest(operation, body);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(CodedHttpException);
    expect((error as CodedHttpException).getStatus()).toBe(400);
    return (error as CodedHttpException).message;
  }
}

describe('assertRelayRequest', () => {
  it('passes a well-formed request of each operation, nulls meaning "default"', () => {
    expect(refusal('chat/completions', { ...CHAT, n: 2, max_tokens: 0, max_completion_tokens: 1_000_000, stream: true, stream_options: { include_usage: true } })).toBeUndefined();
    expect(refusal('chat/completions', { ...CHAT, n: null, max_tokens: null, stream: null, stream_options: null })).toBeUndefined();
    expect(refusal('completions', { model: 'm', prompt: [1, 2, 3], n: 128 })).toBeUndefined();
    expect(refusal('embeddings', { model: 'm', input: 'x' })).toBeUndefined();
  });

  it('refuses a body of the wrong shape, naming what is missing', () => {
    expect(refusal('chat/completions', [])).toMatch(/JSON object/);
    expect(refusal('chat/completions', null)).toMatch(/JSON object/);
    expect(refusal('chat/completions', { model: ' ', messages: [] })).toBe('model is required');
    expect(refusal('chat/completions', { model: 'm', messages: {} })).toBe('messages must be an array');
    expect(refusal('completions', { model: 'm' })).toBe('prompt is required');
    expect(refusal('embeddings', { model: 'm' })).toBe('input is required');
    expect(refusal('chat/completions', { ...CHAT, stream: 1 })).toBe('stream must be a boolean');
    expect(refusal('chat/completions', { ...CHAT, stream_options: 'x' })).toBe('stream_options must be an object');
  });

  it.each([
    ['n', 0],
    ['n', 129],
    ['n', 1e308],
    ['n', 1.5],
    ['max_tokens', -1],
    ['max_tokens', 1_000_001],
    ['max_tokens', 2 ** 60],
    ['max_tokens', Number.NaN],
    ['max_tokens', '10'],
    ['max_completion_tokens', 1e308],
    ['max_completion_tokens', true],
  ])('refuses %s = %p, naming the field and its range', (field, value) => {
    expect(refusal('chat/completions', { ...CHAT, [field]: value })).toMatch(new RegExp(`^${field} must be an integer from \\d+ to \\d+$`));
  });
});
