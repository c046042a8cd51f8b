import { applyDecorators, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiTokenAuthenticated } from '../common/auth/auth.decorators';
import { openAiRef, type OpenAiSchemaName } from './openai-schemas';
import { RelayRequest, RelayService } from './relay.service';

/** A relayed POST route in OpenAPI: its request schema, its JSON answer, its stream events (when it streams), its refusals. */
function RelayRoute(request: OpenAiSchemaName, answer: OpenAiSchemaName, streamEvent?: OpenAiSchemaName) {
  return applyDecorators(
    ApiBody({ schema: openAiRef(request) }),
    ApiOkResponse({
      description: streamEvent ? 'the answer as JSON, or with stream: true an event stream (text/event-stream) of chunks' : 'the answer',
      content: {
        'application/json': { schema: openAiRef(answer) },
        ...(streamEvent ? { 'text/event-stream': { schema: openAiRef(streamEvent) } } : {}),
      },
    }),
    ApiBadRequestResponse({ description: 'malformed JSON, no model, or a field the relay reads is invalid (invalid_request); other upstream 4xx answers are passed through' }),
    ApiPayloadTooLargeResponse({ description: 'body over BODY_LIMIT' }),
    ApiNotFoundResponse({ description: 'the model does not exist or is not priced (model_not_found)' }),
    ApiTooManyRequestsResponse({ description: "the token's or its owner's quota does not cover the request (insufficient_quota), or every upstream key is rate limited" }),
    ApiBadGatewayResponse({ description: 'the upstream failed or could not be reached (upstream_error)' }),
    ApiServiceUnavailableResponse({ description: 'no enabled upstream key serves the model for the token groups (no_available_key), or the upstream refused every key' }),
  );
}

/** The transport-neutral request of an Express request (`req.ip` honours `TRUST_PROXY`). */
function relayRequestOf(req: Request): RelayRequest {
  return { headers: req.headers, body: req.body, ip: req.ip ?? req.socket.remoteAddress ?? '', id: String((req as Request & { id?: unknown }).id ?? '') };
}

/**
 * The OpenAI-compatible relay under `/v1`. The POST routes are normally served by the
 * HTTP fast path (RelayHttpHandler) before Express and Nest see them; this controller documents
 * them in OpenAPI and serves them when `RELAY_FAST_PATH=false`. Public for the global guard: the relay
 * authenticates the `sk-` API token itself (`Authorization: Bearer` or `x-api-key`). Bodies pass
 * through unvalidated apart from what metering needs; errors in OpenAI's `{error:{message,type,code}}`.
 * OpenAPI names each operation as OpenAI's document does (`createChatCompletion`...).
 */
@ApiTags('Relay')
@ApiTokenAuthenticated()
@ApiUnauthorizedResponse({ description: 'missing or invalid API key; the token is disabled or expired, or its owner disabled or deleted' })
@ApiForbiddenResponse({ description: "client IP not in the token's allowed IPs, its group not one its owner may use, or the model outside its model limits" })
@Controller('v1')
export class RelayController {
  constructor(private readonly relay: RelayService) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({ operationId: 'createChatCompletion', summary: 'Chat completion (JSON, or SSE with stream: true), metered against the token' })
  @RelayRoute('CreateChatCompletionRequest', 'CreateChatCompletionResponse', 'CreateChatCompletionStreamResponse')
  chat(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('chat/completions', relayRequestOf(req), res);
  }

  @Post('completions')
  @HttpCode(200)
  @ApiOperation({ operationId: 'createCompletion', summary: 'Legacy text completion (JSON or SSE), metered against the token' })
  @RelayRoute('CreateCompletionRequest', 'CreateCompletionResponse', 'CreateCompletionResponse')
  completions(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('completions', relayRequestOf(req), res);
  }

  @Post('embeddings')
  @HttpCode(200)
  @ApiOperation({ operationId: 'createEmbedding', summary: 'Embeddings, metered against the token (input tokens only)' })
  @RelayRoute('CreateEmbeddingRequest', 'CreateEmbeddingResponse')
  embeddings(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('embeddings', relayRequestOf(req), res);
  }

  @Post('responses')
  @HttpCode(200)
  @ApiOperation({ operationId: 'createResponse', summary: 'Responses API (JSON, or SSE with stream: true), metered against the token' })
  @RelayRoute('CreateResponse', 'ResponseObject', 'ResponseStreamEvent')
  responses(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.relay.relay('responses', relayRequestOf(req), res);
  }

  @Get('models/:id')
  @ApiOperation({ operationId: 'retrieveModel', summary: 'One model the token may use (404 model_not_found otherwise)' })
  @ApiParam({ name: 'id', description: 'model name', example: 'gpt-3.5-turbo' })
  @ApiOkResponse({ schema: openAiRef('Model') })
  @ApiNotFoundResponse({ description: 'not a model the token may use (model_not_found)' })
  model(@Req() req: Request, @Param('id') id: string): ReturnType<RelayService['model']> {
    return this.relay.model(relayRequestOf(req), id);
  }

  @Get('models')
  @ApiOperation({ operationId: 'listModels', summary: 'Models the token may use: allowed by its model limits, served by a key of its groups, priced' })
  @ApiOkResponse({ schema: openAiRef('ListModelsResponse') })
  models(@Req() req: Request): ReturnType<RelayService['models']> {
    return this.relay.models(relayRequestOf(req));
  }
}
