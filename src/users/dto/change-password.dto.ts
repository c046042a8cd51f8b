import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MinLength } from 'class-validator';
import { Utf8ByteLength } from '../../common/http/utf8-byte-length.validator';

/** Fewest characters in a password. */
export const MIN_PASSWORD_LENGTH = 8;

/** Most bytes in a password (bcrypt reads no further). */
export const MAX_PASSWORD_BYTES = 72;

/**
 * `PUT /1/me/password` body: the new `password` (8 characters to 72 UTF-8 bytes, well-formed Unicode), and `old_password`,
 * required when the user has a password (a first password from an SSO app's `initpwd` included).
 */
export class ChangePasswordDto {
  @ApiPropertyOptional({ example: 'Init#2025', description: 'the current password; required when the user has one' })
  @IsOptional()
  @IsString()
  @Utf8ByteLength(1, MAX_PASSWORD_BYTES, { message: `old_password must be 1 to ${MAX_PASSWORD_BYTES} bytes` })
  old_password?: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: MIN_PASSWORD_LENGTH, description: `${MIN_PASSWORD_LENGTH} characters to ${MAX_PASSWORD_BYTES} bytes` })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH, { message: `password must be at least ${MIN_PASSWORD_LENGTH} characters` })
  @Utf8ByteLength(0, MAX_PASSWORD_BYTES, { message: `password must be at most ${MAX_PASSWORD_BYTES} bytes` })
  password: string;
}
