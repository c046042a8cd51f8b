import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, Matches } from 'class-validator';
import { SSO_APP_NAME, toObject } from '../sso-app-rules';

/**
 * `POST .../token/generate` body, as Datafor documents it: JSON `{name, privateKey?, payload: {username, name?,
 * email?, roles?, …}}`, or form fields `name`, `privateKey`, `username` (a form may also send `payload[username]=`).
 */
export class GenerateSsoTokenDto {
  @ApiProperty({ example: 'ERP' })
  @IsString()
  @Matches(SSO_APP_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional({
    example: '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg...\n-----END PRIVATE KEY-----',
    description:
      'RS* or ES* apps: the issuer private key (PEM, or base64 PKCS#8 without the PEM lines), required, used in memory only ' +
      'and never stored; it must match the public key stored as the app secret. HS* apps: optional, the stored secret signs; ' +
      'when given it must equal that secret.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 16384)
  privateKey?: string;

  @ApiPropertyOptional({
    example: { username: 'alice', name: 'Alice', email: 'alice@example.com', roles: ['SYS_Reader'], dept: 'Sales' },
    description:
      'the claims: username (required), name and email renamed through the app fieldmap; other fields carried as given ' +
      '(password left out; iss, aud, exp, nbf, iat and jti are set by Tollgate)',
  })
  @IsOptional()
  @Transform(({ value }) => toObject(value))
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'alice', description: "form shape: the user name (payload.username)" })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  username?: string;
}
