import { CodedHttpException } from '../common/http/http-error';
import type { Subject } from '../metering/subject';
import { modelAllowed, PolicyToken, TokenRefusal, tokenRefusal } from '../tokens/token-policy';

/**
 * Every refusal of the relay, each with its own status, OpenAI `code` and message.
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
  groupNotAllowed: () => new CodedHttpException(403, "this token's group is not one its owner may use; an admin can grant it (PATCH /1/users/:id groups)", 'group_not_allowed'),
  modelNotAllowed: (model: string) => new CodedHttpException(403, `this token may not use model "${model}"`, 'model_not_allowed'),
  insufficientQuota: (subject: Subject, needed: number) =>
    new CodedHttpException(
      429,
      subject.kind === 'token'
        ? `insufficient quota: the token's remaining quota does not cover this request's reservation (${needed} quota units)`
        : `insufficient quota: the user's remaining budget does not cover this request's reservation (${needed} quota units)`,
      'insufficient_quota',
    ),
  noKey: (model: string) => new CodedHttpException(503, `no enabled upstream key serves model "${model}" for this token's groups`, 'no_available_key'),
  unknownModel: (model: string, why: string) => new CodedHttpException(404, `The model \`${model}\` does not exist or you do not have access to it (${why}).`, 'model_not_found'),
  badRequest: (message: string) => new CodedHttpException(400, message, 'invalid_request'),
} as const;

const BY_REFUSAL: Record<TokenRefusal, (ip: string) => CodedHttpException> = {
  unknown: () => Refusals.unknownKey(),
  owner_deleted: () => Refusals.ownerDeleted(),
  owner_disabled: () => Refusals.ownerDisabled(),
  disabled: () => Refusals.disabled(),
  expired: () => Refusals.expired(),
  ip_not_allowed: (ip) => Refusals.ipNotAllowed(ip),
  group_not_allowed: () => Refusals.groupNotAllowed(),
};

/**
 * The token rules ({@link tokenRefusal}) as the relay answers them: 401 unknown, owner deleted or
 * disabled, disabled, expired; 403 client IP not allowed, group not allowed. `nowSeconds` is unix seconds.
 * @throws CodedHttpException for the first failing rule.
 */
export function assertTokenUsable(token: PolicyToken | null, ip: string, nowSeconds: number): asserts token is PolicyToken {
  const refusal = tokenRefusal(token, nowSeconds, ip);
  if (refusal) throw BY_REFUSAL[refusal](ip);
}

/** 403 `model_not_allowed` when model limits are enabled and `model` is not listed. */
export function assertModelAllowed(token: PolicyToken, model: string): void {
  if (!modelAllowed(token, model)) throw Refusals.modelNotAllowed(model);
}

