import { Controller, Get, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse, getSchemaPath } from '@nestjs/swagger';
import { BEARER_SCHEME, Public } from '../common/auth/auth.decorators';
import { extractBearerToken } from '../common/auth/bearer-token';
import { ApiEnvelope, ok } from '../common/http/api-envelope';
import { TokenUsageResponseDto } from './dto/token-usage-response.dto';
import { TokensService } from './tokens.service';

/**
 * `GET /api/usage/token`: called with the API token itself (`Authorization: Bearer sk-…`), not a
 * user token, so it is `@Public()` for the global guard (no `New-Api-User`) and the tokens service
 * authenticates the key by its hash.
 */
@ApiTags('Tokens')
@ApiExtraModels(ApiEnvelope, TokenUsageResponseDto)
@Controller('api/usage')
export class TokenUsageController {
  constructor(private readonly tokens: TokensService) {}

  @Get('token')
  @Public()
  @ApiBearerAuth(BEARER_SCHEME)
  @ApiOperation({ summary: "The presented sk- token's quota: granted, used, available, limits, expiry" })
  @ApiOkResponse({ schema: { allOf: [{ $ref: getSchemaPath(ApiEnvelope) }, { properties: { data: { $ref: getSchemaPath(TokenUsageResponseDto) } } }] } })
  @ApiUnauthorizedResponse({ description: 'missing or unknown API token' })
  async usage(@Headers('authorization') authorization?: string): Promise<ApiEnvelope<TokenUsageResponseDto>> {
    return ok(await this.tokens.usageOf(extractBearerToken(authorization)));
  }
}
