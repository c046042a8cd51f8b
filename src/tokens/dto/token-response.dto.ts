import { ApiProperty } from '@nestjs/swagger';
import { PolicyViewDto } from '../../metering/dto/policy-view.dto';
import { policyView } from '../../metering/policy-fields';
import type { TokenEntity } from '../entities/token.entity';
import { maskKey } from '../token-fields';
import { effectiveStatus } from '../token-status';

/**
 * A token as new-api shows it (seed 002's token object plus seed 000's extra fields). `key` is
 * always the masked `abcd**********wxyz` (first 4 + 10 stars + last 4 of the 48 characters, no
 * `sk-`); the key itself only comes from reveal (`POST /api/token/:id/key`, `/api/token/batch/keys`).
 * `status` is the effective status (3 expired and 4 exhausted derived at read time).
 */
export class TokenResponseDto extends PolicyViewDto {
  @ApiProperty({ example: 123, type: 'integer' })
  id: number;

  @ApiProperty({ example: 1, type: 'integer' })
  user_id: number;

  @ApiProperty({ example: 'API Token' })
  name: string;

  @ApiProperty({ example: 'abcd**********wxyz', description: 'masked; the key itself only from reveal' })
  key: string;

  @ApiProperty({ example: 1, enum: [1, 2, 3, 4], description: '1 enabled, 2 disabled, 3 expired, 4 exhausted', type: 'integer' })
  status: number;

  @ApiProperty({ example: 1640908800, description: 'unix seconds', type: 'integer' })
  created_time: number;

  @ApiProperty({ example: 1640995000, description: 'unix seconds; 0 = never used', type: 'integer' })
  accessed_time: number;

  @ApiProperty({ example: 1640995200, description: 'unix seconds; -1 = never', type: 'integer' })
  expired_time: number;

  @ApiProperty({ example: 1000000, description: 'quota units; 500,000 = 1 USD', type: 'integer' })
  remain_quota: number;

  @ApiProperty({ example: 0, description: 'quota units', type: 'integer' })
  used_quota: number;

  @ApiProperty({ example: false })
  unlimited_quota: boolean;

  @ApiProperty({ example: true })
  model_limits_enabled: boolean;

  @ApiProperty({ example: 'gpt-3.5-turbo,gpt-4' })
  model_limits: string;

  @ApiProperty({ example: '192.168.1.1\n10.0.0.1', description: 'one address or CIDR a line; empty = any' })
  allow_ips: string;

  @ApiProperty({ example: 'default' })
  group: string;

  @ApiProperty({ example: 'default', enum: ['default', 'origin', 'proxy'] })
  mj_image_mode: string;

  @ApiProperty({ example: '' })
  mj_custom_proxy: string;

  @ApiProperty({ example: [], type: [String] })
  selected_groups: string[];
}

/** `data` of `GET /api/token/` (seed 002). */
export class TokenPageDto {
  @ApiProperty({ type: [TokenResponseDto] })
  items: TokenResponseDto[];

  @ApiProperty({ example: 5, type: 'integer' })
  total: number;

  @ApiProperty({ example: 1, type: 'integer' })
  page: number;

  @ApiProperty({ example: 20, type: 'integer' })
  page_size: number;
}

/**
 * `data` of `POST /api/token/:id/key`, as new-api's `GetTokenKey` answers: the 48-character key
 * WITHOUT `sk-` (new-api's front end prepends it: `sk-${data.key}`).
 */
export class TokenKeyDto {
  @ApiProperty({ example: 'abcd0123456789abcdefghijklmnopqrstuvwxyzABCDwxyz', description: '48 characters, no sk-' })
  key: string;
}

/** `data` of `POST /api/token/batch/keys`, as new-api's `GetTokenKeysBatch` answers: token id → key without `sk-`, the caller's tokens only. */
export class TokenKeysDto {
  @ApiProperty({ example: { '123': 'abcd0123456789abcdefghijklmnopqrstuvwxyzABCDwxyz' }, type: 'object', additionalProperties: { type: 'string' } })
  keys: Record<string, string>;
}

function parseGroups(raw: string): string[] {
  try {
    const value: unknown = JSON.parse(raw || '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** Maps a row to the wire object at `now` (unix seconds), key masked. */
export function toTokenResponse(token: TokenEntity, now: number): TokenResponseDto {
  return {
    id: token.id,
    user_id: token.userId,
    name: token.name,
    key: maskKey(token.keyPrefix, token.keySuffix),
    status: effectiveStatus(token, now),
    created_time: token.createdTime,
    accessed_time: token.accessedTime,
    expired_time: token.expiredTime,
    remain_quota: token.remainQuota,
    used_quota: token.usedQuota,
    unlimited_quota: !!token.unlimitedQuota,
    model_limits_enabled: !!token.modelLimitsEnabled,
    model_limits: token.modelLimits,
    allow_ips: token.allowIps,
    group: token.group,
    mj_image_mode: token.mjImageMode,
    mj_custom_proxy: token.mjCustomProxy,
    selected_groups: parseGroups(token.selectedGroups),
    ...policyView(token.policy, token.previousKeyExpiresAt, now),
  };
}
