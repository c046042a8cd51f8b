import { ApiPropertyOptional } from '@nestjs/swagger';
import { PolicyFieldsDto } from '../../metering/dto/policy-fields.dto';
import { Transform } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  isURL,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateBy,
  ValidationArguments,
} from 'class-validator';
import {
  firstBadIp,
  MAX_EXPIRED_TIME,
  MAX_REMAIN_QUOTA,
  MJ_IMAGE_MODES,
  normalizeAllowIps,
  normalizeCommaList,
} from '../token-fields';

/** `allow_ips` (already normalized to one entry a line): every entry an IPv4/IPv6 address or CIDR; the message names the bad one. */
function IsAllowIps(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAllowIps',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && firstBadIp(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          typeof args?.value === 'string'
            ? `allow_ips entry "${firstBadIp(args.value)}" is not an IPv4/IPv6 address or CIDR`
            : 'allow_ips must be a string of addresses/CIDRs separated by newlines or commas, or an array of them',
      },
    });
}

/**
 * Empty, or an http(s) URL as class-validator's `isURL` reads one (protocol required, TLD not).
 * Not `@IsUrl()`: the Swagger plugin would document `format: uri`, which the empty string breaks.
 */
function IsHttpUrlOrEmpty(): PropertyDecorator {
  return ValidateBy({
    name: 'isHttpUrlOrEmpty',
    validator: {
      validate: (value: unknown) => value === '' || (typeof value === 'string' && isURL(value, { require_protocol: true, protocols: ['http', 'https'], require_tld: false })),
      defaultMessage: (args?: ValidationArguments) => `${args?.property} must be an http(s) URL or empty`,
    },
  });
}

const emptyToDefault = ({ value }: { value: unknown }) => (value === '' ? 'default' : value);

/**
 * The token fields shared by create, full update and batch update (seeds 000, 001, 002), all
 * optional here. String-or-array fields are normalized by `@Transform` before validation.
 */
export class TokenFieldsDto extends PolicyFieldsDto {
  /** Remaining quota in integer quota units (500,000 = 1 USD, seed 000). */
  @ApiPropertyOptional({ example: 250000000000, type: 'integer', minimum: 0, maximum: MAX_REMAIN_QUOTA, description: 'quota units; 500,000 = 1 USD' })
  @IsOptional()
  @IsInt({ message: 'remain_quota must be an integer number of quota units' })
  @Min(0)
  @Max(MAX_REMAIN_QUOTA)
  remain_quota?: number;

  /** Unix seconds, or -1 for never. */
  @ApiPropertyOptional({ example: -1, type: 'integer', description: 'unix seconds; -1 = never expires' })
  @IsOptional()
  @IsInt({ message: 'expired_time must be -1 or a unix time in seconds' })
  @Min(-1, { message: 'expired_time must be -1 or a unix time in seconds' })
  @Max(MAX_EXPIRED_TIME, { message: 'expired_time must be -1 or a unix time in seconds' })
  expired_time?: number;

  @ApiPropertyOptional({ example: false })
  @IsOptional()
  @IsBoolean()
  unlimited_quota?: boolean;

  @ApiPropertyOptional({ example: false })
  @IsOptional()
  @IsBoolean()
  model_limits_enabled?: boolean;

  /** Comma-separated model names (seeds 000/001) or an array (seed 002); returned as a comma-separated string. */
  @ApiPropertyOptional({
    oneOf: [{ type: 'string', example: 'gpt-4o,gpt-4o-2024-11-20' }, { type: 'array', items: { type: 'string' }, example: ['gpt-3.5-turbo', 'gpt-4'] }],
  })
  @IsOptional()
  @Transform(({ value }) => normalizeCommaList(value))
  @IsString({ message: 'model_limits must be a comma-separated string or an array of model names' })
  @MaxLength(65535)
  model_limits?: string;

  /** IPv4/IPv6 addresses or CIDRs separated by newlines (seeds 000/001) or commas (seed 002); empty = any. */
  @ApiPropertyOptional({ example: '192.168.1.1\n10.0.0.0/8', description: 'separated by \\n or ,; empty = any address' })
  @IsOptional()
  @Transform(({ value }) => normalizeAllowIps(value))
  @IsAllowIps()
  @MaxLength(65535)
  allow_ips?: string;

  /** Comma-separated groups, order = priority (seed 001). */
  @ApiPropertyOptional({ example: 'default' })
  @IsOptional()
  @Transform(({ value }) => normalizeCommaList(value))
  @IsString({ message: 'group must be a comma-separated string of group names' })
  @MaxLength(255)
  group?: string;

  /** Midjourney image mode (seed 001); an empty string means `default`. */
  @ApiPropertyOptional({ example: 'default', enum: MJ_IMAGE_MODES })
  @IsOptional()
  @Transform(emptyToDefault)
  @IsIn(MJ_IMAGE_MODES, { message: `mj_image_mode must be one of: ${MJ_IMAGE_MODES.join(', ')}` })
  mj_image_mode?: string;

  /** Custom image proxy URL, used when `mj_image_mode` is `proxy`; empty = none. */
  @ApiPropertyOptional({ example: '', description: 'an http(s) URL, or empty for none' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @IsHttpUrlOrEmpty()
  mj_custom_proxy?: string;

  /** Group names the front end had selected (seed 000); stored and returned as is. */
  @ApiPropertyOptional({ example: [], type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  selected_groups?: string[];
}
