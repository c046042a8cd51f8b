import type { AuditView } from '../audit/audit-changes';
import type { SsoAppEntity } from './entities/sso-app.entity';

const flag = (value: boolean | undefined): string => (value ? '1' : '0');

/**
 * The fields of an SSO app the audit log compares, as seed 004's `update` takes them: the secret (its
 * ciphertext) and `initpwd` (its bcrypt hash) are masked to `***` by the audit log; flags as `"1"`/`"0"`.
 */
export function ssoAppAuditView(app: Partial<SsoAppEntity>): AuditView {
  return {
    token_name: app.tokenName ?? null,
    algorithm: app.algorithm ?? null,
    secret: app.secretCiphertext ?? null,
    expire: app.expire ?? null,
    fieldmap: app.fieldmap ?? null,
    enable: flag(app.enabled),
    inituser: flag(app.initUser),
    initroles: app.initRoles ?? [],
    initpwd: app.initpwdHash ?? null,
    allow_admin_roles: flag(app.allowAdminRoles),
    issuer: app.issuer ?? null,
    audience: app.audience ?? null,
    clock_tolerance: app.clockTolerance ?? null,
  };
}
