import { ApiProperty } from '@nestjs/swagger';
import { maskSecret } from '../../common/crypto/crypto.service';
import type { UserEntity } from '../entities/user.entity';

/**
 * A user as seed 003 shows it, plus `role`. `token` is the full UUID only in the answer that
 * created it (init, add, reset); elsewhere masked `df59****61ad`.
 */
export class UserResponseDto {
  @ApiProperty({ example: 2 })
  id: number;

  @ApiProperty({ example: 'u1' })
  name: string;

  @ApiProperty({ example: '6ac4bd1a-18a6-4c25-922f-db689a299e38', description: 'full only when just created or reset; else masked (6ac4****9e38)' })
  token: string;

  @ApiProperty({ example: '2023-05-28T10:48:29.018Z' })
  createdAt: string;

  @ApiProperty({ example: '2023-05-28T10:48:29.018Z' })
  updatedAt: string;

  @ApiProperty({ example: false })
  IsDelete: boolean;

  @ApiProperty({ example: 1, description: '1 common user, 10 admin, 100 root' })
  role: number;
}

/** `{"message": "ok"}` of seed 003's deletes. */
export class MessageResponseDto {
  @ApiProperty({ example: 'ok' })
  message: string;
}

/** Maps an entity to the wire object; `clearToken` only right after it was issued. */
export function toUserResponse(user: UserEntity, clearToken?: string): UserResponseDto {
  return {
    id: user.id,
    name: user.name,
    token: clearToken ?? user.tokenHint,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    IsDelete: user.isDelete,
    role: user.role,
  };
}

/** The stored display form of a user token: first 4 + `****` + last 4. */
export function userTokenHint(token: string): string {
  return maskSecret(token, 4, 4, '****');
}
