import { Refusals } from './relay-policy';
import type { RelayOperation } from './upstream.client';

/** A relay request body that passed {@link assertRelayRequest}. */
export type RelayRequestBody = Record<string, unknown> & { model: string };

/**
 * The numeric fields the relay reads (they size the reservation), with their ranges: integers,
 * inclusive. Absent or `null` means the default (`RELAY_DEFAULT_MAX_TOKENS`, one choice).
 */
export const RELAY_NUMBER_RANGES = {
  max_tokens: { min: 0, max: 1_000_000 },
  max_completion_tokens: { min: 0, max: 1_000_000 },
  max_output_tokens: { min: 0, max: 1_000_000 },
  n: { min: 1, max: 128 },
  best_of: { min: 1, max: 128 },
} as const;

const NUMBER_FIELDS = Object.entries(RELAY_NUMBER_RANGES);

/**
 * The checks of a relay request body before anything is priced or reserved (OpenAI's API
 * reference for the field names): a JSON object; `model` a non-blank string; `messages` an array
 * (chat), `prompt` (completions) or `input` (embeddings, responses) present; `stream` a boolean and
 * `stream_options` an object when given; and each field of {@link RELAY_NUMBER_RANGES}, when
 * given, an integer within its range. Pure: no I/O, no clock.
 * @throws CodedHttpException 400 `invalid_request` naming the first bad field.
 */
export function assertRelayRequest(operation: RelayOperation, body: unknown): asserts body is RelayRequestBody {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw Refusals.badRequest('the request body must be a JSON object');
  const fields = body as Record<string, unknown>;
  if (typeof fields.model !== 'string' || fields.model.trim() === '') throw Refusals.badRequest('model is required');
  if (operation === 'chat/completions' && !Array.isArray(fields.messages)) throw Refusals.badRequest('messages must be an array');
  if (operation === 'completions' && fields.prompt === undefined) throw Refusals.badRequest('prompt is required');
  if ((operation === 'embeddings' || operation === 'responses') && fields.input === undefined) throw Refusals.badRequest('input is required');
  if (fields.stream !== undefined && fields.stream !== null && typeof fields.stream !== 'boolean') throw Refusals.badRequest('stream must be a boolean');
  const options = fields.stream_options;
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) throw Refusals.badRequest('stream_options must be an object');
  for (const [name, { min, max }] of NUMBER_FIELDS) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw Refusals.badRequest(`${name} must be an integer from ${min} to ${max}`);
    }
  }
}
