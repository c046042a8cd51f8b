import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { GracePeriodDto } from '../common/http/grace-period.dto';
import { IdParamPipe } from '../common/http/id-param.pipe';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  getSchemaPath,
  type SchemaObject,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ApiEnvelope, ok } from '../common/http/api-envelope';
import { BatchDeleteTokensDto, BatchRevealKeysDto, BatchUpdateTokensDto, MAX_REVEAL_IDS } from './dto/batch-tokens.dto';
import { CreateTokenDto } from './dto/create-token.dto';
import { ListTokensQueryDto, SearchTokensQueryDto } from './dto/token-query.dto';
import { TokenKeyDto, TokenKeysDto, TokenPageDto, TokenResponseDto } from './dto/token-response.dto';
import { UpdateTokenDto, UpdateTokenQueryDto } from './dto/update-token.dto';
import { REVEAL_LIMIT, RevealLimitsGuard } from './reveal-limits.guard';
import { TokensService } from './tokens.service';

const ID_PARAM = { name: 'id', type: 'integer', description: "token id, one of the caller's (GET /api/token lists them)" } as const;

/** `{success, message, data}` for Swagger, `data` (always sent on success) a `model`, an array of them, or the given schema. */
function envelopeOf(model: Function | SchemaObject, isArray = false) {
  const data = typeof model !== 'function' ? model : isArray ? { type: 'array', items: { $ref: getSchemaPath(model) } } : { $ref: getSchemaPath(model) };
  return { allOf: [{ $ref: getSchemaPath(ApiEnvelope) }, { type: 'object', required: ['data'], properties: { data } }] };
}

/**
 * new-api's token routes (seeds 000, 001, 002) under `/api/token/`, all scoped to the caller and
 * needing `New-Api-User`. The literal routes (`search`, `batch/keys`, `batch`) come before `:id`.
 */
@ApiTags('Tokens')
@ApiExtraModels(ApiEnvelope, TokenResponseDto, TokenPageDto, TokenKeyDto, TokenKeysDto)
@Controller('api/token')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @Authenticated({ newApiUserHeader: true })
  @ApiOperation({ operationId: 'listTokens', summary: "A page of the caller's tokens, newest first (keys masked); admins may pass user_id for another user's" })
  @ApiOkResponse({ schema: envelopeOf(TokenPageDto) })
  @ApiForbiddenResponse({ description: "user_id names another user and the caller is not an admin" })
  async list(@CurrentUser() principal: Principal, @Query() query: ListTokensQueryDto): Promise<ApiEnvelope<TokenPageDto>> {
    return ok(await this.tokens.list(principal, query));
  }

  @Get('search')
  @Authenticated({ newApiUserHeader: true })
  @ApiOperation({ operationId: 'searchTokens', summary: 'Search the caller\'s tokens by name (keyword) and key (token); at most 100, newest first' })
  @ApiOkResponse({ schema: envelopeOf(TokenResponseDto, true) })
  @ApiForbiddenResponse({ description: "user_id names another user and the caller is not an admin" })
  async search(@CurrentUser() principal: Principal, @Query() query: SearchTokensQueryDto): Promise<ApiEnvelope<TokenResponseDto[]>> {
    return ok(await this.tokens.search(principal, query));
  }

  @Post('batch/keys')
  @Authenticated({ newApiUserHeader: true })
  @UseGuards(RevealLimitsGuard)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'revealTokenKeys',
    summary: `Reveal the keys (without sk-) of up to ${MAX_REVEAL_IDS} own tokens, as new-api: data.keys maps id → key; others' ids are left out (shares reveal's ${REVEAL_LIMIT.limit} a minute; never cached)`,
  })
  @ApiOkResponse({ schema: envelopeOf(TokenKeysDto) })
  @ApiBadRequestResponse({ description: `ids missing, empty, not ids, or more than ${MAX_REVEAL_IDS}` })
  @ApiTooManyRequestsResponse({ description: `more than ${REVEAL_LIMIT.limit} reveals a minute (single and batch together)` })
  async revealMany(@CurrentUser() principal: Principal, @Body() dto: BatchRevealKeysDto): Promise<ApiEnvelope<TokenKeysDto>> {
    return ok(await this.tokens.revealKeys(principal, dto.ids));
  }

  @Post('batch')
  @Authenticated({ newApiUserHeader: true })
  @HttpCode(200)
  @ApiOperation({ operationId: 'deleteTokens', summary: 'Delete several of the caller\'s tokens in one transaction; data = number deleted' })
  @ApiOkResponse({ schema: envelopeOf({ type: 'integer', example: 3 }) })
  @ApiBadRequestResponse({ description: 'ids missing, empty, not ids, or more than 1000' })
  async removeMany(@CurrentUser() principal: Principal, @Body() dto: BatchDeleteTokensDto): Promise<ApiEnvelope<number>> {
    return ok(await this.tokens.removeMany(principal, dto.ids));
  }

  @Put('batch')
  @Authenticated({ newApiUserHeader: true })
  @ApiOperation({ operationId: 'updateTokens', summary: 'Seed 001: set the fields named in update_fields on several tokens, one transaction; data = rows changed' })
  @ApiBody({
    type: BatchUpdateTokensDto,
    examples: {
      seed001: {
        summary: "seed 001's example (comments removed)",
        value: {
          ids: [873, 869],
          group: 'default',
          expired_time: 1776410923,
          remain_quota: 0,
          unlimited_quota: true,
          model_limits: 'gpt-4o,gpt-4o-2024-11-20',
          model_limits_enabled: true,
          allow_ips: '192.168.1.1',
          mj_image_mode: 'origin',
          mj_custom_proxy: '',
          update_fields: ['group', 'expired_time', 'remain_quota', 'unlimited_quota', 'model_limits', 'allow_ips', 'mj_image_mode', 'mj_custom_proxy'],
        },
      },
    },
  })
  @ApiOkResponse({ schema: envelopeOf({ type: 'integer', example: 2 }) })
  @ApiBadRequestResponse({ description: 'a bad field, or a field named in update_fields missing' })
  async updateMany(@CurrentUser() principal: Principal, @Body() dto: BatchUpdateTokensDto): Promise<ApiEnvelope<number>> {
    return ok(await this.tokens.updateMany(principal, dto));
  }

  @Get(':id')
  @Authenticated({ newApiUserHeader: true })
  @ApiOperation({ operationId: 'getToken', summary: 'One of the caller\'s tokens in full (key masked)' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ schema: envelopeOf(TokenResponseDto) })
  @ApiNotFoundResponse({ description: 'token does not exist (also for another user\'s token)' })
  async get(@CurrentUser() principal: Principal, @Param('id', IdParamPipe) id: number): Promise<ApiEnvelope<TokenResponseDto>> {
    return ok(await this.tokens.get(principal, id));
  }

  @Post()
  @Authenticated({ newApiUserHeader: true })
  @HttpCode(200)
  @ApiOperation({ operationId: 'createToken', summary: 'Create a token (seed 002); no data, as seed 002 and new-api (the key comes from reveal)' })
  @ApiBody({
    type: CreateTokenDto,
    examples: {
      seed002: {
        summary: "seed 002's example, never expiring and from any address (the seed's expired_time, 2022-01-01, would make it expired at once)",
        value: {
          name: 'My API Token',
          expired_time: -1,
          remain_quota: 1000000,
          unlimited_quota: false,
          model_limits_enabled: true,
          model_limits: ['gpt-3.5-turbo', 'gpt-4'],
          allow_ips: '',
          group: 'default',
        },
      },
    },
  })
  @ApiOkResponse({ type: ApiEnvelope })
  @ApiBadRequestResponse({ description: 'a bad field ("token name is too long"), or the per-user token limit reached' })
  async create(@CurrentUser() principal: Principal, @Body() dto: CreateTokenDto): Promise<ApiEnvelope<never>> {
    await this.tokens.create(principal, dto);
    return { success: true, message: '' };
  }

  @Put()
  @Authenticated({ newApiUserHeader: true })
  @ApiOperation({ operationId: 'updateToken', summary: 'Update a token (seed 000\'s body verbatim); with ?status_only=true only status' })
  @ApiBody({
    type: UpdateTokenDto,
    examples: {
      seed000: {
        summary: "seed 000's example",
        value: {
          id: 194804,
          remain_quota: 250000000000,
          expired_time: -1,
          unlimited_quota: false,
          model_limits_enabled: false,
          model_limits: '',
          group: '',
          mj_image_mode: 'default',
          mj_custom_proxy: '',
          selected_groups: [],
          name: '令牌22名字',
          allow_ips: '',
        },
      },
      statusOnly: { summary: "seed 002's status-only example (with ?status_only=true)", value: { id: 123, status: 1 } },
    },
  })
  @ApiOkResponse({ schema: envelopeOf(TokenResponseDto) })
  @ApiBadRequestResponse({ description: 'a bad field, or enabling an expired/exhausted token (seed 002 messages)' })
  @ApiNotFoundResponse({ description: 'token does not exist' })
  async update(
    @CurrentUser() principal: Principal,
    @Query() query: UpdateTokenQueryDto,
    @Body() dto: UpdateTokenDto,
  ): Promise<ApiEnvelope<TokenResponseDto>> {
    return ok(await this.tokens.update(principal, dto, query.status_only === true));
  }

  @Delete(':id')
  @Authenticated({ newApiUserHeader: true })
  @ApiOperation({ operationId: 'deleteToken', summary: 'Delete one of the caller\'s tokens' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ApiEnvelope })
  @ApiNotFoundResponse({ description: 'token does not exist' })
  async remove(@CurrentUser() principal: Principal, @Param('id', IdParamPipe) id: number): Promise<ApiEnvelope<never>> {
    await this.tokens.remove(principal, id);
    return { success: true, message: '' };
  }

  @Post(':id/rotate')
  @Authenticated({ newApiUserHeader: true })
  @UseGuards(RevealLimitsGuard)
  @HttpCode(200)
  @ApiOperation({ operationId: 'rotateTokenKey', summary: 'Give one own token a new key (answered like reveal); the old key keeps working grace_seconds (at most a day), then stops on every instance' })
  @ApiParam(ID_PARAM)
  @ApiBody({ type: GracePeriodDto, required: false })
  @ApiOkResponse({ schema: envelopeOf(TokenKeyDto) })
  @ApiBadRequestResponse({ description: 'grace_seconds not an integer from 0 to 86400' })
  @ApiNotFoundResponse({ description: 'token does not exist' })
  @ApiTooManyRequestsResponse({ description: `more than ${REVEAL_LIMIT.limit} reveals and rotations a minute` })
  async rotate(@CurrentUser() principal: Principal, @Param('id', IdParamPipe) id: number, @Body() dto: GracePeriodDto): Promise<ApiEnvelope<TokenKeyDto>> {
    return ok(await this.tokens.rotate(principal, id, dto.grace_seconds ?? 0));
  }

  @Post(':id/key')
  @Authenticated({ newApiUserHeader: true })
  @UseGuards(RevealLimitsGuard)
  @HttpCode(200)
  @ApiOperation({ operationId: 'revealTokenKey', summary: `Reveal the key (without sk-, as new-api) of one own token (${REVEAL_LIMIT.limit} a minute per user with batch reveals; never cached)` })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ schema: envelopeOf(TokenKeyDto) })
  @ApiNotFoundResponse({ description: 'token does not exist' })
  @ApiTooManyRequestsResponse({ description: `more than ${REVEAL_LIMIT.limit} reveals a minute (single and batch together)` })
  async reveal(@CurrentUser() principal: Principal, @Param('id', IdParamPipe) id: number): Promise<ApiEnvelope<TokenKeyDto>> {
    return ok(await this.tokens.revealKey(principal, id));
  }
}
