import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { TokenFieldsDto } from './token-fields.dto';

/** Seed 002's "token name is too long". */
export const NAME_TOO_LONG = 'token name is too long';

/**
 * `POST /api/token/` body (seed 002). Only `name` is required; the rest default to: never expires,
 * 0 quota (limited), no model or IP limits, group `''`, mj_image_mode `default`. Extra fields (`id`) are ignored.
 */
export class CreateTokenDto extends TokenFieldsDto {
  /** 1 to 30 characters (seed 002). */
  @ApiProperty({ example: 'My API Token', minLength: 1, maxLength: 30 })
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(30, { message: NAME_TOO_LONG })
  name: string;
}
