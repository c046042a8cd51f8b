/** Roles as new-api numbers them. */
export enum Role {
  Common = 1,
  Admin = 10,
  Root = 100,
}

/**
 * Who is calling: resolved by the global {@link AuthGuard} from a user access token
 * (or, later, a session token) and handed to controllers by `@CurrentUser()`.
 */
export interface Principal {
  /** users.id */
  userId: number;
  name: string;
  role: Role;
  /** How the caller authenticated. */
  via: 'user_token' | 'session';
  /** sessions.id when `via` is `session`. */
  sessionId?: number;
  /** True for a session opened with a first password (an SSO app's `initpwd`): it may only change the password. */
  passwordChangeOnly?: boolean;
}

/** True for role admin (10) and root (100); false for common (1). */
export function isAdmin(p: Pick<Principal, 'role'>): boolean {
  return p.role >= Role.Admin;
}
