import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { SSO_APP_NAME } from '../sso-app-rules';

/**
 * `POST .../token/link` and `.../token/unlink` body, form-encoded or JSON: the token app `name` and
 * the Tollgate user name `username`. A link lets the app sign that user in with a JWT whose
 * `fieldmap.username` claim is exactly that name.
 */
export class SsoLinkDto {
  @ApiProperty({ example: 'ERP' })
  @IsString()
  @Matches(SSO_APP_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' })
  name: string;

  @ApiProperty({ example: 'alice', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  @Matches(/\S/, { message: 'username must not be blank' })
  username: string;
}
