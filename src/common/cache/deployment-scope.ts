import { createHash } from 'node:crypto';

/**
 * Which deployment a shared Redis key belongs to: a hash of `DATABASE_URL` without its
 * credentials, so instances on one database share their counters and deployments that share one
 * Redis do not (token and user ids repeat across databases).
 */
export function deploymentScope(databaseUrl: string | undefined): string {
  const withoutCredentials = (databaseUrl ?? 'default').replace(/\/\/[^@/]*@/, '//');
  return createHash('sha256').update(withoutCredentials).digest('hex').slice(0, 16);
}
