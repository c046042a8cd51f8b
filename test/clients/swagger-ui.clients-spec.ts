import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { STUB_REPLY } from '../support/stub-upstream';
import { BuiltServer, startBuiltServer } from './support/built-server';

/** Debian's `chromium` package (`.ci/run` installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What Swagger UI sent and what it showed for one "Try it out" → "Execute", with the default example unedited. */
interface Execution {
  status: number;
  body: string;
  request: { method: string; url: string; postData: string | null; headers: Record<string, string> };
}

/** Expands the operation, presses "Try it out" and "Execute" as they come, and reads the live response. */
async function tryItOut(page: Page, operationId: string): Promise<Execution> {
  const block = page.locator(`.opblock[id$="-${operationId}"]`);
  await block.locator('.opblock-summary-control').click();
  await block.locator('button.try-out__btn').click();
  const [sent] = await Promise.all([page.waitForRequest((r) => !r.url().includes('/docs')), block.locator('button.execute').click()]);
  const status = block.locator('.live-responses-table tr.response .response-col_status').first();
  await status.waitFor();
  const body = block.locator('.live-responses-table .response-col_description pre').first();
  return {
    status: Number((await status.innerText()).trim()),
    body: (await body.count()) > 0 ? await body.innerText() : '',
    request: { method: sent.method(), url: sent.url(), postData: sent.postData(), headers: await sent.allHeaders() },
  };
}

/** Fills one security scheme of the Authorize dialog with `value` and applies it. */
async function authorize(page: Page, scheme: string, value: string): Promise<void> {
  await page.locator('.scheme-container button.authorize').click();
  const form = page.locator('.auth-container', { has: page.locator(`h4 code:text-is("${scheme}")`) });
  await form.locator('input').fill(value);
  await form.locator('button.authorize').click();
  await page.locator('.modal-ux button.close-modal').click();
}

/**
 * Swagger UI at `/docs` in headless Chromium, as a person uses it: Authorize (the user bearer,
 * `New-Api-User` and the `sk-` scheme), then "Try it out" on one route of each module with the
 * pre-filled example, unedited. Each must answer 2xx, under the Content-Security-Policy helmet
 * sets (a CSP violation fails the test).
 */
describe('Swagger UI (/docs in headless Chromium)', () => {
  let server: BuiltServer;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    server = await startBuiltServer();
    profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(`${server.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await server?.close();
  });

  it('loads every operation and lets Authorize take the user bearer and New-Api-User', async () => {
    expect(await page.locator('.opblock').count()).toBeGreaterThan(45);
    await authorize(page, 'bearer', server.root.token);
    await authorize(page, 'newApiUser', String(server.root.id));
    expect(await page.locator('.scheme-container button.authorize.locked').count()).toBe(1);
  });

  it('Health: GET /healthz answers 200', async () => {
    const run = await tryItOut(page, 'getHealth');
    expect({ status: run.status, body: JSON.parse(run.body) }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('Users: POST /1/users with its example adds the user u1', async () => {
    const run = await tryItOut(page, 'createUser');
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body)).toMatchObject({ name: 'u1', role: 1 });
    expect(run.request.headers.authorization).toBe(`Bearer ${server.root.token}`);
  });

  it('Keys: POST /1/keys with seed 003 example adds the key', async () => {
    const run = await tryItOut(page, 'createKey');
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body)).toMatchObject({ name: 'key', key: 'sk-****zsbd' });
  });

  it('Prices: PUT /1/prices with its example sets the price', async () => {
    const run = await tryItOut(page, 'setPrices');
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body)).toEqual(expect.arrayContaining([expect.objectContaining({ model: 'gpt-3.5-turbo', input: '2', output: '2' })]));
  });

  it('Tokens: POST /api/token makes a token that works, and GET /api/token lists it (no user_id sent)', async () => {
    const created = await tryItOut(page, 'createToken');
    expect({ status: created.status, body: JSON.parse(created.body) }).toEqual({ status: 200, body: { success: true, message: '' } });
    expect(created.request.headers['new-api-user']).toBe(String(server.root.id));
    const listed = await tryItOut(page, 'listTokens');
    expect(listed.status).toBe(200);
    expect(new URL(listed.request.url).searchParams.has('user_id')).toBe(false);
    const items = JSON.parse(listed.body).data.items as { name: string; status: number }[];
    expect(items).toEqual([expect.objectContaining({ name: 'My API Token', status: 1 })]);
  });

  it('Relay: POST /v1/chat/completions with the sk- key given to Authorize answers the chat', async () => {
    const asRoot = { Authorization: `Bearer ${server.root.token}`, 'New-Api-User': String(server.root.id) };
    const list = await server.http.get('/api/token').set(asRoot).expect(200);
    const key = (await server.http.post(`/api/token/${list.body.data.items[0].id}/key`).set(asRoot).expect(200)).body.data.key as string;
    await authorize(page, 'apiToken', `sk-${key}`);
    const chat = await tryItOut(page, 'createChatCompletion');
    expect(chat.status).toBe(200);
    expect(chat.request.headers.authorization).toBe(`Bearer sk-${key}`);
    expect(JSON.parse(chat.body).choices[0].message.content).toBe(STUB_REPLY);
    const usage = await tryItOut(page, 'getTokenUsage');
    expect(usage.status).toBe(200);
    expect(JSON.parse(usage.body).data).toMatchObject({ name: 'My API Token' });
  });

  it('Usages: GET /1/usages with its example tz answers 200', async () => {
    const run = await tryItOut(page, 'listUsages');
    expect(run.status).toBe(200);
    expect(new URL(run.request.url).searchParams.get('tz')).toBe('+08:00');
    expect(Array.isArray(JSON.parse(run.body))).toBe(true);
  });

  it('SSO Token Apps: the Datafor form routes update and deleteBatch, sent as forms, answer 200', async () => {
    const update = await tryItOut(page, 'updateSsoApp');
    expect(update.request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect({ status: update.status, body: JSON.parse(update.body) }).toMatchObject({ status: 200, body: { success: true, msg: 'success' } });
    const removed = await tryItOut(page, 'deleteSsoApps');
    expect(removed.request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(removed.request.postData).toBe('names=ERP&names=CRM');
    expect({ status: removed.status, body: JSON.parse(removed.body) }).toEqual({
      status: 200,
      body: { success: true, msg: 'success', data: { deleted: ['ERP'], skipped: ['CRM'] } },
    });
  });

  it('raised no Content-Security-Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
