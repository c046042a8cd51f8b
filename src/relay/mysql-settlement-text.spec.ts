import { settlementText } from './mysql-settlement-text';
import type { Settlement } from './settlement-batch';

const settlement = (reserved: number, charge: number, model = 'gpt-3.5-turbo'): Settlement => ({
  reservation: { tokenId: 7, unlimited: false, reserved },
  charge,
  record: {
    userId: 3,
    tokenId: 7,
    keyId: 1,
    model,
    promptTokens: 10,
    completionTokens: 5,
    totalTokens: 15,
    costUsd: '0.000030',
    statusCode: 200,
    isStream: false,
    latencyMs: 4,
    ip: '127.0.0.1',
    requestId: 'req-1',
    createdAt: new Date('2026-12-01T10:00:00.123Z'),
  },
});

describe('settlementText (a MySQL settlement batch as one multi-statement text)', () => {
  it('holds the batch transaction: records, rollups, the refund summed per token, then COMMIT, with values escaped and dates in UTC', async () => {
    const text = await settlementText([settlement(100, 15, "gpt-4o'; DROP TABLE tokens; --"), settlement(100, 40)]);
    const statements = text!.split(/;(?=START|INSERT|UPDATE|COMMIT)/);
    expect(statements[0]).toBe('START TRANSACTION');
    expect(statements[1]).toMatch(/^INSERT INTO usage_records \(user_id, .*\) VALUES \(3, 7, 1, 'gpt-4o\\'; DROP TABLE tokens; --', 10, 5, 15, '0\.0000300000', 15, 200, false, 4, '127\.0\.0\.1', 'req-1', '2026-12-01 10:00:00\.123'\), \(/);
    expect(statements.filter((s) => s.startsWith('INSERT INTO usage_daily'))).toHaveLength(2); // one per (day, user, token, model)
    expect(statements.filter((s) => s.startsWith('INSERT INTO usage_period_user'))).toHaveLength(3); // day, week, month
    expect(statements.at(-2)).toMatch(/^UPDATE tokens SET remain_quota = remain_quota \+ 145, used_quota = used_quota - 145, accessed_time = \d+ WHERE id = 7$/);
    expect(statements.at(-1)).toBe('COMMIT');
  });

  it('is undefined when a settlement charges beyond its reservation (that path reads remain_quota, statement by statement)', async () => {
    await expect(settlementText([settlement(100, 15), settlement(100, 101)])).resolves.toBeUndefined();
  });
});
