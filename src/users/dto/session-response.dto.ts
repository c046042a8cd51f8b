import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { UserEntity } from '../entities/user.entity';
import type { IssuedSession } from '../sessions.service';

/** The user a session belongs to, as an SSO or password login shows it. */
export class SessionUserDto {
  @ApiProperty({ example: 2, type: 'integer' })
  id: number;

  @ApiProperty({ example: 'alice' })
  name: string;

  @ApiProperty({ example: 'alice@example.com' })
  email: string;

  @ApiProperty({ example: ['SYS_Reader'], type: [String] })
  roles: string[];
}

/** A new session: `access_token` is sent as `Authorization: Bearer <token>`; `expires_at` unix seconds. */
export class SessionResponseDto {
  @ApiProperty({ example: 'tgs_3kR9yQ0c1mV7nX2pL5tB8wZ4aH6jD0fG2sK7uE1oI9rT3vY5', description: 'session token, shown once' })
  access_token: string;

  @ApiProperty({ example: 1741867200, description: 'unix seconds', type: 'integer' })
  expires_at: number;

  @ApiProperty({ type: SessionUserDto })
  user: SessionUserDto;

  /** Present (true) only when the session may do nothing but change the password (`PUT /1/me/password`). */
  @ApiPropertyOptional({ example: true, description: 'only on a login with a first password: the session may only call PUT /1/me/password' })
  must_change_password?: true;
}

/** Maps a user and its just-issued session to the wire object. */
export function toSessionResponse(user: UserEntity, session: IssuedSession): SessionResponseDto {
  const answer: SessionResponseDto = {
    access_token: session.accessToken,
    expires_at: session.expiresAt,
    user: { id: user.id, name: user.name, email: user.email ?? '', roles: user.roles ?? [] },
  };
  if (session.passwordChangeOnly) answer.must_change_password = true;
  return answer;
}
