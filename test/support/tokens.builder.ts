import type { NestExpressApplication } from '@nestjs/platform-express';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../src/common/crypto/crypto.service';
import { TokenEntity } from '../../src/tokens/entities/token.entity';
import { auth } from './test-app';
import type { TestUser } from './users.builder';

/** Seed 000's example body for `PUT /api/token/`, byte for byte (CRLF and all). */
export const SEED_000_UPDATE_BODY =
  '{\r\n  "id": 194804,\r\n  "remain_quota": 250000000000,\r\n  "expired_time": -1,\r\n  "unlimited_quota": false,\r\n  "model_limits_enabled": false,\r\n  "model_limits": "",\r\n  "group": "",\r\n  "mj_image_mode": "default",\r\n  "mj_custom_proxy": "",\r\n  "selected_groups": [],\r\n  "name": "令牌22名字",\r\n  "allow_ips": ""\r\n}';

/** Seed 001's example body for `PUT /api/token/batch` with its `//` comment lines removed, otherwise verbatim. */
export const SEED_001_BATCH_BODY =
  '{\r\n "ids": [\r\n 873,\r\n 869\r\n ],\r\n\r\n "group": "default",\r\n\r\n "expired_time": 1776410923,\r\n\r\n "remain_quota": 0,\r\n\r\n' +
  ' "unlimited_quota": true,\r\n\r\n "model_limits": "gpt-4o,gpt-4o-2024-11-20",\r\n\r\n "model_limits_enabled": true,\r\n\r\n' +
  ' "allow_ips": "192.168.1.1",\r\n\r\n "mj_image_mode": "origin",\r\n\r\n "mj_custom_proxy": "",\r\n \r\n "update_fields": [\r\n' +
  ' "group",\r\n "expired_time",\r\n "remain_quota",\r\n "unlimited_quota",\r\n "model_limits",\r\n "allow_ips",\r\n "mj_image_mode",\r\n "mj_custom_proxy"\r\n ]\r\n}';

/** Seed 002's example body for `POST /api/token/`. */
export const SEED_002_CREATE_BODY = {
  name: 'My API Token',
  expired_time: 1640995200,
  remain_quota: 1000000,
  unlimited_quota: false,
  model_limits_enabled: true,
  model_limits: ['gpt-3.5-turbo', 'gpt-4'],
  allow_ips: '192.168.1.1,10.0.0.1',
  group: 'default',
};

/** A token as the tests hold it: id and clear `sk-` key. */
export interface TestToken {
  id: number;
  key: string;
}

/**
 * `POST /api/token/` as `user` (a never-expiring token with 1 USD of quota unless `body` says otherwise).
 * Create answers no data (seed 002), so the id and the key (`sk-` + its 48 characters, as clients
 * present it) are read from the user's newest row, outside the rate-limited reveal route.
 */
export async function createToken(app: NestExpressApplication, http: ReturnType<typeof request>, user: TestUser, body: Record<string, unknown> = {}): Promise<TestToken> {
  const res = await http
    .post('/api/token/')
    .set(auth(user.token, user.id))
    .send({ name: 'test token', remain_quota: 500000, expired_time: -1, ...body })
    .expect(200);
  expect(res.body).toEqual({ success: true, message: '' });
  const row = await app.get(DataSource).getRepository(TokenEntity).findOneOrFail({ where: { userId: user.id }, order: { id: 'DESC' } });
  return { id: row.id, key: `sk-${app.get(CryptoService).decrypt(row.keyCiphertext)}` };
}

/** Moves a token row to a fixed id (so the seeds' example ids, e.g. 194804, 873, 869, exist). */
export async function moveTokenId(app: NestExpressApplication, from: number, to: number): Promise<void> {
  const ds = app.get(DataSource);
  await ds.createQueryBuilder().update('tokens').set({ id: to }).where('id = :from', { from }).execute();
}

/** The stored row of a token, raw column names. */
export async function tokenRow(app: NestExpressApplication, id: number): Promise<Record<string, unknown> | undefined> {
  const ds = app.get(DataSource);
  return ds.createQueryBuilder().select('*').from('tokens', 't').where('t.id = :id', { id }).getRawOne();
}
