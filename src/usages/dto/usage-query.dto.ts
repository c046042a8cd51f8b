import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { toInt } from '../../common/http/int-transform';

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DATE_MESSAGE = '$property must be a date YYYY-MM-DD';

/**
 * `?from&to&tz`: dates, `from` inclusive, `to` exclusive, local to `tz` (default `USAGE_TZ`, else
 * UTC); both missing = the current month, `from` alone = up to the end of today.
 */
export class UsageRangeQueryDto {
  /** First day, inclusive. Default: first day of the current month. */
  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsString()
  @Matches(DATE_PATTERN, { message: DATE_MESSAGE })
  from?: string;

  /**
   * Day after the last, exclusive. Default: the day after today when `from` is given, else the first
   * day of the next month. At most 366 days after `from`.
   */
  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsString()
  @Matches(DATE_PATTERN, { message: DATE_MESSAGE })
  to?: string;

  /**
   * UTC offset the days of `from`/`to` are in (`+08:00`, `-05:00`, `Z`; default `USAGE_TZ`, else UTC).
   * The rollup reports (`/1/usages`, `/1/me/usages`, `/1/usages/daily`) take whole hours only (400
   * for `+05:30`); `/1/usages/logs` and `/1/usages/export` (raw records) take any offset.
   */
  @ApiPropertyOptional({ example: '+08:00' })
  @IsOptional()
  @IsString()
  tz?: string;
}

/**
 * `GET /1/usages`: the range, and (admins) one user. A common user passing another user's id gets 403.
 */
export class UsageSummaryQueryDto extends UsageRangeQueryDto {
  /** Only this user (admins); common users may pass only their own id. */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  user_id?: number;
}

/** `GET /1/usages/daily` filters. */
export class UsageDailyQueryDto extends UsageSummaryQueryDto {
  /** Only this API token. */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  token_id?: number;

  /** Only this model (exact name). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  model?: string;
}

/**
 * `GET /1/usages/logs`: filters, then keyset (`cursor` = the `nextCursor` of the previous page,
 * records with a smaller id) or page (`p` from 1) pagination, newest first. `from`/`to` are optional here:
 * without them the whole retained history is listed.
 */
export class UsageLogsQueryDto extends UsageDailyQueryDto {
  /** HTTP status the client got (200, 429, 499, ...). */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(599)
  status?: number;

  /** Page number from 1 (ignored when `cursor` is given). Deep pages cost an offset; prefer `cursor`. */
  @ApiPropertyOptional({ example: 1, default: 1, type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  p?: number;

  /** Page size, 1..100 (default 20). */
  @ApiPropertyOptional({ example: 20, default: 20, type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  size?: number;

  /** Records with an id below this one (the previous page's `nextCursor`). */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  cursor?: number;
}

/** `GET /1/usages/export` query: the `/logs` filters plus the format (only `csv`). */
export class UsageExportQueryDto extends UsageDailyQueryDto {
  @ApiPropertyOptional({ example: 'csv', default: 'csv', enum: ['csv'] })
  @IsOptional()
  @IsIn(['csv'])
  format?: 'csv';

  /** HTTP status the client got. */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(599)
  status?: number;
}
