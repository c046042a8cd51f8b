/**
 * The client flow through openapi-fetch, typed by openapi-typescript from `/docs-json`: as root,
 * create a user; as that user, create an API token, list tokens, reveal its key; with the key, read
 * the token's usage, list models, chat through the relay (and meet a typed OpenAI error); then read
 * the usage reports. No casts and no `any`: every value comes typed from the generated schema.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/openapi-typescript/schema.js';
import { eventually, expectData, FlowResult, runFlow } from './flow-io.js';

type ChatCompletion = components['schemas']['CreateChatCompletionResponse'];

runFlow(async ({ baseUrl, rootToken, model, userName }): Promise<FlowResult> => {
  // The JSON media type: the chat route also documents its text/event-stream chunks.
  const asRoot = createClient<paths, 'application/json'>({ baseUrl, headers: { Authorization: `Bearer ${rootToken}` } });
  const user = expectData('createUser', await asRoot.POST('/1/users', { body: { name: userName } }));

  const asUser = createClient<paths, 'application/json'>({ baseUrl, headers: { Authorization: `Bearer ${user.token}`, 'New-Api-User': String(user.id) } });
  const me = expectData('getMe', await asUser.GET('/1/me'));
  const created = expectData('createToken', await asUser.POST('/api/token', { body: { name: 'flow token', remain_quota: 5_000_000, expired_time: -1 } }));
  if (!created.success) throw new Error(`createToken: ${created.message}`);
  const page = expectData('listTokens', await asUser.GET('/api/token', { params: { query: { p: 1, size: 20 } } }));
  const token = page.data.items.find((item) => item.name === 'flow token');
  if (!token) throw new Error('listTokens: the new token is not listed');
  const revealed = expectData('revealTokenKey', await asUser.POST('/api/token/{id}/key', { params: { path: { id: token.id } } }));
  const key = `sk-${revealed.data.key}`;

  const withKey = createClient<paths, 'application/json'>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
  const usage = expectData('getTokenUsage', await withKey.GET('/api/usage/token'));
  const models = expectData('listModels', await withKey.GET('/v1/models'));
  const chat: ChatCompletion = expectData(
    'createChatCompletion',
    await withKey.POST('/v1/chat/completions', { body: { model, messages: [{ role: 'user', content: 'Hello from openapi-fetch' }], max_tokens: 100 } }),
  );
  const refused = await withKey.POST('/v1/chat/completions', { body: { model: 'no-such-model', messages: [{ role: 'user', content: 'Hello' }] } });
  if (!refused.error) throw new Error('createChatCompletion with an unknown model answered 2xx');

  const logs = await eventually(async () => {
    const answer = expectData('listUsageLogs', await asUser.GET('/1/usages/logs', { params: { query: { size: 20 } } }));
    return answer.items.some((item) => item.statusCode === 200) ? answer.items : undefined;
  });
  const mine = expectData('getMyUsage', await asUser.GET('/1/me/usages'));

  return {
    userId: me.id,
    tokenId: token.id,
    revealedKeyLength: revealed.data.key.length,
    listedTokenNames: page.data.items.map((item) => item.name),
    tokenUsageName: usage.data.name,
    models: models.data.map((m) => m.id),
    chatContent: chat.choices[0]?.message.content ?? null,
    chatModel: chat.model,
    chatTotalTokens: chat.usage?.total_tokens,
    unknownModel: { status: refused.response.status, code: refused.error.error.code, type: refused.error.error.type },
    usageLogs: logs.map((log) => ({ model: log.model, tokenId: log.tokenId, totalTokens: log.totalTokens, statusCode: log.statusCode })),
    myUsageTotalUnit: mine[0]?.totalUnit ?? 0,
  };
});
