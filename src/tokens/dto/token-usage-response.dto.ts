import { ApiProperty } from '@nestjs/swagger';
import type { TokenEntity } from '../entities/token.entity';

/**
 * `data` of `GET /api/usage/token` (new-api's token usage): quota in units (500,000 = 1 USD).
 * `expires_at` is unix seconds, 0 when the token never expires (as new-api answers).
 */
export class TokenUsageResponseDto {
  @ApiProperty({ example: 'token_usage' })
  object: string;

  @ApiProperty({ example: 'API Token' })
  name: string;

  @ApiProperty({ example: 1500000, description: 'remain + used, quota units', type: 'integer' })
  total_granted: number;

  @ApiProperty({ example: 500000, description: 'quota units', type: 'integer' })
  total_used: number;

  @ApiProperty({ example: 1000000, description: 'remain_quota, quota units', type: 'integer' })
  total_available: number;

  @ApiProperty({ example: false })
  unlimited_quota: boolean;

  @ApiProperty({ example: 'gpt-4o,gpt-4o-mini', description: 'comma-separated model names' })
  model_limits: string;

  @ApiProperty({ example: true })
  model_limits_enabled: boolean;

  @ApiProperty({ example: 0, description: 'unix seconds; 0 = never expires', type: 'integer' })
  expires_at: number;
}

/** Maps a token to its usage summary: quota units (granted = remaining + used), `expires_at` unix seconds (-1 → 0). */
export function toTokenUsageResponse(token: TokenEntity): TokenUsageResponseDto {
  return {
    object: 'token_usage',
    name: token.name,
    total_granted: token.remainQuota + token.usedQuota,
    total_used: token.usedQuota,
    total_available: token.remainQuota,
    unlimited_quota: !!token.unlimitedQuota,
    model_limits: token.modelLimits,
    model_limits_enabled: !!token.modelLimitsEnabled,
    expires_at: token.expiredTime === -1 ? 0 : token.expiredTime,
  };
}
