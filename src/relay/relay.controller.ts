import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BEARER_SCHEME, Public } from '../common/auth/auth.decorators';
import { RelayRequest, RelayService } from './relay.service';

/** The transport-neutral request of an Express request (`req.ip` honours `TRUST_PROXY`). */
function relayRequestOf(req: Request): RelayRequest {
  return { headers: req.headers, body: req.body, ip: req.ip ?? req.socket.remoteAddress ?? '', id: String((req as Request & { id?: unknown }).id ?? '') };
}

/**
 * The OpenAI-compatible relay under `/v1`. The POST routes are normally served by the
 * HTTP fast path (RelayHttpHandler) before Express and Nest see them; this controller documents
 * them in OpenAPI and serves them when `RELAY_FAST_PATH=false`. `@Public()` for the global guard: the relay
 * authenticates the `sk-` API token itself (`Authorization: Bearer` or `x-api-key`). Bodies pass
 * through unvalidated apart from what metering needs; errors in OpenAI's `{error:{message,type,code}}`.
 */
@ApiTags('Relay')
@ApiBearerAuth(BEARER_SCHEME)
@Public()
@Controller('v1')
export class RelayController {
  constructor(private readonly relay: RelayService) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Chat completion (JSON, or SSE with stream: true), metered against the token' })
  @ApiBody({ schema: { type: 'object', example: { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Hello' }] } } })
  chat(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('chat/completions', relayRequestOf(req), res);
  }

  @Post('completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Legacy text completion (JSON or SSE), metered against the token' })
  @ApiBody({ schema: { type: 'object', example: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' } } })
  completions(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('completions', relayRequestOf(req), res);
  }

  @Post('embeddings')
  @HttpCode(200)
  @ApiOperation({ summary: 'Embeddings, metered against the token (input tokens only)' })
  @ApiBody({ schema: { type: 'object', example: { model: 'text-embedding-3-small', input: 'hello' } } })
  embeddings(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('embeddings', relayRequestOf(req), res);
  }

  @Post('responses')
  @HttpCode(200)
  @ApiOperation({ summary: 'Responses API (JSON, or SSE with stream: true), metered against the token' })
  @ApiBody({ schema: { type: 'object', example: { model: 'gpt-4o', input: 'Say hello', max_output_tokens: 100 } } })
  responses(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('responses', relayRequestOf(req), res);
  }

  @Get('models/:id')
  @ApiOperation({ summary: 'One model the token may use (404 model_not_found otherwise)' })
  @ApiOkResponse({ schema: { example: { id: 'gpt-3.5-turbo', object: 'model', created: 0, owned_by: 'tollgate' } } })
  model(@Req() req: Request, @Param('id') id: string): ReturnType<RelayService['model']> {
    return this.relay.model(relayRequestOf(req), id);
  }

  @Get('models')
  @ApiOperation({ summary: 'Models the token may use: allowed by its model limits, served by a key of its groups, priced' })
  @ApiOkResponse({ schema: { example: { object: 'list', data: [{ id: 'gpt-3.5-turbo', object: 'model', created: 0, owned_by: 'tollgate' }] } } })
  models(@Req() req: Request): ReturnType<RelayService['models']> {
    return this.relay.models(relayRequestOf(req));
  }
}
