import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches, ValidateNested } from 'class-validator';

const toStringValue = ({ value }: { value: unknown }) => (typeof value === 'number' ? String(value) : value);
const PRICE = /^\d{1,12}(\.\d{1,6})?$/;

/** One model's price: USD per 1,000,000 tokens, as a number or decimal string with at most 6 places. */
export class PriceInputDto {
  @ApiProperty({ example: 'gpt-3.5-turbo' })
  @IsString()
  @Length(1, 128)
  @Matches(/\S/, { message: 'model must not be blank' })
  model: string;

  /** USD per 1M input (prompt) tokens. */
  @ApiProperty({ example: '2', type: String })
  @Transform(toStringValue)
  @IsString({ message: 'input must be a non-negative number of USD per 1M tokens' })
  @Matches(PRICE, { message: 'input must be a non-negative number of USD per 1M tokens with at most 6 decimal places' })
  input: string;

  /** USD per 1M output (completion) tokens. */
  @ApiProperty({ example: '2', type: String })
  @Transform(toStringValue)
  @IsString({ message: 'output must be a non-negative number of USD per 1M tokens' })
  @Matches(PRICE, { message: 'output must be a non-negative number of USD per 1M tokens with at most 6 decimal places' })
  output: string;
}

/** `PUT /1/prices`: adds or replaces the listed models' prices; others stay. */
export class PutPricesDto {
  @ApiProperty({ type: [PriceInputDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => PriceInputDto)
  prices: PriceInputDto[];
}
