import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { SessionResponseDto } from '../../users/dto/session-response.dto';
import { SSO_ALGORITHMS, type SsoAppEntity } from '../entities/sso-app.entity';
import { MASKED_SECRET } from '../sso-app-rules';
import { FieldMapDto } from './update-sso-app.dto';

/** seed 004's acknowledgement `{"msg":"success","success":true}`. */
export class SsoAckResponseDto {
  @ApiProperty({ example: 'success' })
  msg: string;

  @ApiProperty({ example: true })
  success: boolean;
}

/**
 * The answer of `POST .../token/update`: seed 004's acknowledgement, plus `warning` when the HS secret is
 * shorter than the hash output (32/48/64 bytes for HS256/384/512): the app is saved, its logins are refused.
 */
export class SsoUpdateResponseDto extends SsoAckResponseDto {
  @ApiPropertyOptional({
    example: 'secret is 4 bytes; HS256 needs at least 32 (RFC 7518 §3.2): logins through this app are refused until a secret of 32+ random bytes is set',
  })
  warning?: string;
}

/** One token app as the config API shows it: Datafor's fields (dates in epoch ms), the secret (and a set initpwd) masked. */
export class SsoAppResponseDto {
  @ApiProperty({ example: 'ERP' })
  name: string;

  @ApiProperty({ example: 'token' })
  token_name: string;

  @ApiProperty({ example: MASKED_SECRET })
  secret: string;

  @ApiProperty({ example: 86400, type: 'integer' })
  expire: number;

  @ApiProperty({ type: () => FieldMapDto })
  fieldmap: { username: string; name?: string; email?: string };

  @ApiProperty({ example: 'HS256', enum: SSO_ALGORITHMS })
  algorithm: string;

  @ApiProperty({ example: '1', enum: ['1', '0'] })
  enable: '1' | '0';

  @ApiProperty({ example: '1', enum: ['1', '0'] })
  inituser: '1' | '0';

  @ApiProperty({ example: ['SYS_Reader'], type: [String] })
  initroles: string[];

  @ApiProperty({ example: '', description: '`************` when set, else empty' })
  initpwd: string;

  @ApiProperty({ example: '', description: 'required iss; empty when not checked' })
  issuer: string;

  @ApiProperty({ example: '', description: 'required aud; empty when not checked' })
  audience: string;

  @ApiProperty({ example: 60, type: 'integer' })
  clock_tolerance: number;

  @ApiProperty({ example: '0', enum: ['1', '0'] })
  allow_admin_roles: '1' | '0';

  @ApiProperty({ example: 1737599864898, description: 'epoch milliseconds, as Datafor answers', type: 'integer' })
  createdDate: number;

  @ApiProperty({ example: 1737601114115, description: 'epoch milliseconds, as Datafor answers', type: 'integer' })
  lastModifiedDate: number;

  @ApiProperty({ example: 1, type: 'integer' })
  creatorId: number;
}

/** `GET .../token/list` (seed 004): `{msg, success, data: [app, …]}`, secrets masked. */
export class SsoAppListResponseDto extends SsoAckResponseDto {
  @ApiProperty({ type: [SsoAppResponseDto] })
  data: SsoAppResponseDto[];
}

/** `GET .../token/content?name=` (seed 004): `{msg, success, data: app}`, secrets masked. */
export class SsoAppContentResponseDto extends SsoAckResponseDto {
  @ApiProperty({ type: SsoAppResponseDto })
  data: SsoAppResponseDto;
}

/** What `deleteBatch` did: the names deleted, and those skipped (unknown). */
export class SsoDeleteBatchResultDto {
  @ApiProperty({ example: ['ERP'], type: [String] })
  deleted: string[];

  @ApiProperty({ example: ['unknown-app'], type: [String] })
  skipped: string[];
}

/** `POST .../token/deleteBatch` (seed 004): `{msg, success, data: {deleted, skipped}}`. */
export class SsoDeleteBatchResponseDto extends SsoAckResponseDto {
  @ApiProperty({ type: SsoDeleteBatchResultDto })
  data: SsoDeleteBatchResultDto;
}

/** What `generate` signed: Datafor's `expire` and `token`, plus the login URL that uses the token. */
export class SsoGeneratedTokenDto {
  @ApiProperty({ example: 86400, description: "the app's expire: the token's lifetime in seconds", type: 'integer' })
  expire: number;

  @ApiProperty({ example: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJsb2dpbm5hbWUiOiJhbGljZSJ9.c2lnbmF0dXJl' })
  token: string;

  @ApiProperty({ example: '/sso/ERP?token=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9...', description: 'Tollgate extra: the login URL (works once)' })
  url: string;
}

/** `POST .../token/generate` as Datafor documents it: `{success, expire, token}`, plus `msg` and `url`. */
export class SsoGenerateResponseDto extends IntersectionType(SsoAckResponseDto, SsoGeneratedTokenDto) {}

/** `GET|POST /sso/:name` success: a session for the JWT's user. */
export class SsoLoginResponseDto extends SsoAckResponseDto {
  @ApiProperty({ type: SessionResponseDto })
  data: SessionResponseDto;
}

/** `{msg: "success", success: true}` plus extra fields. */
export function ack<T extends object>(extra: T = {} as T): SsoAckResponseDto & T {
  return { msg: 'success', success: true, ...extra };
}

/** Maps an app to the wire object; the secret and initpwd never leave masked. */
export function toSsoAppResponse(app: SsoAppEntity): SsoAppResponseDto {
  return {
    name: app.name,
    token_name: app.tokenName,
    secret: MASKED_SECRET,
    expire: app.expire,
    fieldmap: app.fieldmap,
    algorithm: app.algorithm,
    enable: app.enabled ? '1' : '0',
    inituser: app.initUser ? '1' : '0',
    initroles: app.initRoles,
    initpwd: app.initpwdHash ? MASKED_SECRET : '',
    issuer: app.issuer ?? '',
    audience: app.audience ?? '',
    clock_tolerance: app.clockTolerance,
    allow_admin_roles: app.allowAdminRoles ? '1' : '0',
    createdDate: app.createdAt.getTime(),
    lastModifiedDate: app.updatedAt.getTime(),
    creatorId: app.creatorId,
  };
}
