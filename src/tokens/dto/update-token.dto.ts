import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, MaxLength, Min, MinLength } from 'class-validator';
import { TokenStatus } from '../entities/token.entity';
import { NAME_TOO_LONG } from './create-token.dto';
import { TokenFieldsDto } from './token-fields.dto';
import { STATUS_VALUES_MESSAGE } from '../token-status';

/**
 * `PUT /api/token/` body: `id` and any fields to change (seed 000's example is accepted verbatim;
 * seed 002: "other fields as in create, all optional"). With `?status_only=true` only `status` applies.
 */
export class UpdateTokenDto extends TokenFieldsDto {
  @ApiProperty({ example: 194804, type: 'integer' })
  @IsInt()
  @Min(1)
  id: number;

  @ApiPropertyOptional({ example: '令牌22名字', minLength: 1, maxLength: 30 })
  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(30, { message: NAME_TOO_LONG })
  name?: string;

  /**
   * 1 enabled or 2 disabled; 3 (expired) and 4 (exhausted) are derived, never set. A full update
   * whose status is the one the token reads as now (new-api's edit form sends back the status it
   * loaded, 3 and 4 included) changes no status (see statusChangeOf).
   */
  @ApiPropertyOptional({ example: 1, type: 'integer', enum: [TokenStatus.Enabled, TokenStatus.Disabled, TokenStatus.Expired, TokenStatus.Exhausted] })
  @IsOptional()
  @IsIn([TokenStatus.Enabled, TokenStatus.Disabled, TokenStatus.Expired, TokenStatus.Exhausted], { message: STATUS_VALUES_MESSAGE })
  status?: number;
}

/** `PUT /api/token/?status_only=true`. */
export class UpdateTokenQueryDto {
  @ApiPropertyOptional({ example: true, description: 'apply only `status` from the body' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' || value === '' ? false : value))
  @IsBoolean({ message: 'status_only must be true or false' })
  status_only?: boolean;
}
