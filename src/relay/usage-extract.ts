import { countText } from './token-counter';

/** Token counts of an upstream answer. */
export interface CountedUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the provider's cache (part of `promptTokens`). */
  cachedTokens: number;
  /** Reasoning tokens (part of `completionTokens`). */
  reasoningTokens: number;
  /** True when the upstream reported them; false when counted here with the tokenizer. */
  reported: boolean;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0);

/**
 * OpenAI's `usage` object: chat and completions (`prompt_tokens`, `completion_tokens`,
 * `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`) or the
 * Responses API (`input_tokens`, `output_tokens` and their `_details`). Undefined when absent.
 */
export function reportedUsage(usage: unknown): CountedUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  const prompt = u.prompt_tokens ?? u.input_tokens;
  if (typeof prompt !== 'number') return undefined;
  const promptDetails = (u.prompt_tokens_details ?? u.input_tokens_details) as Record<string, unknown> | undefined;
  const completionDetails = (u.completion_tokens_details ?? u.output_tokens_details) as Record<string, unknown> | undefined;
  return {
    promptTokens: count(prompt),
    completionTokens: count(u.completion_tokens ?? u.output_tokens),
    cachedTokens: count(promptDetails?.cached_tokens),
    reasoningTokens: count(completionDetails?.reasoning_tokens),
    reported: true,
  };
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

/** Usage counted here when the upstream reported none: the prompt by `countPrompt`, the answer's text with the tokenizer. */
function counted(countPrompt: () => number, completionText: string): CountedUsage {
  return { promptTokens: countPrompt(), completionTokens: countText(completionText), cachedTokens: 0, reasoningTokens: 0, reported: false };
}

/**
 * Usage of a JSON answer: the upstream's `usage` when present, else the prompt counted by
 * `countPrompt` (called only then) and the choices' text counted with the tokenizer.
 */
export function usageOfJson(json: unknown, countPrompt: () => number): CountedUsage {
  const body = json && typeof json === 'object' ? (json as { usage?: unknown; choices?: unknown; output?: unknown }) : {};
  return reportedUsage(body.usage) ?? counted(countPrompt, choiceText(body.choices, false) + outputText(body.output));
}

/** The text of a Responses API answer's `output` items (messages' `output_text` parts, function call arguments). */
function outputText(output: unknown): string {
  let text = '';
  for (const item of Array.isArray(output) ? output : []) {
    if (!item || typeof item !== 'object') continue;
    const { content, arguments: args } = item as { content?: unknown; arguments?: unknown };
    if (typeof args === 'string') text += args;
    for (const part of Array.isArray(content) ? content : []) if (part && typeof (part as { text?: unknown }).text === 'string') text += (part as { text: string }).text;
  }
  return text;
}

/**
 * Usage of a server-sent-event stream (the bytes relayed so far): the last event with a `usage`
 * object (OpenAI sends it with `stream_options.include_usage`; the Responses API in its
 * `response.completed` event), else the prompt counted by `countPrompt` and the deltas' text
 * counted with the tokenizer. Events are parsed only when needed.
 */
export function usageOfStream(text: string, countPrompt: () => number): CountedUsage {
  const events = text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim());
  for (let i = events.length - 1; i >= 0; i--) {
    if (!events[i].includes('"usage"')) continue;
    try {
      const event = JSON.parse(events[i]) as { usage?: unknown; response?: { usage?: unknown } };
      const reported = reportedUsage(event.usage ?? event.response?.usage);
      if (reported) return reported;
    } catch {
      // a partial event at the end of an aborted stream
    }
  }
  let completion = '';
  for (const data of events) {
    if (data === '[DONE]' || data === '') continue;
    try {
      const event = JSON.parse(data) as { choices?: unknown; type?: unknown; delta?: unknown };
      completion += choiceText(event.choices, true);
      if (typeof event.type === 'string' && event.type.endsWith('.delta') && typeof event.delta === 'string') completion += event.delta; // Responses API deltas
    } catch {
      // ignore partial events
    }
  }
  return counted(countPrompt, completion);
}
