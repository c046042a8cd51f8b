import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Longest grace period of a rotated key or reset access token: a day, in seconds. */
export const MAX_GRACE_SECONDS = 86_400;

/** `{grace_seconds}` of a key rotation or an access token reset: how long the old one keeps working. */
export class GracePeriodDto {
  /** Seconds the old key keeps working, 0 (the default: it stops at once) to 86,400 (a day). */
  @ApiPropertyOptional({ example: 3600, type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS, default: 0 })
  @IsOptional()
  @IsInt({ message: 'grace_seconds must be an integer number of seconds' })
  @Min(0)
  @Max(MAX_GRACE_SECONDS, { message: `grace_seconds must be at most ${MAX_GRACE_SECONDS} (a day)` })
  grace_seconds?: number;
}
