import { CreateUsers1763773200000 } from './migrations/1763773200000-create-users';

/** Every migration in order (classes, not globs, so ts-jest, ts-node and dist all load them). */
export const MIGRATIONS = [CreateUsers1763773200000];
