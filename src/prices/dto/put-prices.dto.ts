import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Length, Matches, ValidateBy, ValidateNested } from 'class-validator';
import { isPriceString } from '../cost';

const toStringValue = ({ value }: { value: unknown }) => (typeof value === 'number' ? String(value) : value);

/** A price field: a string {@link isPriceString} accepts (0 to 1,000,000 USD per 1M tokens, at most 6 places). */
function IsPrice(): PropertyDecorator {
  return ValidateBy({
    name: 'isPrice',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isPriceString(value),
      defaultMessage: (args) => `${args?.property} must be a number of USD per 1M tokens from 0 to 1000000 with at most 6 decimal places`,
    },
  });
}

/** One model's price: USD per 1,000,000 tokens (0 to 1,000,000), as a number or decimal string with at most 6 places. */
export class PriceInputDto {
  @ApiProperty({ example: 'gpt-3.5-turbo' })
  @IsString()
  @Length(1, 128)
  @Matches(/\S/, { message: 'model must not be blank' })
  model: string;

  /** USD per 1M input (prompt) tokens. */
  @ApiProperty({ example: '2', type: String })
  @Transform(toStringValue)
  @IsPrice()
  input: string;

  /** USD per 1M output (completion) tokens; reasoning tokens are billed as output. */
  @ApiProperty({ example: '2', type: String })
  @Transform(toStringValue)
  @IsPrice()
  output: string;

  /** USD per 1M cached input tokens (prompt tokens the provider served from its cache); omitted = the input price. */
  @ApiPropertyOptional({ example: '1', type: String })
  @IsOptional()
  @Transform(toStringValue)
  @IsPrice()
  cached_input?: string;
}

/**
 * `PUT /1/prices`: adds or replaces the listed models' prices; others stay. Each item must be an
 * object: `@ValidateNested` alone passes an array item (`[[]]`) through unchecked.
 */
export class PutPricesDto {
  @ApiProperty({ type: [PriceInputDto] })
  @IsArray()
  @IsObject({ each: true, message: 'prices must be an array of {model, input, output} objects' })
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => PriceInputDto)
  prices: PriceInputDto[];
}
