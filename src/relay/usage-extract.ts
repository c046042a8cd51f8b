import { countText } from './token-counter';

/** Token counts of an upstream answer. */
export interface CountedUsage {
  promptTokens: number;
  completionTokens: number;
  /** True when the upstream reported them; false when counted here with the tokenizer. */
  reported: boolean;
}

interface UsageLike {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

function reportedUsage(usage: unknown): { prompt: number; completion: number } | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const u = usage as UsageLike;
  if (typeof u.prompt_tokens !== 'number') return undefined;
  return { prompt: u.prompt_tokens, completion: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0 };
}

function choiceText(choices: unknown, stream: boolean): string {
  if (!Array.isArray(choices)) return '';
  let text = '';
  for (const c of choices) {
    if (!c || typeof c !== 'object') continue;
    const part = stream ? (c as { delta?: { content?: unknown; tool_calls?: unknown } }).delta : (c as { message?: { content?: unknown; tool_calls?: unknown } }).message;
    if (part && typeof part.content === 'string') text += part.content;
    if (part?.tool_calls) text += JSON.stringify(part.tool_calls);
    const plain = (c as { text?: unknown }).text;
    if (typeof plain === 'string') text += plain;
  }
  return text;
}

/**
 * Usage of a JSON answer: the upstream's `usage` when present, else `estimatedPrompt` and the
 * choices' text counted with the tokenizer.
 */
export function usageOfJson(json: unknown, estimatedPrompt: number): CountedUsage {
  const body = json && typeof json === 'object' ? (json as { usage?: unknown; choices?: unknown }) : {};
  const reported = reportedUsage(body.usage);
  if (reported) return { promptTokens: reported.prompt, completionTokens: reported.completion, reported: true };
  return { promptTokens: estimatedPrompt, completionTokens: countText(choiceText(body.choices, false)), reported: false };
}

/**
 * Usage of a server-sent-event stream (the bytes relayed so far): the last event with a
 * `usage` object (OpenAI sends it with `stream_options.include_usage`), else `estimatedPrompt`
 * and the deltas' text counted with the tokenizer. Events are parsed only when needed.
 */
export function usageOfStream(text: string, estimatedPrompt: number): CountedUsage {
  const events = text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim());
  for (let i = events.length - 1; i >= 0; i--) {
    if (!events[i].includes('"usage"')) continue;
    try {
      const reported = reportedUsage((JSON.parse(events[i]) as { usage?: unknown }).usage);
      if (reported) return { promptTokens: reported.prompt, completionTokens: reported.completion, reported: true };
    } catch {
      // a partial event at the end of an aborted stream
    }
  }
  let completion = '';
  for (const data of events) {
    if (data === '[DONE]' || data === '') continue;
    try {
      completion += choiceText((JSON.parse(data) as { choices?: unknown }).choices, true);
    } catch {
      // ignore partial events
    }
  }
  return { promptTokens: estimatedPrompt, completionTokens: countText(completion), reported: false };
}
