import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

/** `POST /1/users` body (seed 003). */
export class CreateUserDto {
  /** Unique user name, 1 to 64 characters. */
  @ApiProperty({ example: 'u1', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
}
