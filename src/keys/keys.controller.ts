import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/auth.decorators';
import { MessageResponseDto } from '../users/dto/user-response.dto';
import { CreateKeyDto } from './dto/create-key.dto';
import { KeyResponseDto } from './dto/key-response.dto';
import { UpdateKeyDto } from './dto/update-key.dto';
import { KeysService } from './keys.service';

const ID_PARAM = { name: 'id', type: 'integer', description: 'upstream key id (GET /1/keys lists them)' } as const;

/** Seed 003's upstream key routes under `/1/`, admin only; keys always masked. */
@ApiTags('Keys')
@Controller('1/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'listKeys', summary: 'All upstream keys (masked)' })
  @ApiOkResponse({ type: KeyResponseDto, isArray: true })
  list(): Promise<KeyResponseDto[]> {
    return this.keys.list();
  }

  @Post()
  @Authenticated({ admin: true })
  @HttpCode(200)
  @ApiOperation({ operationId: 'createKey', summary: 'Add an upstream key (seed 003 body; endpoint "" = the OpenAI default; opencatd\'s azure.<resource> names)' })
  @ApiBody({
    type: CreateKeyDto,
    examples: {
      seed003: { summary: 'seed 003', value: { key: 'sk-zsbdzsbdzsbdzsbdzsbdzsbdzsbd', name: 'key', api_type: 'openai', endpoint: '' } },
      opencatdAzure: { summary: "opencatd's Azure convention (doc/azure.md)", value: { key: '0123456789abcdef0123456789abcdef', name: 'azure.my-resource' } },
      azure: {
        summary: 'Azure OpenAI, with routing fields',
        value: { key: '0123456789abcdef0123456789abcdef', name: 'azure-east', api_type: 'azure_openai', endpoint: 'https://my-resource.openai.azure.com', api_version: '2024-10-21', deployments: { 'gpt-4o': 'gpt4o-prod' }, models: ['gpt-4o'], group: 'default', priority: 10, weight: 1 },
      },
    },
  })
  @ApiOkResponse({ type: KeyResponseDto })
  @ApiConflictResponse({ description: 'another key has this name or this key' })
  create(@Body() dto: CreateKeyDto): Promise<KeyResponseDto> {
    return this.keys.create(dto);
  }

  @Patch(':id')
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'updateKey', summary: 'Change any field of a key; status 1 enables (clears last_error), 2 disables' })
  @ApiParam(ID_PARAM)
  @ApiBody({
    type: UpdateKeyDto,
    examples: {
      disable: { summary: 'disable', value: { status: 2 } },
      enable: { summary: 'enable (clears last_error)', value: { status: 1 } },
      route: { summary: 'serve only some models, first', value: { models: ['gpt-4o', 'gpt-4o-mini'], priority: 10 } },
    },
  })
  @ApiOkResponse({ type: KeyResponseDto })
  @ApiNotFoundResponse({ description: 'no such key' })
  @ApiConflictResponse({ description: 'another key has this name or this key' })
  update(@Param('id', IdParamPipe) id: number, @Body() dto: UpdateKeyDto): Promise<KeyResponseDto> {
    return this.keys.update(id, dto);
  }

  @Delete(':id')
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'deleteKey', summary: 'Delete an upstream key' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiNotFoundResponse({ description: 'no such key' })
  async remove(@Param('id', IdParamPipe) id: number): Promise<MessageResponseDto> {
    await this.keys.remove(id);
    return { message: 'ok' };
  }
}
