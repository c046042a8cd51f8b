import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { SSO_APP_NAME } from '../sso-app-rules';

/** `{name}` of `GET .../token/content?name=` and `POST .../token/delete` (seed 004). */
export class SsoAppNameDto {
  @ApiProperty({ example: 'ERP' })
  @IsString()
  @Matches(SSO_APP_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' })
  name: string;
}
