import { ApiProperty } from '@nestjs/swagger';
import { formatPrice, parsePrice } from '../cost';
import type { PriceEntity } from '../entities/price.entity';

/** A model's price in USD per 1,000,000 tokens (decimal strings). */
export class PriceResponseDto {
  @ApiProperty({ example: 'gpt-3.5-turbo' })
  model: string;

  @ApiProperty({ example: '2', description: 'USD per 1M input tokens' })
  input: string;

  @ApiProperty({ example: '2', description: 'USD per 1M output tokens' })
  output: string;

  @ApiProperty({ example: '2025-11-22T00:00:00.000Z' })
  updatedAt: string;
}

function tidy(value: string | number): string {
  const s = String(value);
  return formatPrice(parsePrice(s.includes('e') ? Number(s).toFixed(6) : s));
}

/** Entity → wire object: `input`/`output` USD per 1M tokens as plain decimal strings (`"2.5"`), `updatedAt` ISO-8601 UTC. */
export function toPriceResponse(row: PriceEntity): PriceResponseDto {
  return { model: row.model, input: tidy(row.inputPerMillion), output: tidy(row.outputPerMillion), updatedAt: new Date(row.updatedAt).toISOString() };
}
