/** Who a quota balance belongs to: an API token (`tokens.remain_quota`) or a user (`users.quota`). */
export type SubjectKind = 'token' | 'user';

/** One quota balance. `id` is `tokens.id` or `users.id`. */
export interface Subject {
  kind: SubjectKind;
  id: number;
}

/** The balance column of each subject's table (quota units, 500,000 = 1 USD, seed 000). */
export const BALANCE = {
  token: { table: 'tokens', balance: 'remain_quota' },
  user: { table: 'users', balance: 'quota' },
} as const;

/** A map key for a subject: `token:12`, `user:3`. */
export function subjectKey(subject: Subject): string {
  return `${subject.kind}:${subject.id}`;
}
