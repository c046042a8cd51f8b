import { ApiProperty } from '@nestjs/swagger';
import { PolicyViewDto } from '../../metering/dto/policy-view.dto';
import { policyView } from '../../metering/policy-fields';
import { maskSecret } from '../../common/crypto/crypto.service';
import type { UserEntity } from '../entities/user.entity';

/**
 * A user as seed 003 shows it, plus `role`. `token` is the full UUID only in the answer that
 * created it (init, add, reset); elsewhere masked `df59****61ad`.
 */
export class UserResponseDto extends PolicyViewDto {
  @ApiProperty({ example: 2, type: 'integer' })
  id: number;

  @ApiProperty({ example: 'u1' })
  name: string;

  @ApiProperty({ example: '6ac4bd1a-18a6-4c25-922f-db689a299e38', description: 'full only when just created or reset; else masked (6ac4****9e38)' })
  token: string;

  @ApiProperty({ example: '2023-05-28T10:48:29.018Z', format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: '2023-05-28T10:48:29.018Z', format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ example: false })
  IsDelete: boolean;

  @ApiProperty({ example: 1, enum: [1, 10, 100], type: 'integer', description: '1 common user, 10 admin, 100 root' })
  role: number;

  /** Remaining budget in quota units (500,000 = 1 USD), what instances hold in leases included; null = unlimited. */
  @ApiProperty({ example: null, nullable: true, type: 'integer' })
  quota: number | null;

  /** Quota units charged so far (the sum of the user's usage records). */
  @ApiProperty({ example: 0, type: 'integer' })
  used_quota: number;

  /** Relayed requests charged to the user. */
  @ApiProperty({ example: 0, type: 'integer' })
  request_count: number;

  /** Groups the user's tokens may use (admins and root may use any). */
  @ApiProperty({ example: ['default'], type: [String] })
  groups: string[];
}

/** `{"message": "ok"}` of seed 003's deletes. */
export class MessageResponseDto {
  @ApiProperty({ example: 'ok' })
  message: string;
}

/**
 * Maps an entity to the wire object; `clearToken` only right after it was issued; `leased` is what
 * instances hold of the user's quota in leases (shown as part of what is left).
 */
export function toUserResponse(user: UserEntity, clearToken?: string, leased = 0): UserResponseDto {
  return {
    id: user.id,
    name: user.name,
    token: clearToken ?? user.tokenHint,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    IsDelete: user.isDelete,
    role: user.role,
    quota: user.quota === null || user.quota === undefined ? null : user.quota + leased,
    used_quota: user.usedQuota ?? 0,
    request_count: user.requestCount ?? 0,
    groups: (user.groups ?? 'default').split(',').filter(Boolean),
    ...policyView(user.policy, user.previousTokenExpiresAt, Math.floor(Date.now() / 1000)),
  };
}

/** The stored display form of a user token: first 4 + `****` + last 4. */
export function userTokenHint(token: string): string {
  return maskSecret(token, 4, 4, '****');
}
