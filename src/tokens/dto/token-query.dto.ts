import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { toInt } from '../../common/http/int-transform';

/** Default and largest page size of `GET /api/token/`. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/** `GET /api/token/?p=1&size=20` (seed 002). `size` larger than 100 is clamped to 100. */
export class ListTokensQueryDto {
  @ApiPropertyOptional({ example: 1, description: 'page, from 1' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'p must be an integer from 1' })
  @Min(1, { message: 'p must be an integer from 1' })
  @Max(100_000, { message: 'p must be at most 100000' })
  p?: number;

  @ApiPropertyOptional({ example: 20, description: `page size, default ${PAGE_SIZE.default}, at most ${PAGE_SIZE.max}` })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'size must be an integer from 1' })
  @Min(1, { message: 'size must be an integer from 1' })
  size?: number;

  @ApiPropertyOptional({ example: 20, description: 'alias of size' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'page_size must be an integer from 1' })
  @Min(1, { message: 'page_size must be an integer from 1' })
  page_size?: number;

  @ApiPropertyOptional({ example: 2, description: "admins only: another user's tokens" })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'user_id must be a user id' })
  @Min(1, { message: 'user_id must be a user id' })
  user_id?: number;
}

/** `GET /api/token/search?keyword=api&token=sk-123` (seed 002). */
export class SearchTokensQueryDto {
  @ApiPropertyOptional({ example: 'api', description: 'substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  keyword?: string;

  @ApiPropertyOptional({
    example: 'sk-123',
    description: 'the full key (exact), a fragment of its first 8 or last 4 characters, a longer start or end of it, or its masked form; a leading sk- is ignored',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token?: string;

  @ApiPropertyOptional({ example: 2, description: "admins only: another user's tokens" })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'user_id must be a user id' })
  @Min(1, { message: 'user_id must be a user id' })
  user_id?: number;
}
