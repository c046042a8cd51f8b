import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { toInt } from '../../common/http/int-transform';

/** Default and largest page size of `GET /api/token/`. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/**
 * The page and page size of a list query, as new-api's `common.GetPageQuery` reads them: a page
 * below 1 is 1; `page_size`, else `size`, below 1 is the default ({@link PAGE_SIZE}); above 100 is 100.
 */
export function pageOf(query: Pick<ListTokensQueryDto, 'p' | 'size' | 'page_size'>): { page: number; pageSize: number } {
  const requested = [query.page_size, query.size].find((n) => n !== undefined && n !== 0);
  const pageSize = requested === undefined || requested < 1 ? PAGE_SIZE.default : Math.min(requested, PAGE_SIZE.max);
  return { page: Math.max(1, query.p ?? 1), pageSize };
}

/**
 * `GET /api/token/?p=1&size=20` (seed 002). As new-api's `GetPageQuery`: `p` 0 or below is page 1,
 * `page_size` (else `size`) 0 or below is the default, above 100 is 100. Not an integer: 400.
 */
export class ListTokensQueryDto {
  @ApiPropertyOptional({ example: 1, type: 'integer', description: 'page, from 1 (0 or below = 1)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'p must be an integer (pages count from 1)' })
  @Max(100_000, { message: 'p must be at most 100000' })
  p?: number;

  @ApiPropertyOptional({ example: 20, type: 'integer', description: `page size, default ${PAGE_SIZE.default} (also for 0 or below), at most ${PAGE_SIZE.max}` })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'size must be an integer' })
  size?: number;

  @ApiPropertyOptional({ example: 20, type: 'integer', description: 'page size (new-api\'s name; wins over size)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'page_size must be an integer' })
  page_size?: number;

  @ApiPropertyOptional({ type: 'integer', description: "admins only: another user's tokens (the caller's own when left out)" })
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
    description: 'the full key (exact), a fragment of its first 8 or last 4 characters, a longer start or end of it, or its masked form; a leading sk- is ignored',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token?: string;

  @ApiPropertyOptional({ type: 'integer', description: "admins only: another user's tokens (the caller's own when left out)" })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'user_id must be a user id' })
  @Min(1, { message: 'user_id must be a user id' })
  user_id?: number;
}
