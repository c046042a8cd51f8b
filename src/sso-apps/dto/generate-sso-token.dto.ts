import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsObject, IsString, Matches } from 'class-validator';
import { SSO_APP_NAME, toObject } from '../sso-app-rules';

/** `POST .../token/generate` body: a test token for an HS* app; `payload` uses the user field names. */
export class GenerateSsoTokenDto {
  @ApiProperty({ example: 'ERP' })
  @IsString()
  @Matches(SSO_APP_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' })
  name: string;

  @ApiProperty({ example: { username: 'alice', name: 'Alice', email: 'alice@example.com' }, description: 'renamed to claims through fieldmap' })
  @Transform(({ value }) => toObject(value))
  @IsDefined()
  @IsObject()
  payload: Record<string, unknown>;
}
