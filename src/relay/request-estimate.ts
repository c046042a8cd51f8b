import type { RelayOperation } from './upstream.client';

/**
 * Most tokens one image can cost, by model family (OpenAI's published image pricing: high detail
 * at the largest size, 2048 x 768 after scaling, 8 tiles; patch-based models at their 1,536-patch
 * cap times the model's multiplier). Longest matching prefix wins; other models use
 * {@link DEFAULT_IMAGE_TOKENS}.
 */
export const IMAGE_TOKENS: [prefix: string, tokens: number][] = [
  ['gpt-4o-mini', 2_833 + 5_667 * 8],
  ['gpt-4.1-nano', Math.ceil(1_536 * 2.46)],
  ['gpt-4.1-mini', Math.ceil(1_536 * 1.62)],
  ['o4-mini', Math.ceil(1_536 * 1.72)],
  ['gpt-5-nano', Math.ceil(1_536 * 2.46)],
  ['gpt-5-mini', Math.ceil(1_536 * 1.62)],
  ['o1', 75 + 150 * 8],
  ['o3', 75 + 150 * 8],
  ['computer-use', 65 + 129 * 8],
];
/** Tokens of one image for a model not in {@link IMAGE_TOKENS} (GPT-4o's 85 + 170 per tile, 8 tiles). */
export const DEFAULT_IMAGE_TOKENS = 85 + 170 * 8;

/** Most tokens one image costs on `model` (see {@link IMAGE_TOKENS}). */
export function imageTokenBound(model: string): number {
  let best: [string, number] | undefined;
  for (const entry of IMAGE_TOKENS) if (model.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best ? best[1] : DEFAULT_IMAGE_TOKENS;
}

/** UTF-8 bytes of a string, or of a value's JSON text (0 for undefined). */
function bytesOf(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

/** Bytes of a message's text content, and how many images it holds. */
function contentBound(content: unknown): { bytes: number; images: number } {
  if (typeof content === 'string') return { bytes: bytesOf(content), images: 0 };
  let bytes = 0;
  let images = 0;
  if (Array.isArray(content)) {
    for (const part of content) {
      if (!part || typeof part !== 'object') continue;
      const p = part as { type?: unknown; text?: unknown };
      if (p.type === 'image_url' || p.type === 'input_image' || p.type === 'image') images++;
      else if (typeof p.text === 'string') bytes += bytesOf(p.text);
      else bytes += bytesOf(part);
    }
  }
  return { bytes, images };
}

/**
 * An upper bound of a request's prompt tokens, counted without a tokenizer: a byte-level BPE
 * token (OpenAI's cl100k and o200k encodings) covers at least one byte of UTF-8, so the bytes of
 * every text the model reads bound its tokens; each message adds OpenAI's 4 framing tokens, the
 * reply's priming 3, and each image its model's maximum ({@link imageTokenBound}). Image bytes
 * (URLs, base64 data) are not counted as text.
 */
export function promptTokenBound(operation: RelayOperation, body: Record<string, unknown>, model: string): number {
  if (operation === 'chat/completions') {
    let total = 3;
    let images = 0;
    for (const m of Array.isArray(body.messages) ? body.messages : []) {
      if (!m || typeof m !== 'object') continue;
      const msg = m as Record<string, unknown>;
      const content = contentBound(msg.content);
      images += content.images;
      total += 4 + content.bytes + bytesOf(msg.role) + bytesOf(msg.name) + bytesOf(msg.tool_calls) + bytesOf(msg.function_call) + bytesOf(msg.tool_call_id);
    }
    total += bytesOf(body.tools) + bytesOf(body.functions) + bytesOf(body.tool_choice) + bytesOf(body.response_format);
    return total + images * imageTokenBound(model);
  }
  if (operation === 'responses') {
    // the Responses API: `instructions`, then `input` as a string or a list of items (messages with
    // text and image parts, function call outputs, …)
    let total = 3 + bytesOf(body.instructions) + bytesOf(body.tools) + bytesOf(body.tool_choice) + bytesOf(body.text);
    let images = 0;
    if (typeof body.input === 'string') total += bytesOf(body.input);
    else if (Array.isArray(body.input)) {
      for (const item of body.input) {
        if (!item || typeof item !== 'object') continue;
        const { content, ...rest } = item as Record<string, unknown>;
        const part = contentBound(content);
        images += part.images;
        total += 4 + part.bytes + bytesOf(rest);
      }
    }
    return total + images * imageTokenBound(model);
  }
  return inputBound(operation === 'completions' ? body.prompt : body.input);
}

/** Bound of a completions `prompt` or embeddings `input`: string bytes, or the length of token arrays. */
function inputBound(input: unknown): number {
  if (typeof input === 'string') return bytesOf(input);
  if (Array.isArray(input)) {
    if (input.every((x) => typeof x === 'number')) return input.length;
    return input.reduce((sum: number, x) => sum + inputBound(x), 0);
  }
  return 0;
}

/**
 * Completion tokens a request may produce as far as the relay can know: `max_completion_tokens`,
 * else `max_tokens` (`max_output_tokens` for the Responses API), else `defaultMax` (the upstream may write more then; the excess is charged
 * when it settles), times `n` (and `best_of` for completions). Embeddings produce none.
 * The fields are already checked to be integers in range (relay-request-rules.ts).
 */
export function completionTokenBound(operation: RelayOperation, body: Record<string, unknown>, defaultMax: number): number {
  if (operation === 'embeddings') return 0;
  const limit = [body.max_completion_tokens, body.max_tokens, body.max_output_tokens].find((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0) as number | undefined;
  const n = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? body.n : 1;
  const bestOf = operation === 'completions' && typeof body.best_of === 'number' && Number.isInteger(body.best_of) && body.best_of > n ? body.best_of : n;
  return (limit ?? defaultMax) * bestOf;
}
