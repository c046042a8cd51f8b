import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService } from '../common/crypto/crypto.service';
import { EnvironmentVariables } from '../config/env.validation';
import { SessionEntity } from './entities/session.entity';
import { UserEntity, UserStatus } from './entities/user.entity';

/** Every session token starts with this, so the guard knows which table to look in (user tokens are UUIDs). */
export const SESSION_TOKEN_PREFIX = 'tgs_';

/** A freshly issued session: the clear token (shown once) and its expiry in unix seconds. */
export interface IssuedSession {
  accessToken: string;
  expiresAt: number;
  sessionId: number;
  /** True when the session may only change the password. */
  passwordChangeOnly: boolean;
}

/** True when `token` has the session token shape (`tgs_` + 48 alphanumerics). */
export function isSessionToken(token: string): boolean {
  return token.startsWith(SESSION_TOKEN_PREFIX);
}

/**
 * Session tokens: `tgs_<48 alphanumerics>`, stored only as HMAC-SHA-256, valid for
 * `SESSION_TTL` seconds (default 12 h), revoked by `POST /1/logout`, dead with their user
 * (deleted or disabled). A session opened with a first password may only change the password
 * (`password_change_only`), and ends when it is changed.
 */
@Injectable()
export class SessionsService {
  private readonly ttlSeconds: number;

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.ttlSeconds = config.get('SESSION_TTL', { infer: true }) ?? 43_200;
  }

  /**
   * Issues a session for `userId`; also drops that user's expired sessions. `passwordChangeOnly`: the
   * session may only change the password (a login with a first password). `manager`: the caller's transaction
   * (the login's audit record commits with the session).
   */
  async issue(userId: number, via: 'sso' | 'password', appName = '', passwordChangeOnly = false, manager: EntityManager = this.sessions.manager): Promise<IssuedSession> {
    const now = Math.floor(Date.now() / 1000);
    await manager.delete(SessionEntity, { userId, expiresAt: LessThan(now) });
    const accessToken = SESSION_TOKEN_PREFIX + this.crypto.randomAlphanumeric(48);
    const expiresAt = now + this.ttlSeconds;
    const row = this.sessions.create({
      userId,
      tokenHash: this.crypto.hash(accessToken),
      via,
      appName,
      passwordChangeOnly,
      expiresAt,
      createdAt: new Date(),
    });
    await manager.insert(SessionEntity, row);
    return { accessToken, expiresAt, sessionId: row.id, passwordChangeOnly };
  }

  /**
   * One indexed lookup (sessions.token_hash joined to its user): the principal of a live,
   * unexpired session of an enabled, not deleted user; undefined otherwise.
   */
  async resolve(token: string): Promise<Principal | undefined> {
    const hash = this.crypto.hash(token);
    const row = await this.sessions
      .createQueryBuilder('s')
      .innerJoin(UserEntity, 'u', 'u.id = s.user_id')
      .select([
        's.id AS sid',
        's.token_hash AS token_hash',
        's.expires_at AS expires_at',
        's.password_change_only AS password_change_only',
        'u.id AS uid',
        'u.name AS name',
        'u.role AS role',
      ])
      .where('s.token_hash = :hash', { hash })
      .andWhere('u.is_delete = :deleted', { deleted: false })
      .andWhere('u.status = :status', { status: UserStatus.Enabled })
      .getRawOne<{
        sid: number;
        token_hash: string;
        expires_at: string | number;
        password_change_only: number | boolean;
        uid: number;
        name: string;
        role: number;
      }>();
    if (!row || !this.crypto.hashesEqual(row.token_hash, hash)) return undefined;
    if (Number(row.expires_at) <= Math.floor(Date.now() / 1000)) return undefined;
    const principal: Principal = { userId: Number(row.uid), name: row.name, role: Number(row.role), via: 'session', sessionId: Number(row.sid) };
    if (Number(row.password_change_only) === 1) principal.passwordChangeOnly = true;
    return principal;
  }

  /** Revokes one session (logout); publishes `{topic:'session', id}`. Returns false when it was gone already. */
  async revoke(sessionId: number): Promise<boolean> {
    const result = await this.sessions.delete({ id: sessionId });
    this.bus.publish({ topic: 'session', id: sessionId });
    return (result.affected ?? 0) > 0;
  }

  /** Revokes a user's password-change-only sessions (the password was changed); publishes `{topic:'session'}`. */
  async revokePasswordChangeOnly(userId: number): Promise<void> {
    await this.sessions.delete({ userId, passwordChangeOnly: true });
    this.bus.publish({ topic: 'session' });
  }

  /** Revokes every session of a user (disabled or deleted); publishes `{topic:'session'}`. */
  async revokeAllOf(userId: number): Promise<void> {
    await this.sessions.delete({ userId });
    this.bus.publish({ topic: 'session' });
  }
}
