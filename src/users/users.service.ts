import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { diffViews } from '../audit/audit-changes';
import { AuditService } from '../audit/audit.service';
import { AccessTokenResolver } from '../common/auth/access-token.resolver';
import { Principal, Role } from '../common/auth/principal';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService } from '../common/crypto/crypto.service';
import { isUniqueViolation } from '../database/unique-violation';
import { managerRunner } from '../database/sql-runner';
import { LedgerStore } from '../metering/ledger-store';
import { defaultPolicy, policyChanges } from '../metering/policy-fields';
import { ChangePasswordDto } from './dto/change-password.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { LoginDto } from './dto/login.dto';
import { SessionResponseDto, toSessionResponse } from './dto/session-response.dto';
import { toUserResponse, UserResponseDto, userTokenHint } from './dto/user-response.dto';
import { UserEntity, UserStatus } from './entities/user.entity';
import { isSessionToken, SessionsService } from './sessions.service';
import { userAuditView } from './user-audit-view';

/** The root user's fixed id and name (seed 003). */
export const ROOT_USER = { id: 1, name: 'root' } as const;

/** The role name that maps to role admin (10) (seed 004's initroles). */
export const ADMINISTRATOR_ROLE = 'Administrator';

/** bcrypt cost for user passwords (bcryptjs; ~70 ms per hash on one core). */
export const BCRYPT_COST = 10;

/** Shown as `token_hint` for users that have no access token (made by SSO). */
export const NO_TOKEN_HINT = '****';

/** What an SSO login knows about a new user. */
export interface SsoUserFields {
  name: string;
  displayName: string;
  email: string;
  roles: string[];
  /** bcrypt hash of the app's `initpwd` (a first password, to be changed), or null. */
  passwordHash: string | null;
}

/** True when role names include `Administrator` (case-insensitive). */
export function includesAdministrator(roles: string[]): boolean {
  return roles.some((r) => r.trim().toLowerCase() === ADMINISTRATOR_ROLE.toLowerCase());
}

/**
 * Users of seed 003 and their access tokens (UUID v4, stored as HMAC-SHA-256 + masked hint).
 * Also the {@link AccessTokenResolver} behind the global guard. Admin changes (`user.*`) and logins
 * (`login.*`, `sso.login`) leave an audit record in the transaction of the change (a failed login in its own).
 */
@Injectable()
export class UsersService extends AccessTokenResolver {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {
    super();
  }

  private dummyHash?: string;

  /**
   * Resolves a user access token (UUID) or a session token (`tgs_…`) to its live user:
   * one indexed lookup in `users.token_hash` or `sessions.token_hash`; constant-time hash comparison.
   * @returns undefined for unknown, reset, expired or revoked tokens, and for deleted or disabled users.
   */
  async resolve(token: string): Promise<Principal | undefined> {
    if (token.length > 512) return undefined;
    if (isSessionToken(token)) return this.sessions.resolve(token);
    const hash = this.crypto.hash(token);
    const live = { isDelete: false, status: UserStatus.Enabled };
    let user = await this.users.findOne({ where: { tokenHash: hash, ...live } });
    if (!user?.tokenHash || !this.crypto.hashesEqual(user.tokenHash, hash)) {
      // the token a reset replaced, within its grace period
      user = await this.users.findOne({ where: { previousTokenHash: hash, ...live } });
      if (!user?.previousTokenHash || !this.crypto.hashesEqual(user.previousTokenHash, hash)) return undefined;
      if ((user.previousTokenExpiresAt ?? 0) < Math.floor(Date.now() / 1000)) return undefined;
    }
    return { userId: user.id, name: user.name, role: user.role, via: 'user_token' };
  }

  /**
   * `POST /1/users/init`: creates root (id 1, role 100) and returns it with its clear token.
   * @throws ForbiddenException (403) when any user exists already; nothing changes.
   */
  async initRoot(): Promise<UserResponseDto> {
    if ((await this.users.count()) > 0) throw new ForbiddenException('already initialized: the root user exists');
    try {
      return (await this.insertUser(this.users.manager, ROOT_USER.name, Role.Root, ROOT_USER.id)).answer;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ForbiddenException('already initialized: the root user exists');
      throw error;
    }
  }

  /** The caller's own user (token masked, budget shown). @throws NotFoundException when it vanished. */
  async me(principal: Principal): Promise<UserResponseDto> {
    return this.view(await this.findLive(principal.userId));
  }

  /** All users, deleted ones included with `IsDelete: true`, by id. Tokens masked, budgets shown. */
  async list(): Promise<UserResponseDto[]> {
    const all = await this.users.find({ order: { id: 'ASC' } });
    const leased = await LedgerStore.leased(this.users.manager, 'user', all.filter((u) => u.quota !== null).map((u) => u.id));
    return all.map((u) => toUserResponse(u, undefined, leased.get(u.id) ?? 0));
  }

  /** One user's wire object, its budget counting what instances hold in leases. */
  private async view(user: UserEntity, clearToken?: string): Promise<UserResponseDto> {
    const leased = user.quota === null ? new Map<number, number>() : await LedgerStore.leased(this.users.manager, 'user', [user.id]);
    return toUserResponse(user, clearToken, leased.get(user.id) ?? 0);
  }

  /**
   * `POST /1/users`: a common user with a fresh token, shown once.
   * @throws ConflictException (409) when the name is taken (also by a deleted user).
   */
  async create(dto: CreateUserDto): Promise<UserResponseDto> {
    const name = dto.name.trim();
    await this.assertNameFree(name);
    try {
      return await this.users.manager.transaction(async (manager) => {
        const { user, answer } = await this.insertUser(manager, name, Role.Common);
        await this.audit.record(manager, { action: 'user.create', targetType: 'user', targetId: user.id, changes: diffViews(null, userAuditView(user)) });
        return answer;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`name "${name}" is already taken`);
      throw error;
    }
  }

  /**
   * Renames a user, (root only) changes its role between common (1) and admin (10), enables or
   * disables it, and sets its budget: `quota` replaces what is left (null = unlimited; the leases
   * instances hold on it are void, in the same transaction), `add_quota` tops it up, `groups` sets
   * the groups its tokens may use. All of it in one transaction.
   * @throws NotFoundException (404), ForbiddenException (403) for role changes by non-root or on root,
   *   BadRequestException (400) `quota` with `add_quota`, or `add_quota` on an unlimited budget,
   *   ConflictException (409) for a taken name.
   */
  async update(actor: Principal, id: number, dto: UpdateUserDto): Promise<UserResponseDto> {
    const user = await this.findLive(id);
    this.assertMayManage(actor, user);
    const changes: Partial<UserEntity> = {};
    if (dto.role !== undefined && dto.role !== user.role) {
      if (actor.role !== Role.Root) throw new ForbiddenException('only root can change roles');
      if (user.role === Role.Root) throw new ForbiddenException('the root user keeps its role');
      changes.role = dto.role;
    }
    const disabling = dto.status === UserStatus.Disabled && user.status !== UserStatus.Disabled;
    if (dto.status !== undefined && dto.status !== user.status) {
      if (user.role === Role.Root) throw new ForbiddenException('the root user cannot be disabled');
      if (user.id === actor.userId) throw new ForbiddenException('you cannot disable yourself');
      changes.status = dto.status;
    }
    if (dto.name !== undefined && dto.name.trim() !== user.name) {
      await this.assertNameFree(dto.name.trim());
      changes.name = dto.name.trim();
    }
    if (dto.quota !== undefined && dto.add_quota !== undefined) throw new BadRequestException('send quota (the new remaining budget) or add_quota (a top-up), not both');
    if (dto.add_quota !== undefined && user.quota === null) throw new BadRequestException("add_quota: the user's budget is unlimited; set quota first");
    if (dto.quota !== undefined) changes.quota = dto.quota;
    if (dto.groups !== undefined) changes.groups = [...new Set(dto.groups)].join(',');
    const policy = policyChanges(user.policy ?? defaultPolicy(), dto, Math.floor(Date.now() / 1000));
    if (policy) changes.policy = { ...(user.policy ?? defaultPolicy()), ...policy };
    changes.updatedAt = new Date();
    try {
      await this.users.manager.transaction(async (manager) => {
        await manager.update(UserEntity, { id: user.id }, changes);
        if (dto.quota !== undefined) await LedgerStore.clearLeases(manager, 'user', [user.id]);
        if (dto.add_quota !== undefined) {
          const added = await managerRunner(manager).exec('UPDATE users SET quota = quota + ? WHERE id = ? AND quota IS NOT NULL', [dto.add_quota, user.id]);
          if (added.affected !== 1) throw new BadRequestException("add_quota: the user's budget is unlimited; set quota first");
        }
        const after = await manager.findOneByOrFail(UserEntity, { id: user.id });
        await this.audit.record(manager, { action: 'user.update', targetType: 'user', targetId: user.id, changes: diffViews(userAuditView(user), userAuditView(after)) });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`name "${dto.name}" is already taken`);
      throw error;
    }
    if (disabling) await this.sessions.revokeAllOf(user.id);
    this.bus.publish({ topic: 'user', id: user.id });
    return this.view(await this.findLive(user.id));
  }

  /**
   * Soft-deletes a user: its access token stops working at once (hash cleared), its API tokens too.
   * @throws NotFoundException (404), ForbiddenException (403) for root, oneself, or a peer/higher role.
   */
  async remove(actor: Principal, id: number): Promise<void> {
    const user = await this.findLive(id);
    if (user.role === Role.Root) throw new ForbiddenException('the root user cannot be deleted');
    if (user.id === actor.userId) throw new ForbiddenException('you cannot delete yourself');
    this.assertMayManage(actor, user);
    const deleted = { isDelete: true, tokenHash: null, updatedAt: new Date() };
    await this.users.manager.transaction(async (manager) => {
      await manager.update(UserEntity, { id: user.id }, deleted);
      await this.audit.record(manager, { action: 'user.delete', targetType: 'user', targetId: user.id, changes: diffViews(userAuditView(user), userAuditView({ ...user, ...deleted })) });
    });
    await this.sessions.revokeAllOf(user.id);
    this.bus.publish({ topic: 'user', id: user.id });
  }

  /**
   * `POST /1/users/:id/reset[?token=<uuid>]`: gives the user a new access token, `token` when given
   * (opencatd's reset, which sets the token the admin names), else a random UUID v4; the old one stops
   * working at once, or `graceSeconds` later (at most a day; shown as `previous_key_expires_at`).
   * Returns the new one in full.
   * @throws NotFoundException (404), ForbiddenException (403) for a peer/higher role,
   *   ConflictException (409) when another user's token is `token`.
   */
  async resetToken(actor: Principal, id: number, token = this.crypto.randomUuid(), graceSeconds = 0): Promise<UserResponseDto> {
    const user = await this.findLive(id);
    this.assertMayManage(actor, user);
    const tokenHash = this.crypto.hash(token);
    const inUse = () => new ConflictException('token is the access token of another user; choose another or leave token out for a random one');
    const holder = await this.users.findOne({ select: { id: true, tokenHash: true }, where: { tokenHash } });
    if (holder && holder.id !== user.id && holder.tokenHash && this.crypto.hashesEqual(holder.tokenHash, tokenHash)) throw inUse();
    const before = userAuditView(user);
    const previous = graceSeconds > 0 && user.tokenHash && user.tokenHash !== tokenHash ? user.tokenHash : null;
    user.previousTokenHash = previous;
    user.previousTokenExpiresAt = previous ? Math.floor(Date.now() / 1000) + graceSeconds : null;
    user.tokenHash = tokenHash;
    user.tokenHint = userTokenHint(token);
    user.updatedAt = new Date();
    try {
      await this.users.manager.transaction(async (manager) => {
        await manager.update(
          UserEntity,
          { id: user.id },
          { tokenHash: user.tokenHash, tokenHint: user.tokenHint, previousTokenHash: user.previousTokenHash, previousTokenExpiresAt: user.previousTokenExpiresAt, updatedAt: user.updatedAt },
        );
        await this.audit.record(manager, { action: 'user.reset_token', targetType: 'user', targetId: user.id, changes: diffViews(before, userAuditView(user)) });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw inUse();
      throw error;
    }
    this.bus.publish({ topic: 'user', id: user.id });
    return this.view(user, token);
  }

  /**
   * `POST /1/login`: name + password (bcrypt) → a session token. One answer for unknown name,
   * no password and wrong password (a dummy hash is compared so timing does not tell them apart).
   * With a first password (an SSO app's `initpwd`, `must_change_password`) the session may only change
   * the password, and the answer says so (`must_change_password: true`).
   * @throws UnauthorizedException (401) `invalid name or password`; ForbiddenException (403) for a disabled user.
   */
  async loginWithPassword(dto: LoginDto): Promise<SessionResponseDto> {
    const user = await this.users.findOne({ where: { name: dto.name.trim(), isDelete: false } });
    const hash = user?.passwordHash ?? (this.dummyHash ??= await bcrypt.hash('tollgate-dummy-password', BCRYPT_COST));
    const match = await bcrypt.compare(dto.password, hash);
    const refused = !user?.passwordHash || !match ? new UnauthorizedException('invalid name or password') : user.status !== UserStatus.Enabled ? new ForbiddenException('user is disabled') : undefined;
    if (refused || !user) {
      const failure = { action: 'login.failure', targetType: 'user_name', targetId: dto.name.trim(), actor: { id: null, role: null } } as const;
      await this.audit.record(this.users.manager, failure);
      throw refused;
    }
    const session = await this.users.manager.transaction(async (manager) => {
      const issued = await this.sessions.issue(user.id, 'password', '', user.mustChangePassword, manager);
      await this.audit.record(manager, { action: 'login.success', targetType: 'user', targetId: user.id, actor: { id: user.id, role: user.role } });
      return issued;
    });
    return toSessionResponse(user, session);
  }

  /**
   * `PUT /1/me/password`: sets the caller's password (rules in {@link ChangePasswordDto}: 8 characters
   * to 72 bytes). A user who has a password must give it as `old_password`, and the new one must differ.
   * Clears `must_change_password` and ends the user's password-change-only sessions: the next step
   * is `POST /1/login` with the new password.
   * @throws BadRequestException (400) `old_password` missing, or the same password again;
   *   ForbiddenException (403) `old_password` wrong.
   */
  async changePassword(principal: Principal, dto: ChangePasswordDto): Promise<void> {
    const user = await this.findLive(principal.userId);
    if (user.passwordHash) {
      if (dto.old_password === undefined) throw new BadRequestException('old_password is required: you have a password');
      if (!(await bcrypt.compare(dto.old_password, user.passwordHash))) throw new ForbiddenException('old_password does not match your password');
      if (dto.password === dto.old_password) throw new BadRequestException('password must differ from old_password');
    }
    const passwordHash = await bcrypt.hash(dto.password, BCRYPT_COST);
    await this.users.update({ id: user.id }, { passwordHash, mustChangePassword: false, updatedAt: new Date() });
    await this.sessions.revokePasswordChangeOnly(user.id);
  }

  /**
   * `POST /1/logout`: revokes the caller's session at once.
   * @throws BadRequestException (400) when the caller used a user access token, not a session token.
   */
  async logout(principal: Principal): Promise<void> {
    if (principal.via !== 'session' || principal.sessionId === undefined) {
      throw new BadRequestException('logout ends a session: call it with a session token (a user access token is reset, not logged out)');
    }
    await this.sessions.revoke(principal.sessionId);
  }

  /** A user by exact name (a binary collation on MySQL), deleted or not (names stay taken). */
  findByName(name: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { name } });
  }

  /** A user by id, deleted or not. */
  findById(id: number): Promise<UserEntity | null> {
    return this.users.findOne({ where: { id } });
  }

  /**
   * Creates a user on its first SSO login, inside the caller's transaction `manager` (which also
   * links it to the app): roles as given (`Administrator` → role admin), no access token, the app's
   * `initpwd` hash as a first password that must be changed.
   * @throws the driver's unique violation when the name is taken (a concurrent first login won).
   */
  async createSsoUser(fields: SsoUserFields, manager: EntityManager): Promise<UserEntity> {
    const now = new Date();
    const user = manager.create(UserEntity, {
      name: fields.name,
      role: includesAdministrator(fields.roles) ? Role.Admin : Role.Common,
      roles: fields.roles,
      displayName: fields.displayName,
      email: fields.email,
      passwordHash: fields.passwordHash,
      mustChangePassword: fields.passwordHash !== null,
      status: UserStatus.Enabled,
      tokenHash: null,
      tokenHint: NO_TOKEN_HINT,
      isDelete: false,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(UserEntity, user);
    return user;
  }

  /** Refreshes `display_name` / `email` from SSO claims when they changed (roles are kept). */
  async refreshSsoProfile(user: UserEntity, displayName: string, email: string): Promise<UserEntity> {
    const patch: Partial<UserEntity> = {};
    if (displayName && displayName !== user.displayName) patch.displayName = displayName;
    if (email && email !== user.email) patch.email = email;
    if (Object.keys(patch).length === 0) return user;
    patch.updatedAt = new Date();
    await this.users.update({ id: user.id }, patch);
    return Object.assign(user, patch);
  }

  /** Issues a session token for an SSO login by `appName`, and its `sso.login` audit record in the same transaction. */
  async startSsoSession(user: UserEntity, appName: string): Promise<SessionResponseDto> {
    const session = await this.users.manager.transaction(async (manager) => {
      const issued = await this.sessions.issue(user.id, 'sso', appName, false, manager);
      await this.audit.record(manager, { action: 'sso.login', targetType: 'sso_app', targetId: appName, actor: { id: user.id, role: user.role } });
      return issued;
    });
    return toSessionResponse(user, session);
  }

  /** A live user by id. @throws NotFoundException (404) for unknown or deleted ids. */
  async findLive(id: number): Promise<UserEntity> {
    const user = await this.users.findOne({ where: { id, isDelete: false } });
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  /** Root manages everyone; an admin manages common users and itself. */
  private assertMayManage(actor: Principal, target: UserEntity): void {
    if (actor.role === Role.Root || actor.userId === target.id) return;
    if (target.role >= actor.role) throw new ForbiddenException('only root can manage admins and root');
  }

  private async assertNameFree(name: string): Promise<void> {
    if (await this.users.exists({ where: { name } })) throw new ConflictException(`name "${name}" is already taken`);
  }

  private async insertUser(manager: EntityManager, name: string, role: Role, id?: number): Promise<{ user: UserEntity; answer: UserResponseDto }> {
    const token = this.crypto.randomUuid();
    const now = new Date();
    const user = this.users.create({
      ...(id ? { id } : {}),
      name,
      role,
      tokenHash: this.crypto.hash(token),
      tokenHint: userTokenHint(token),
      isDelete: false,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(UserEntity, user);
    return { user, answer: toUserResponse(user, token) };
  }
}
