import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/** `POST /1/login` body: a user's name and password (set by `PUT /1/me/password`, or an SSO app's `initpwd` as a first password). */
export class LoginDto {
  @ApiProperty({ example: 'alice', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  name: string;

  /** At most 72 bytes count for bcrypt; longer is refused. */
  @ApiProperty({ example: 'Init#2025', minLength: 1, maxLength: 72 })
  @IsString()
  @Length(1, 72)
  password: string;
}
