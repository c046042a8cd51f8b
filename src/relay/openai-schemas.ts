import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';

/** The names of {@link OPENAI_SCHEMAS}, as in OpenAI's OpenAPI document (`ResponseObject` is its `Response`). */
export type OpenAiSchemaName =
  | 'ChatCompletionContentPart'
  | 'ChatCompletionMessageToolCall'
  | 'ChatCompletionRequestMessage'
  | 'ChatCompletionTool'
  | 'CreateChatCompletionRequest'
  | 'CompletionUsage'
  | 'ChatCompletionResponseMessage'
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateCompletionRequest'
  | 'CreateCompletionResponse'
  | 'CreateEmbeddingRequest'
  | 'Embedding'
  | 'CreateEmbeddingResponse'
  | 'CreateResponse'
  | 'ResponseUsage'
  | 'ResponseOutputItem'
  | 'ResponseObject'
  | 'ResponseStreamEvent'
  | 'Model'
  | 'ListModelsResponse';

/** `$ref` to one of {@link OPENAI_SCHEMAS}. */
export function openAiRef(name: OpenAiSchemaName): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

const integer = (description?: string, example?: number): SchemaObject => ({ type: 'integer', ...(description ? { description } : {}), ...(example !== undefined ? { example } : {}) });
const string = (description?: string, example?: string): SchemaObject => ({ type: 'string', ...(description ? { description } : {}), ...(example !== undefined ? { example } : {}) });
const nullableString = (description?: string): SchemaObject => ({ type: 'string', nullable: true, ...(description ? { description } : {}) });
const number = (description: string, minimum?: number, maximum?: number): SchemaObject => ({ type: 'number', description, ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const unixSeconds = (example = 1700000000): SchemaObject => integer('unix seconds', example);
const stop: SchemaObject = {
  description: 'up to 4 sequences where the model stops',
  oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 4 }],
};
const streamOptions: SchemaObject = {
  type: 'object',
  description: 'with stream: true; Tollgate always asks the upstream for usage (to meter it) and passes the usage event on only when include_usage is true',
  properties: { include_usage: { type: 'boolean' } },
};
const looseObject: SchemaObject = { type: 'object', additionalProperties: true };

/**
 * The OpenAI request and answer bodies of the relay's routes, as OpenAPI 3.0 schemas named after
 * OpenAI's own OpenAPI document (openai/openai-openapi). They list the fields clients use; the
 * relay passes every other field through to the upstream unchanged (`additionalProperties`), so
 * a request with newer OpenAI parameters is still valid. Added to the document's components by
 * the OpenAPI builder (openapi-document.ts).
 */
export const OPENAI_SCHEMAS: Record<OpenAiSchemaName, SchemaObject> = {
  ChatCompletionContentPart: {
    type: 'object',
    description: 'a part of a multi-part message: text, an image URL (or data: URL), audio or a file',
    required: ['type'],
    additionalProperties: true,
    properties: {
      type: { type: 'string', enum: ['text', 'image_url', 'input_audio', 'file'] },
      text: string('with type text'),
      image_url: {
        type: 'object',
        description: 'with type image_url',
        required: ['url'],
        properties: { url: string('https: or data: URL'), detail: { type: 'string', enum: ['auto', 'low', 'high'] } },
      },
    },
  },
  ChatCompletionMessageToolCall: {
    type: 'object',
    required: ['id', 'type', 'function'],
    properties: {
      id: string(undefined, 'call_abc123'),
      type: { type: 'string', enum: ['function'] },
      function: {
        type: 'object',
        required: ['name', 'arguments'],
        properties: { name: string(), arguments: string('JSON text of the arguments') },
      },
    },
  },
  ChatCompletionRequestMessage: {
    type: 'object',
    description: 'one message of the conversation; content is text or (user messages) an array of parts',
    required: ['role'],
    additionalProperties: true,
    properties: {
      role: { type: 'string', enum: ['developer', 'system', 'user', 'assistant', 'tool', 'function'], example: 'user' },
      content: {
        description: 'text, or (user messages) an array of parts; null on an assistant message with tool_calls',
        oneOf: [{ type: 'string', nullable: true }, { type: 'array', items: openAiRef('ChatCompletionContentPart') }],
        example: 'Hello',
      },
      name: string('an optional participant name'),
      tool_calls: { type: 'array', items: openAiRef('ChatCompletionMessageToolCall'), description: 'assistant messages: the tool calls it made' },
      tool_call_id: string('tool messages: the call answered'),
    },
  },
  ChatCompletionTool: {
    type: 'object',
    required: ['type', 'function'],
    properties: {
      type: { type: 'string', enum: ['function'] },
      function: {
        type: 'object',
        required: ['name'],
        properties: {
          name: string(),
          description: string(),
          parameters: { ...looseObject, description: 'JSON Schema of the arguments' },
          strict: { type: 'boolean' },
        },
      },
    },
  },
  CreateChatCompletionRequest: {
    type: 'object',
    required: ['model', 'messages'],
    example: { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 100 },
    additionalProperties: true,
    properties: {
      model: string('a model the token may use (GET /v1/models)', 'gpt-3.5-turbo'),
      messages: { type: 'array', minItems: 1, items: openAiRef('ChatCompletionRequestMessage') },
      max_completion_tokens: { ...integer('completion tokens at most (reasoning included); reserved from the quota, else RELAY_DEFAULT_MAX_TOKENS'), minimum: 1 },
      max_tokens: { ...integer('older name of max_completion_tokens'), minimum: 1 },
      n: { ...integer('choices to generate'), minimum: 1, maximum: 128 },
      temperature: number('sampling temperature', 0, 2),
      top_p: number('nucleus sampling mass', 0, 1),
      presence_penalty: number('between -2 and 2', -2, 2),
      frequency_penalty: number('between -2 and 2', -2, 2),
      logit_bias: { type: 'object', additionalProperties: { type: 'integer' }, description: 'token id → bias from -100 to 100' },
      logprobs: { type: 'boolean' },
      top_logprobs: { ...integer(), minimum: 0, maximum: 20 },
      response_format: { ...looseObject, description: '{"type": "text" | "json_object" | "json_schema", ...}' },
      seed: integer(),
      stop,
      stream: { type: 'boolean', description: 'true: the answer is text/event-stream, one CreateChatCompletionStreamResponse per event, then [DONE]' },
      stream_options: streamOptions,
      tools: { type: 'array', items: openAiRef('ChatCompletionTool') },
      tool_choice: {
        description: '"none", "auto", "required", or {"type": "function", "function": {"name": …}}',
        oneOf: [{ type: 'string', enum: ['none', 'auto', 'required'] }, looseObject],
      },
      parallel_tool_calls: { type: 'boolean' },
      reasoning_effort: { type: 'string', enum: ['minimal', 'low', 'medium', 'high'] },
      user: string('an end-user id, passed on'),
    },
  },
  CompletionUsage: {
    type: 'object',
    required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
    properties: {
      prompt_tokens: integer(undefined, 5),
      completion_tokens: integer(undefined, 50),
      total_tokens: integer(undefined, 55),
      prompt_tokens_details: { type: 'object', properties: { cached_tokens: integer() } },
      completion_tokens_details: { type: 'object', properties: { reasoning_tokens: integer() } },
    },
  },
  ChatCompletionResponseMessage: {
    type: 'object',
    required: ['role', 'content'],
    properties: {
      role: { type: 'string', enum: ['assistant'] },
      content: nullableString(),
      refusal: nullableString(),
      tool_calls: { type: 'array', items: openAiRef('ChatCompletionMessageToolCall') },
    },
  },
  CreateChatCompletionResponse: {
    type: 'object',
    required: ['id', 'object', 'created', 'model', 'choices'],
    properties: {
      id: string(undefined, 'chatcmpl-abc123'),
      object: { type: 'string', enum: ['chat.completion'] },
      created: unixSeconds(),
      model: string(undefined, 'gpt-3.5-turbo'),
      choices: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'message', 'finish_reason'],
          properties: {
            index: integer(),
            message: openAiRef('ChatCompletionResponseMessage'),
            finish_reason: { type: 'string', nullable: true, enum: ['stop', 'length', 'tool_calls', 'content_filter', 'function_call', null] },
            logprobs: { ...looseObject, nullable: true },
          },
        },
      },
      usage: openAiRef('CompletionUsage'),
      system_fingerprint: string(),
      service_tier: nullableString(),
    },
  },
  CreateChatCompletionStreamResponse: {
    type: 'object',
    description: 'one `data:` event of a chat stream (the stream ends with `data: [DONE]`); the last chunk carries usage when stream_options.include_usage is true',
    required: ['id', 'object', 'created', 'model', 'choices'],
    properties: {
      id: string(),
      object: { type: 'string', enum: ['chat.completion.chunk'] },
      created: unixSeconds(),
      model: string(),
      choices: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'delta'],
          properties: {
            index: integer(),
            delta: {
              type: 'object',
              properties: {
                role: { type: 'string', enum: ['assistant'] },
                content: nullableString(),
                refusal: nullableString(),
                tool_calls: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['index'],
                    properties: {
                      index: integer(),
                      id: string(),
                      type: { type: 'string', enum: ['function'] },
                      function: { type: 'object', properties: { name: string(), arguments: string() } },
                    },
                  },
                },
              },
            },
            finish_reason: { type: 'string', nullable: true, enum: ['stop', 'length', 'tool_calls', 'content_filter', 'function_call', null] },
          },
        },
      },
      usage: { type: 'object', allOf: [openAiRef('CompletionUsage')], nullable: true },
      system_fingerprint: string(),
    },
  },
  CreateCompletionRequest: {
    type: 'object',
    required: ['model', 'prompt'],
    example: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 16 },
    additionalProperties: true,
    properties: {
      model: string(undefined, 'gpt-3.5-turbo-instruct'),
      prompt: {
        description: 'text, texts, or token ids',
        oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'array', items: { type: 'integer' } }, { type: 'array', items: { type: 'array', items: { type: 'integer' } } }],
        example: 'Say hi',
      },
      max_tokens: { ...integer('reserved from the quota, else RELAY_DEFAULT_MAX_TOKENS'), minimum: 1 },
      n: { ...integer(), minimum: 1, maximum: 128 },
      best_of: { ...integer(), minimum: 1 },
      temperature: number('sampling temperature', 0, 2),
      top_p: number('nucleus sampling mass', 0, 1),
      presence_penalty: number('between -2 and 2', -2, 2),
      frequency_penalty: number('between -2 and 2', -2, 2),
      logprobs: { ...integer(), nullable: true, minimum: 0, maximum: 5 },
      echo: { type: 'boolean' },
      suffix: nullableString(),
      seed: integer(),
      stop,
      stream: { type: 'boolean', description: 'true: the answer is text/event-stream, one CreateCompletionResponse per event, then [DONE]' },
      stream_options: streamOptions,
      user: string(),
    },
  },
  CreateCompletionResponse: {
    type: 'object',
    required: ['id', 'object', 'created', 'model', 'choices'],
    properties: {
      id: string(),
      object: { type: 'string', enum: ['text_completion'] },
      created: unixSeconds(),
      model: string(),
      choices: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'text', 'finish_reason'],
          properties: {
            index: integer(),
            text: string(),
            finish_reason: { type: 'string', nullable: true, enum: ['stop', 'length', 'content_filter', null] },
            logprobs: { ...looseObject, nullable: true },
          },
        },
      },
      usage: openAiRef('CompletionUsage'),
      system_fingerprint: string(),
    },
  },
  CreateEmbeddingRequest: {
    type: 'object',
    required: ['model', 'input'],
    example: { model: 'text-embedding-3-small', input: 'hello' },
    additionalProperties: true,
    properties: {
      model: string(undefined, 'text-embedding-3-small'),
      input: {
        description: 'text, texts, or token ids',
        oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'array', items: { type: 'integer' } }, { type: 'array', items: { type: 'array', items: { type: 'integer' } } }],
        example: 'hello',
      },
      encoding_format: { type: 'string', enum: ['float', 'base64'] },
      dimensions: { ...integer(), minimum: 1 },
      user: string(),
    },
  },
  Embedding: {
    type: 'object',
    required: ['object', 'index', 'embedding'],
    properties: {
      object: { type: 'string', enum: ['embedding'] },
      index: integer(),
      embedding: {
        description: 'floats, or base64 of little-endian float32 with encoding_format: base64',
        oneOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string' }],
      },
    },
  },
  CreateEmbeddingResponse: {
    type: 'object',
    required: ['object', 'data', 'model', 'usage'],
    properties: {
      object: { type: 'string', enum: ['list'] },
      data: { type: 'array', items: openAiRef('Embedding') },
      model: string(),
      usage: {
        type: 'object',
        required: ['prompt_tokens', 'total_tokens'],
        properties: { prompt_tokens: integer(), total_tokens: integer() },
      },
    },
  },
  CreateResponse: {
    type: 'object',
    description: 'a Responses API request',
    required: ['model'],
    example: { model: 'gpt-4o', input: 'Say hello', max_output_tokens: 100 },
    additionalProperties: true,
    properties: {
      model: string(undefined, 'gpt-4o'),
      input: {
        description: 'text, or an array of input items (messages, tool outputs…)',
        oneOf: [{ type: 'string' }, { type: 'array', items: looseObject }],
        example: 'Say hello',
      },
      instructions: nullableString('a system (developer) message'),
      max_output_tokens: { ...integer('output tokens at most (reasoning included); reserved from the quota, else RELAY_DEFAULT_MAX_TOKENS'), nullable: true, minimum: 1 },
      temperature: number('sampling temperature', 0, 2),
      top_p: number('nucleus sampling mass', 0, 1),
      stream: { type: 'boolean', description: 'true: the answer is text/event-stream of ResponseStreamEvent; response.completed carries the usage' },
      tools: { type: 'array', items: looseObject },
      tool_choice: { oneOf: [{ type: 'string', enum: ['none', 'auto', 'required'] }, looseObject] },
      parallel_tool_calls: { type: 'boolean' },
      previous_response_id: nullableString(),
      reasoning: { type: 'object', properties: { effort: { type: 'string', enum: ['minimal', 'low', 'medium', 'high'] } }, additionalProperties: true },
      text: looseObject,
      store: { type: 'boolean' },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
      user: string(),
    },
  },
  ResponseUsage: {
    type: 'object',
    required: ['input_tokens', 'output_tokens', 'total_tokens'],
    properties: {
      input_tokens: integer(),
      input_tokens_details: { type: 'object', properties: { cached_tokens: integer() } },
      output_tokens: integer(),
      output_tokens_details: { type: 'object', properties: { reasoning_tokens: integer() } },
      total_tokens: integer(),
    },
  },
  ResponseOutputItem: {
    type: 'object',
    description: 'an output item: a message (content of output_text parts), a function call, reasoning…',
    required: ['type'],
    additionalProperties: true,
    properties: {
      type: string(undefined, 'message'),
      id: string(),
      status: string(),
      role: { type: 'string', enum: ['assistant'] },
      content: {
        type: 'array',
        items: {
          type: 'object',
          required: ['type'],
          additionalProperties: true,
          properties: { type: string(undefined, 'output_text'), text: string(), annotations: { type: 'array', items: looseObject } },
        },
      },
    },
  },
  ResponseObject: {
    type: 'object',
    description: 'a Responses API response (named `Response` in OpenAI\'s document)',
    required: ['id', 'object', 'created_at', 'status', 'model', 'output'],
    additionalProperties: true,
    properties: {
      id: string(undefined, 'resp_abc123'),
      object: { type: 'string', enum: ['response'] },
      created_at: unixSeconds(),
      status: { type: 'string', enum: ['completed', 'failed', 'in_progress', 'cancelled', 'queued', 'incomplete'] },
      model: string(),
      output: { type: 'array', items: openAiRef('ResponseOutputItem') },
      usage: { type: 'object', allOf: [openAiRef('ResponseUsage')], nullable: true },
      error: { ...looseObject, nullable: true },
      incomplete_details: { ...looseObject, nullable: true },
    },
  },
  ResponseStreamEvent: {
    type: 'object',
    description: 'one event of a Responses API stream (`event: <type>` and `data: {...}`); response.completed carries the response with its usage',
    required: ['type'],
    additionalProperties: true,
    properties: {
      type: string(undefined, 'response.output_text.delta'),
      sequence_number: integer(),
      response: openAiRef('ResponseObject'),
      item_id: string(),
      output_index: integer(),
      content_index: integer(),
      delta: string(),
    },
  },
  Model: {
    type: 'object',
    required: ['id', 'object', 'created', 'owned_by'],
    properties: {
      id: string(undefined, 'gpt-3.5-turbo'),
      object: { type: 'string', enum: ['model'] },
      created: unixSeconds(0),
      owned_by: string(undefined, 'tollgate'),
    },
  },
  ListModelsResponse: {
    type: 'object',
    required: ['object', 'data'],
    properties: {
      object: { type: 'string', enum: ['list'] },
      data: { type: 'array', items: openAiRef('Model') },
    },
  },
};
