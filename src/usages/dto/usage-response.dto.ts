import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { UsageRecordEntity } from '../entities/usage-record.entity';
import { costToUnits, formatCost } from '../usage-cost';

/** One user's usage over a range: seed 003's `GET /1/usages` element, exactly these three fields. */
export class UserUsageDto {
  /** USD, 6 decimals, rounded half up. */
  @ApiProperty({ example: '0.000110' })
  cost: string;

  @ApiProperty({ example: 1, type: 'integer' })
  userId: number;

  /** Total tokens (prompt + completion). */
  @ApiProperty({ example: 55, type: 'integer' })
  totalUnit: number;
}

/** Usage of one day (UTC, or local to `tz`) and model (summed over tokens, and over users unless filtered). */
export class DailyUsageDto {
  @ApiProperty({ example: '2023-03-18', format: 'date', description: 'YYYY-MM-DD, UTC or local to tz' })
  day: string;

  @ApiProperty({ example: 'gpt-3.5-turbo' })
  model: string;

  @ApiProperty({ example: 1, type: 'integer' })
  requests: number;

  @ApiProperty({ example: 40, type: 'integer' })
  promptTokens: number;

  @ApiProperty({ example: 15, type: 'integer' })
  completionTokens: number;

  @ApiProperty({ example: 55, type: 'integer' })
  totalTokens: number;

  /** USD, 6 decimals, rounded half up. */
  @ApiProperty({ example: '0.000110' })
  cost: string;

  /** Quota units charged (500,000 = 1 USD). */
  @ApiProperty({ example: 55, type: 'integer' })
  quota: number;
}

/** One raw usage record (a relayed request): tokens, cost in USD, quota units, HTTP status, latency in ms. */
export class UsageLogDto {
  @ApiProperty({ example: 1234, type: 'integer' })
  id: number;

  @ApiProperty({ example: 2, type: 'integer' })
  userId: number;

  /** The API token; null when the user relayed with its own access token. */
  @ApiProperty({ example: 3, nullable: true, type: 'integer' })
  tokenId: number | null;

  @ApiProperty({ example: 1, nullable: true, type: 'integer' })
  keyId: number | null;

  @ApiProperty({ example: 'gpt-3.5-turbo' })
  model: string;

  @ApiProperty({ example: 40, type: 'integer' })
  promptTokens: number;

  @ApiProperty({ example: 15, type: 'integer' })
  completionTokens: number;

  @ApiProperty({ example: 55, type: 'integer' })
  totalTokens: number;

  /** Prompt tokens served from the provider's cache (part of promptTokens, billed at the cached-input price). */
  @ApiProperty({ example: 0, type: 'integer' })
  cachedTokens: number;

  /** Reasoning tokens (part of completionTokens, billed as output). */
  @ApiProperty({ example: 0, type: 'integer' })
  reasoningTokens: number;

  /** USD, 6 decimals, rounded half up. */
  @ApiProperty({ example: '0.000110' })
  cost: string;

  /** USD, the stored 10 decimals. */
  @ApiProperty({ example: '0.0001100000' })
  costUsd: string;

  /** Quota units charged (0 when refunded). */
  @ApiProperty({ example: 55, type: 'integer' })
  quota: number;

  @ApiProperty({ example: 200, type: 'integer' })
  statusCode: number;

  @ApiProperty({ example: false })
  isStream: boolean;

  @ApiProperty({ example: 840, type: 'integer' })
  latencyMs: number;

  @ApiProperty({ example: '203.0.113.7' })
  ip: string;

  @ApiProperty({ example: 'req-5f1c' })
  requestId: string;

  @ApiProperty({ example: '2023-03-18T10:15:00.000Z', format: 'date-time' })
  createdAt: string;
}

/** A page of `/1/usages/logs`, newest first: `{items, nextCursor, page, size}`. */
export class UsageLogPageDto {
  @ApiProperty({ type: UsageLogDto, isArray: true })
  items: UsageLogDto[];

  /** Pass as `cursor` for the next (older) page; null on the last page. */
  @ApiPropertyOptional({ example: 1215, nullable: true, type: 'integer' })
  nextCursor: number | null;

  /** The page number when paginating by `p`; null with `cursor`. */
  @ApiPropertyOptional({ example: 1, nullable: true, type: 'integer' })
  page: number | null;

  @ApiProperty({ example: 20, type: 'integer' })
  size: number;
}

/** Maps a record entity to its wire form: `cost` USD with 6 places, `costUsd` with 10, quota units, `createdAt` ISO-8601 UTC. */
export function toUsageLog(r: UsageRecordEntity): UsageLogDto {
  const units = costToUnits(r.costUsd);
  return {
    id: r.id,
    userId: r.userId,
    tokenId: r.tokenId,
    keyId: r.keyId,
    model: r.model,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    totalTokens: r.totalTokens,
    cachedTokens: r.cachedTokens,
    reasoningTokens: r.reasoningTokens,
    cost: formatCost(units),
    costUsd: formatCost(units, 10),
    quota: r.quota,
    statusCode: r.statusCode,
    isStream: Boolean(r.isStream),
    latencyMs: r.latencyMs,
    ip: r.ip,
    requestId: r.requestId,
    createdAt: r.createdAt.toISOString(),
  };
}
