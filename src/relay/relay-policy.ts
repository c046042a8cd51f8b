import { CodedHttpException } from '../common/http/http-error';
import { ipAllowed, RelayToken } from './relay-token';

/**
 * Every refusal of issue 4, each with its own status, OpenAI `code` and message.
 * Thrown as {@link CodedHttpException}; the global filter renders `{error:{message,type,code}}`.
 */
export const Refusals = {
  missingKey: () => new CodedHttpException(401, 'missing API key: send Authorization: Bearer sk-... or x-api-key', 'missing_api_key'),
  unknownKey: () => new CodedHttpException(401, 'invalid API key', 'invalid_api_key'),
  ownerDeleted: () => new CodedHttpException(401, "the token's owner has been deleted", 'user_deleted'),
  ownerDisabled: () => new CodedHttpException(401, "the token's owner is disabled", 'user_disabled'),
  disabled: () => new CodedHttpException(401, 'this token is disabled', 'token_disabled'),
  expired: () => new CodedHttpException(401, 'this token has expired', 'token_expired'),
  ipNotAllowed: (ip: string) => new CodedHttpException(403, `client IP ${ip} is not in this token's allowed IPs`, 'ip_not_allowed'),
  modelNotAllowed: (model: string) => new CodedHttpException(403, `this token may not use model "${model}"`, 'model_not_allowed'),
  insufficientQuota: (needed: number) =>
    new CodedHttpException(
      429,
      `insufficient quota: the token's remaining quota does not cover this request's reservation (${needed} quota units)`,
      'insufficient_quota',
    ),
  noKey: (model: string) => new CodedHttpException(503, `no enabled upstream key serves model "${model}" for this token's groups`, 'no_available_key'),
  noPrice: (model: string) => new CodedHttpException(400, `model "${model}" has no price; an admin can set one at PUT /1/prices`, 'model_price_missing'),
  badRequest: (message: string) => new CodedHttpException(400, message, 'invalid_request'),
} as const;

/**
 * The token checks of issue 4 that need no query, in order: unknown (401), owner deleted or disabled (401),
 * disabled (401), expired (401), client IP not allowed (403). `nowSeconds` is unix seconds.
 * @throws CodedHttpException for the first failing check.
 */
export function assertTokenUsable(token: RelayToken | null, ip: string, nowSeconds: number): asserts token is RelayToken {
  if (!token) throw Refusals.unknownKey();
  if (token.ownerDeleted) throw Refusals.ownerDeleted();
  if (token.ownerDisabled) throw Refusals.ownerDisabled();
  if (token.status !== 1) throw Refusals.disabled();
  if (token.expiredTime !== -1 && token.expiredTime <= nowSeconds) throw Refusals.expired();
  if (!ipAllowed(ip, token.allowIps)) throw Refusals.ipNotAllowed(ip);
}

/** 403 `model_not_allowed` when model limits are enabled and `model` is not listed. */
export function assertModelAllowed(token: RelayToken, model: string): void {
  if (token.modelLimits && !token.modelLimits.has(model)) throw Refusals.modelNotAllowed(model);
}
