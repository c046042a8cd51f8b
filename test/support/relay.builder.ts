import type { NestExpressApplication } from '@nestjs/platform-express';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../src/common/crypto/crypto.service';
import { TokenEntity } from '../../src/tokens/entities/token.entity';
import { LedgerStore } from '../../src/metering/ledger-store';
import { QuotaLedger } from '../../src/metering/quota-ledger.service';
import { UsageRecordEntity } from '../../src/usages/entities/usage-record.entity';
import { auth } from './test-app';
import type { TestUser } from './users.builder';

/** An API token as the tests hold it: row id and the clear `sk-` key. */
export interface TestToken {
  id: number;
  key: string;
}

/** Fields of a token to insert; defaults: enabled, never expires, 1,000,000 quota, no limits. */
export interface TokenOptions {
  userId: number;
  name?: string;
  remainQuota?: number;
  unlimitedQuota?: boolean;
  status?: number;
  expiredTime?: number;
  modelLimits?: string[];
  allowIps?: string[];
  group?: string;
}

/**
 * Inserts a token row directly (before the Tokens API exists) exactly as that API stores it:
 * key_hash = HMAC of the 48-character key, key_ciphertext = its AES-GCM encryption, prefix 8 / suffix 4.
 */
export async function createToken(app: NestExpressApplication, options: TokenOptions): Promise<TestToken> {
  const crypto = app.get(CryptoService);
  const key48 = crypto.randomAlphanumeric(48);
  const result = await app.get(DataSource).getRepository(TokenEntity).insert({
    userId: options.userId,
    name: options.name ?? 'test',
    keyHash: crypto.hash(key48),
    keyCiphertext: crypto.encrypt(key48),
    keyPrefix: key48.slice(0, 8),
    keySuffix: key48.slice(-4),
    status: options.status ?? 1,
    createdTime: Math.floor(Date.now() / 1000),
    accessedTime: 0,
    expiredTime: options.expiredTime ?? -1,
    remainQuota: options.remainQuota ?? 1_000_000,
    usedQuota: 0,
    unlimitedQuota: options.unlimitedQuota ?? false,
    modelLimitsEnabled: options.modelLimits !== undefined,
    modelLimits: (options.modelLimits ?? []).join(','),
    allowIps: (options.allowIps ?? []).join('\n'),
    group: options.group ?? '',
    selectedGroups: '[]',
  });
  return { id: result.identifiers[0].id as number, key: `sk-${key48}` };
}

/**
 * The token row once every queued settlement is written, with `remainQuota` as people see it:
 * the balance plus what instances hold of it in quota leases.
 */
export async function tokenRow(app: NestExpressApplication, id: number): Promise<TokenEntity> {
  await app.get(QuotaLedger).drain();
  const manager = app.get(DataSource).manager;
  const row = await manager.getRepository(TokenEntity).findOneOrFail({ where: { id } });
  const leased = await LedgerStore.leased(manager, 'token', [id]);
  return { ...row, remainQuota: row.remainQuota + (leased.get(id) ?? 0) };
}

/** Usage records of a token, oldest first, once every queued settlement is written. */
export async function usageRecords(app: NestExpressApplication, tokenId: number): Promise<UsageRecordEntity[]> {
  await app.get(QuotaLedger).drain();
  return app.get(DataSource).getRepository(UsageRecordEntity).find({ where: { tokenId }, order: { id: 'ASC' } });
}

/** `POST /1/keys` as `admin` with `body`; returns the answer's body. */
export async function addKey(http: ReturnType<typeof request>, admin: TestUser, body: Record<string, unknown>): Promise<any> {
  const res = await http.post('/1/keys').set(auth(admin.token)).send(body).expect(200);
  return res.body;
}

/** Deletes every upstream key (between tests). */
export async function clearKeys(http: ReturnType<typeof request>, admin: TestUser): Promise<void> {
  const list = await http.get('/1/keys').set(auth(admin.token)).expect(200);
  for (const k of list.body) await http.delete(`/1/keys/${k.id}`).set(auth(admin.token)).expect(200);
}

/** Waits until `check` passes (for state written after a response ended). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
