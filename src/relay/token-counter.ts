import { countTokens } from 'gpt-tokenizer';

/** Tokens of a text with the o200k_base encoding (gpt-tokenizer); a length/4 guess if the tokenizer refuses it. */
export function countText(text: string): number {
  if (!text) return 0;
  try {
    return countTokens(text);
  } catch {
    return Math.ceil(text.length / 4);
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}

/** Image parts, counted at a flat 85 tokens each (OpenAI's low-detail figure) when an upstream reports no usage. */
function imageParts(content: unknown): number {
  return Array.isArray(content) ? content.filter((p) => p && typeof p === 'object' && ['image_url', 'input_image'].includes(String((p as { type?: string }).type))).length : 0;
}

/**
 * Prompt tokens of a chat request as OpenAI counts them: 3 per message, its role, name and
 * content, plus 3 for the reply's priming; tool definitions counted from their JSON.
 */
export function countChatPrompt(body: { messages?: unknown; tools?: unknown; functions?: unknown }): number {
  let total = 3;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages) {
    if (!m || typeof m !== 'object') continue;
    const msg = m as { role?: unknown; name?: unknown; content?: unknown; tool_calls?: unknown };
    total += 3 + countText(typeof msg.role === 'string' ? msg.role : '') + countText(contentText(msg.content)) + imageParts(msg.content) * 85;
    if (typeof msg.name === 'string') total += 1 + countText(msg.name);
    if (msg.tool_calls) total += countText(JSON.stringify(msg.tool_calls));
  }
  if (body.tools) total += countText(JSON.stringify(body.tools));
  if (body.functions) total += countText(JSON.stringify(body.functions));
  return total;
}

/** Tokens of a completions `prompt` or embeddings `input`: a string, strings, or token arrays. */
export function countInput(input: unknown): number {
  if (typeof input === 'string') return countText(input);
  if (Array.isArray(input)) {
    if (input.every((x) => typeof x === 'number')) return input.length;
    return input.reduce((sum: number, x) => sum + countInput(x), 0);
  }
  return 0;
}

/** Tokens of a Responses API request's `instructions` and `input` (a string, or items with text parts). */
export function countResponsesInput(body: { instructions?: unknown; input?: unknown }): number {
  let total = typeof body.instructions === 'string' ? countText(body.instructions) : 0;
  if (typeof body.input === 'string') return total + countText(body.input);
  for (const item of Array.isArray(body.input) ? body.input : []) {
    if (!item || typeof item !== 'object') continue;
    const content = (item as { content?: unknown }).content;
    total += 3 + (typeof content === 'string' ? countText(content) : countText(contentText(content)) + imageParts(content) * 85);
  }
  return total;
}
