import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { SSO_ALGORITHMS, type SsoAlgorithm } from '../entities/sso-app.entity';
import { SSO_APP_NAME, SSO_TOKEN_NAME, toFlag, toInteger, toObject, toStringList } from '../sso-app-rules';

/** seed 004's `fieldmap`: the JWT claim holding each user field. */
export class FieldMapDto {
  /** Claim with the login name (required). */
  @ApiProperty({ example: 'loginname' })
  @IsString()
  @Length(1, 128)
  username: string;

  /** Claim with the display name. */
  @ApiPropertyOptional({ example: 'name' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  /** Claim with the email address. */
  @ApiPropertyOptional({ example: 'email' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  email?: string;
}

/** A FieldMapDto from `fieldmap[username]=...` (an object) or a JSON string, so nested validation applies. */
function toFieldMap(value: unknown): unknown {
  const parsed = toObject(value);
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? plainToInstance(FieldMapDto, parsed) : parsed;
}

/**
 * `POST /plugin/datafor-modeler/api/token/update` body (seed 004), form-encoded or JSON; upsert by `name`.
 * Form bodies may send `fieldmap[username]=loginname`, repeated `initroles=` or a JSON string for either.
 */
export class UpdateSsoAppDto {
  @ApiProperty({ example: 'ERP', description: 'unique; letters, digits, _ and -, 1 to 64' })
  @IsString()
  @Matches(SSO_APP_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional({ example: 'token', default: 'token', description: 'the URL query parameter carrying the JWT' })
  @IsOptional()
  @IsString()
  @Matches(SSO_TOKEN_NAME, { message: 'token_name must be 1 to 64 letters, digits, _, . or -' })
  token_name?: string;

  @ApiPropertyOptional({
    example: 'abcd',
    description:
      'HS*: the shared secret, at least 32/48/64 bytes for HS256/384/512 (a shorter one is saved with a warning, and ' +
      'logins are refused until it is replaced); RS* or ES*: the issuer public key, PEM or base64 SPKI. ' +
      'Required when creating; `************` or omitted on an update keeps the stored one.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 16384)
  secret?: string;

  @ApiProperty({ example: 86400, type: 'integer', description: 'seconds: maximum token age by iat, and maximum lifetime' })
  @Transform(({ value }) => toInteger(value))
  @IsDefined()
  @IsInt()
  @Min(1)
  @Max(31_536_000)
  expire: number;

  @ApiProperty({ type: FieldMapDto, example: { username: 'loginname', name: 'name', email: 'email' } })
  @Transform(({ value }) => toFieldMap(value))
  @IsDefined()
  @IsObject()
  @ValidateNested()
  fieldmap: FieldMapDto;

  @ApiProperty({ example: 'HS256', enum: SSO_ALGORITHMS })
  @IsIn(SSO_ALGORITHMS, { message: `algorithm must be one of ${SSO_ALGORITHMS.join(', ')}` })
  algorithm: SsoAlgorithm;

  @ApiPropertyOptional({ example: '1', enum: ['1', '0'], default: '1' })
  @IsOptional()
  @Transform(({ value }) => toFlag(value))
  @IsIn(['1', '0'], { message: 'enable must be "1" or "0"' })
  enable?: '1' | '0';

  @ApiPropertyOptional({ example: '1', enum: ['1', '0'], default: '0', description: 'create unknown users on first login' })
  @IsOptional()
  @Transform(({ value }) => toFlag(value))
  @IsIn(['1', '0'], { message: 'inituser must be "1" or "0"' })
  inituser?: '1' | '0';

  @ApiPropertyOptional({ example: ['SYS_Reader'], type: [String], description: '`Administrator` needs allow_admin_roles=1' })
  @IsOptional()
  @Transform(({ value }) => toStringList(value))
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  initroles?: string[];

  @ApiPropertyOptional({
    example: 'Init#2025',
    description: 'first password of created users (bcrypt): a password login with it may only change the password; `************` keeps the stored one',
  })
  @IsOptional()
  @IsString()
  @MaxLength(72)
  initpwd?: string;

  @ApiPropertyOptional({ example: 'https://erp.example.com', description: 'required `iss` when set' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  issuer?: string;

  @ApiPropertyOptional({ example: 'tollgate', description: 'required `aud` when set' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  audience?: string;

  @ApiPropertyOptional({ example: 60, type: 'integer', default: 60, description: 'seconds of clock skew allowed on exp, nbf and iat' })
  @IsOptional()
  @Transform(({ value }) => toInteger(value))
  @IsInt()
  @Min(0)
  @Max(600)
  clock_tolerance?: number;

  @ApiPropertyOptional({ example: '0', enum: ['1', '0'], default: '0', description: 'allow `Administrator` in initroles and SSO into admin accounts' })
  @IsOptional()
  @Transform(({ value }) => toFlag(value))
  @IsIn(['1', '0'], { message: 'allow_admin_roles must be "1" or "0"' })
  allow_admin_roles?: '1' | '0';
}
