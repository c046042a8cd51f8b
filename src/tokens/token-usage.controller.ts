import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse, getSchemaPath } from '@nestjs/swagger';
import { ApiTokenAuthenticated, BearerCredential } from '../common/auth/auth.decorators';
import { ApiEnvelope, ok } from '../common/http/api-envelope';
import { TokenUsageResponseDto } from './dto/token-usage-response.dto';
import { TokensService } from './tokens.service';

/**
 * `GET /api/usage/token`: called with the API token itself (`Authorization: Bearer sk-…`), not a
 * user token, so it is public for the global guard (no `New-Api-User`) and the tokens service
 * authenticates the key by its hash (the `apiToken` security scheme in OpenAPI).
 */
@ApiTags('Tokens')
@ApiExtraModels(ApiEnvelope, TokenUsageResponseDto)
@Controller('api/usage')
export class TokenUsageController {
  constructor(private readonly tokens: TokensService) {}

  @Get('token')
  @ApiTokenAuthenticated()
  @ApiOperation({ operationId: 'getTokenUsage', summary: "The presented sk- token's quota: granted, used, available, limits, expiry" })
  @ApiOkResponse({ schema: { allOf: [{ $ref: getSchemaPath(ApiEnvelope) }, { type: 'object', required: ['data'], properties: { data: { $ref: getSchemaPath(TokenUsageResponseDto) } } }] } })
  @ApiUnauthorizedResponse({ description: 'missing or unknown API token' })
  async usage(@BearerCredential() key: string | undefined): Promise<ApiEnvelope<TokenUsageResponseDto>> {
    return ok(await this.tokens.usageOf(key));
  }
}
