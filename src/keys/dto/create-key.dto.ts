import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { API_TYPE_INPUTS, type ApiTypeInput } from '../entities/key.entity';

/** `"a, b"` or `["a","b"]` → trimmed non-empty names. */
export const toModelList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value.split(',').map((m) => m.trim()).filter(Boolean)
    : Array.isArray(value)
      ? value.map((m) => (typeof m === 'string' ? m.trim() : m)).filter((m) => m !== '')
      : value;

/** Empty or an http(s) URL. */
export const ENDPOINT = /^(|https?:\/\/[^\s]+)$/;

/**
 * `POST /1/keys` (seed 003: `{key, name, api_type, endpoint}`, accepted verbatim, `endpoint: ""` included),
 * plus the gateway's routing fields.
 */
export class CreateKeyDto {
  /** The upstream secret (stored encrypted, shown masked); unique (409 when another key holds it). */
  @ApiProperty({ example: 'sk-zsbdzsbdzsbdzsbdzsbdzsbdzsbd' })
  @IsString()
  @Length(1, 1024)
  @Matches(/^\S+$/, { message: 'key must not contain whitespace' })
  key: string;

  /** Unique (409 when another key has it); `azure.<resource>` is opencatd's Azure convention (see api_type). */
  @ApiPropertyOptional({ example: 'key', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  /**
   * `openai` or `azure_openai` (`azure`, opencatd's word, is taken as `azure_openai`). Without it: an
   * `azure.<resource>` name is an Azure key of that resource (opencatd's convention), else `openai`.
   */
  @ApiPropertyOptional({ example: 'openai', enum: API_TYPE_INPUTS })
  @IsOptional()
  @IsIn(API_TYPE_INPUTS, { message: `api_type must be one of: ${API_TYPE_INPUTS.join(', ')}` })
  api_type?: ApiTypeInput;

  /** openai: base URL (empty = `https://api.openai.com/v1`); azure_openai: the resource URL (required). */
  @ApiPropertyOptional({ example: '' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(ENDPOINT, { message: 'endpoint must be empty or an http(s) URL' })
  endpoint?: string;

  /** Azure `api-version` (default `2024-10-21`). */
  @ApiPropertyOptional({ example: '2024-10-21' })
  @IsOptional()
  @IsString()
  @Matches(/^[\w.-]{0,64}$/, { message: 'api_version must look like 2024-10-21' })
  api_version?: string;

  /** Azure: model → deployment name; a model without an entry uses its own name. */
  @ApiPropertyOptional({ example: { 'gpt-3.5-turbo': 'gpt35' } })
  @IsOptional()
  @IsObject()
  deployments?: Record<string, string>;

  /** Models this key serves (array or comma list); empty = any. */
  @ApiPropertyOptional({ example: ['gpt-3.5-turbo', 'gpt-4o'] })
  @IsOptional()
  @Transform(toModelList)
  @IsArray()
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  models?: string[];

  @ApiPropertyOptional({ example: 'default' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(/^[\w.-]+$/, { message: 'group must be letters, digits, _ . -' })
  group?: string;

  /** Higher is tried first. */
  @ApiPropertyOptional({ example: 0, type: 'integer' })
  @IsOptional()
  @IsInt()
  @Min(-1000000)
  @Max(1000000)
  priority?: number;

  /** Weight within a priority. */
  @ApiPropertyOptional({ example: 1, type: 'integer' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000000)
  weight?: number;
}
