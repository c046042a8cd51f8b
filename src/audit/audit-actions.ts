/**
 * Every audited action, `<target type>.<verb>`: the admin changes of users, upstream keys, prices and SSO apps,
 * and the logins (password and SSO). A user's own changes (its tokens, its password) are not audited.
 */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.update',
  'user.delete',
  'user.reset_token',
  'key.create',
  'key.update',
  'key.delete',
  'price.update',
  'price.delete',
  'sso_app.create',
  'sso_app.update',
  'sso_app.delete',
  'sso_app.link',
  'sso_app.unlink',
  'login.success',
  'login.failure',
  'sso.login',
  'sso.login_failure',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * What an audit record's target is: a user, an upstream key, a model's price, an SSO app (by name), or, for a
 * failed password login, the name that was tried (`user_name`).
 */
export const AUDIT_TARGET_TYPES = ['user', 'key', 'price', 'sso_app', 'user_name'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];
