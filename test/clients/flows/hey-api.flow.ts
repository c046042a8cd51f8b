/**
 * The client flow through the SDK @hey-api/openapi-ts generates from `/docs-json` (fetch client):
 * the same steps as openapi-fetch.flow.ts, each a generated function named by its operationId. The
 * security schemes do the authentication: one callback answers the `bearer` scheme with the user
 * token and the `newApiUser` scheme with the user id; the relay calls use a client whose token is
 * the `sk-` key. No casts and no `any`.
 */
import { createClient, createConfig } from './generated/hey-api/client/index.js';
import {
  createChatCompletion,
  createToken,
  createUser,
  getMe,
  getMyUsage,
  getTokenUsage,
  listModels,
  listTokens,
  listUsageLogs,
  revealTokenKey,
} from './generated/hey-api/sdk.gen.js';
import type { CreateChatCompletionResponse } from './generated/hey-api/types.gen.js';
import { eventually, FlowResult, runFlow } from './flow-io.js';

runFlow(async ({ baseUrl, rootToken, model, userName }): Promise<FlowResult> => {
  const asRoot = createClient(createConfig({ baseUrl, auth: rootToken }));
  const { data: user } = await createUser({ client: asRoot, body: { name: userName }, throwOnError: true });

  const asUser = createClient(createConfig({ baseUrl, auth: (scheme) => (scheme.name === 'New-Api-User' ? String(user.id) : user.token) }));
  const { data: me } = await getMe({ client: asUser, throwOnError: true });
  const { data: created } = await createToken({ client: asUser, body: { name: 'flow token', remain_quota: 5_000_000, expired_time: -1 }, throwOnError: true });
  if (!created.success) throw new Error(`createToken: ${created.message}`);
  const { data: page } = await listTokens({ client: asUser, query: { p: 1, size: 20 }, throwOnError: true });
  const token = page.data.items.find((item) => item.name === 'flow token');
  if (!token) throw new Error('listTokens: the new token is not listed');
  const { data: revealed } = await revealTokenKey({ client: asUser, path: { id: token.id }, throwOnError: true });
  const key = `sk-${revealed.data.key}`;

  const withKey = createClient(createConfig({ baseUrl, auth: key }));
  const { data: usage } = await getTokenUsage({ client: withKey, throwOnError: true });
  const { data: models } = await listModels({ client: withKey, throwOnError: true });
  const { data: chat } = await createChatCompletion({
    client: withKey,
    body: { model, messages: [{ role: 'user', content: 'Hello from hey-api' }], max_tokens: 100 },
    throwOnError: true,
  });
  const completion: CreateChatCompletionResponse = chat;
  const refused = await createChatCompletion({ client: withKey, body: { model: 'no-such-model', messages: [{ role: 'user', content: 'Hello' }] } });
  if (!refused.error) throw new Error('createChatCompletion with an unknown model answered 2xx');

  const logs = await eventually(async () => {
    const { data } = await listUsageLogs({ client: asUser, query: { size: 20 }, throwOnError: true });
    return data.items.some((item) => item.statusCode === 200) ? data.items : undefined;
  });
  const { data: mine } = await getMyUsage({ client: asUser, throwOnError: true });

  return {
    userId: me.id,
    tokenId: token.id,
    revealedKeyLength: revealed.data.key.length,
    listedTokenNames: page.data.items.map((item) => item.name),
    tokenUsageName: usage.data.name,
    models: models.data.map((m) => m.id),
    chatContent: completion.choices[0]?.message.content ?? null,
    chatModel: completion.model,
    chatTotalTokens: completion.usage?.total_tokens,
    unknownModel: { status: refused.response.status, code: refused.error.error.code, type: refused.error.error.type },
    usageLogs: logs.map((log) => ({ model: log.model, tokenId: log.tokenId, totalTokens: log.totalTokens, statusCode: log.statusCode })),
    myUsageTotalUnit: mine[0]?.totalUnit ?? 0,
  };
});
