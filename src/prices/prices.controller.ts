import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/auth.decorators';
import { MessageResponseDto } from '../users/dto/user-response.dto';
import { PriceResponseDto } from './dto/price-response.dto';
import { PutPricesDto } from './dto/put-prices.dto';
import { PricesService } from './prices.service';

/** Model prices under `/1/`: any user reads them, admins change them. */
@ApiTags('Prices')
@Controller('1/prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ operationId: 'listPrices', summary: 'Model prices in USD per 1M input and output tokens' })
  @ApiOkResponse({ type: PriceResponseDto, isArray: true })
  list(): Promise<PriceResponseDto[]> {
    return this.prices.list();
  }

  @Put()
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'setPrices', summary: 'Add or replace model prices (others stay); returns the whole table' })
  @ApiOkResponse({ type: PriceResponseDto, isArray: true })
  put(@Body() dto: PutPricesDto): Promise<PriceResponseDto[]> {
    return this.prices.put(dto.prices);
  }

  @Delete(':model')
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'deletePrice', summary: "Remove a model's price (the model then uses DEFAULT_MODEL_PRICE or is refused)" })
  @ApiParam({ name: 'model', description: 'model name, URL-encoded', example: 'gpt-4o-mini' })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiNotFoundResponse({ description: 'the model has no price' })
  async remove(@Param('model') model: string): Promise<MessageResponseDto> {
    await this.prices.remove(model);
    return { message: 'ok' };
  }
}
