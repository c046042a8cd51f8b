import { ApiProperty } from '@nestjs/swagger';
import { formatPrice, ModelPrice } from '../cost';

/** A model's price in USD per 1,000,000 tokens (decimal strings). */
export class PriceResponseDto {
  @ApiProperty({ example: 'gpt-3.5-turbo' })
  model: string;

  @ApiProperty({ example: '2', description: 'USD per 1M input tokens' })
  input: string;

  @ApiProperty({ example: '2', description: 'USD per 1M output tokens (reasoning tokens included)' })
  output: string;

  @ApiProperty({ example: '1', nullable: true, type: String, description: 'USD per 1M cached input tokens; null = the input price' })
  cached_input: string | null;

  @ApiProperty({ example: '2025-11-22T00:00:00.000Z', format: 'date-time' })
  updatedAt: string;
}

/** A stored price → wire object: `input`/`output` USD per 1M tokens as plain decimal strings (`"2.5"`), `updatedAt` ISO-8601 UTC. */
export function toPriceResponse(price: ModelPrice, updatedAt: Date): PriceResponseDto {
  return {
    model: price.model,
    input: formatPrice(price.inputMicro),
    output: formatPrice(price.outputMicro),
    cached_input: price.cachedMicro === undefined ? null : formatPrice(price.cachedMicro),
    updatedAt: new Date(updatedAt).toISOString(),
  };
}
