import type { Principal } from './principal';

/**
 * Turns a presented access token into a {@link Principal}, or undefined when unknown,
 * revoked or owned by a deleted user. Implemented by the Users module (user tokens and
 * sessions); an abstract class so the guard depends on no domain module.
 */
export abstract class AccessTokenResolver {
  /** `token`: a user access token (UUID v4) or a session token (`tgs_…`); never throws for an unknown one. */
  abstract resolve(token: string): Promise<Principal | undefined>;
}
