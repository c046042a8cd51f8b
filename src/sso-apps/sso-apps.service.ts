import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import bcrypt from 'bcryptjs';
import { SignJWT } from 'jose';
import type { KeyObject } from 'node:crypto';
import { DataSource, In, Repository } from 'typeorm';
import { diffViews } from '../audit/audit-changes';
import { AuditService } from '../audit/audit.service';
import { isAdmin, Principal } from '../common/auth/principal';
import { CryptoService } from '../common/crypto/crypto.service';
import { isUniqueViolation } from '../database/unique-violation';
import { Role } from '../common/auth/principal';
import { UserEntity } from '../users/entities/user.entity';
import { BCRYPT_COST, includesAdministrator, UsersService } from '../users/users.service';
import { GenerateSsoTokenDto } from './dto/generate-sso-token.dto';
import {
  ack,
  SsoUpdateResponseDto,
  SsoAppResponseDto,
  SsoDeleteBatchResultDto,
  SsoGeneratedTokenDto,
  toSsoAppResponse,
} from './dto/sso-app-response.dto';
import { SsoLinkDto } from './dto/sso-link.dto';
import { UpdateSsoAppDto } from './dto/update-sso-app.dto';
import { SsoAppEntity } from './entities/sso-app.entity';
import { SsoLinkEntity } from './entities/sso-link.entity';
import { claimsFromPayload, isHmacAlgorithm, mapClaims, MASKED_SECRET, MAX_JWT_LENGTH, SSO_APP_NAME, toStringList } from './sso-app-rules';
import { hsSecretProblem, importVerificationKey, signingKeyFor, unusableSecretMessage } from './sso-keys';
import { ssoAppAuditView } from './sso-app-audit-view';

/** seed 004's refusal for non-admins. */
export const NO_PERMISSION = 'no permission';

/**
 * The config API of seed 004's token apps (admin only): upsert, list, content, delete, deleteBatch,
 * Datafor's token generator, and link/unlink of existing users (which users an app may
 * sign in besides those it creates). Secrets are encrypted at rest and never shown. Every change leaves
 * an audit record (`sso_app.*`, one per app) in its own transaction.
 */
@Injectable()
export class SsoAppsService {
  constructor(
    @InjectRepository(SsoAppEntity) private readonly apps: Repository<SsoAppEntity>,
    @InjectRepository(SsoLinkEntity) private readonly links: Repository<SsoLinkEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly crypto: CryptoService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates or replaces the app `dto.name`. The secret is checked against the algorithm
   * (RS* or ES*: parsed with jose `importSPKI`); `************` or no secret on an update keeps the stored one.
   * @returns the ack, with `warning` when the HS* secret is shorter than the hash output (saved, since seed 004's
   *   example uses `abcd`, but every login through the app is refused until a proper secret is set).
   * @throws ForbiddenException (403) `no permission`; BadRequestException (400) naming the field.
   */
  async upsert(actor: Principal, dto: UpdateSsoAppDto): Promise<SsoUpdateResponseDto> {
    this.assertAdmin(actor);
    const existing = await this.apps.findOne({ where: { name: dto.name } });
    const allowAdminRoles = dto.allow_admin_roles === '1';
    const initRoles = [...new Set((dto.initroles ?? []).map((r) => r.trim()).filter(Boolean))];
    if (includesAdministrator(initRoles) && !allowAdminRoles) {
      throw new BadRequestException('initroles: Administrator maps to the admin role; send allow_admin_roles=1 to allow it');
    }
    assertRootForAdminApps(actor, allowAdminRoles || !!existing?.allowAdminRoles, 'only root may configure an app with allow_admin_roles=1');

    const keepSecret = dto.secret === undefined || dto.secret === MASKED_SECRET;
    if (keepSecret && !existing) throw new BadRequestException('secret is required when creating a token app');
    const secret = keepSecret ? this.crypto.decrypt(existing!.secretCiphertext) : dto.secret!;
    const warning = await this.checkSecret(dto.algorithm, secret);

    const keepInitpwd = dto.initpwd === undefined || dto.initpwd === MASKED_SECRET;
    const initpwdHash = keepInitpwd ? (existing?.initpwdHash ?? null) : dto.initpwd ? await bcrypt.hash(dto.initpwd, BCRYPT_COST) : null;

    const now = new Date();
    const fields: Partial<SsoAppEntity> = {
      tokenName: dto.token_name ?? 'token',
      algorithm: dto.algorithm,
      secretCiphertext: keepSecret ? existing!.secretCiphertext : this.crypto.encrypt(secret),
      expire: dto.expire,
      fieldmap: { username: dto.fieldmap.username, name: dto.fieldmap.name ?? '', email: dto.fieldmap.email ?? '' },
      enabled: (dto.enable ?? '1') === '1',
      initUser: (dto.inituser ?? '0') === '1',
      initRoles,
      initpwdHash,
      allowAdminRoles,
      issuer: dto.issuer?.trim() || null,
      audience: dto.audience?.trim() || null,
      clockTolerance: dto.clock_tolerance ?? 60,
      updatedAt: now,
    };
    const write = (current: SsoAppEntity | null) =>
      this.dataSource.transaction(async (manager) => {
        if (current) {
          await manager.update(SsoAppEntity, { id: current.id }, fields);
          const changes = diffViews(ssoAppAuditView(current), ssoAppAuditView({ ...current, ...fields }));
          await this.audit.record(manager, { action: 'sso_app.update', targetType: 'sso_app', targetId: current.name, changes });
        } else {
          const app = manager.create(SsoAppEntity, { ...fields, name: dto.name, creatorId: actor.userId, createdAt: now });
          await manager.insert(SsoAppEntity, app);
          await this.audit.record(manager, { action: 'sso_app.create', targetType: 'sso_app', targetId: app.name, changes: diffViews(null, ssoAppAuditView(app)) });
        }
      });
    try {
      await write(existing);
    } catch (error) {
      if (existing || !isUniqueViolation(error)) throw error;
      await write(await this.findByName(dto.name)); // a concurrent create of the same name won: update it
    }
    return ack(warning ? { warning } : {});
  }

  /** All apps by name, secrets masked. @throws ForbiddenException (403). */
  async list(actor: Principal): Promise<SsoAppResponseDto[]> {
    this.assertAdmin(actor);
    return (await this.apps.find({ order: { name: 'ASC' } })).map(toSsoAppResponse);
  }

  /** One app, secret masked. @throws ForbiddenException (403), NotFoundException (404). */
  async content(actor: Principal, name: string): Promise<SsoAppResponseDto> {
    this.assertAdmin(actor);
    return toSsoAppResponse(await this.findByName(name));
  }

  /**
   * Deletes one app and its user links in one transaction; one with allow_admin_roles=1 only as root.
   * @throws ForbiddenException (403), NotFoundException (404).
   */
  async remove(actor: Principal, name: string): Promise<void> {
    this.assertAdmin(actor);
    const app = await this.findByName(name);
    assertRootForAdminApps(actor, app.allowAdminRoles, `only root may delete app "${app.name}": it may sign admins in (allow_admin_roles=1)`);
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(SsoLinkEntity, { appId: app.id });
      await manager.delete(SsoAppEntity, { id: app.id });
      await this.audit.record(manager, { action: 'sso_app.delete', targetType: 'sso_app', targetId: app.name, changes: diffViews(ssoAppAuditView(app), null) });
    });
  }

  /**
   * Links an existing user to an app, so the app may sign it in (a JWT whose `fieldmap.username`
   * claim is exactly the user's name). Linking again is a no-op.
   * @throws ForbiddenException (403) non-admin, root (never signs in through SSO), an admin account linked by
   *   a non-root; NotFoundException (404) unknown app or user; ConflictException (409) the app's subject is
   *   linked to another user (renamed since).
   */
  async link(actor: Principal, dto: SsoLinkDto): Promise<void> {
    this.assertAdmin(actor);
    const app = await this.findByName(dto.name);
    const user = await this.findLinkableUser(dto.username);
    if (user.role === Role.Root) throw new ForbiddenException('the root account cannot log in through SSO');
    if (user.role >= Role.Admin && actor.role !== Role.Root) throw new ForbiddenException('only root can link an admin account to an SSO app');
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(SsoLinkEntity, { appId: app.id, subject: user.name, userId: user.id, createdAt: new Date() });
        const changes = diffViews(null, { user_id: user.id, username: user.name });
        await this.audit.record(manager, { action: 'sso_app.link', targetType: 'sso_app', targetId: app.name, changes });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.links.findOne({ where: { appId: app.id, subject: user.name } });
      if (existing?.userId !== user.id) {
        throw new ConflictException(`SSO app "${app.name}" already links the name "${user.name}" to another user (id ${existing?.userId}): unlink it first`);
      }
    }
  }

  /** Removes a user's links to an app. @throws ForbiddenException (403); NotFoundException (404) unknown app or user, or no link. */
  async unlink(actor: Principal, dto: SsoLinkDto): Promise<void> {
    this.assertAdmin(actor);
    const app = await this.findByName(dto.name);
    const user = await this.findLinkableUser(dto.username);
    await this.dataSource.transaction(async (manager) => {
      const result = await manager.delete(SsoLinkEntity, { appId: app.id, userId: user.id });
      if (!result.affected) throw new NotFoundException(`user "${user.name}" is not linked to SSO app "${app.name}"`);
      const changes = diffViews({ user_id: user.id, username: user.name }, null);
      await this.audit.record(manager, { action: 'sso_app.unlink', targetType: 'sso_app', targetId: app.name, changes });
    });
  }

  /**
   * Deletes several apps and their user links in one transaction; unknown names are skipped and
   * reported. A batch that names an app with allow_admin_roles=1 is refused whole unless the caller is root.
   * `body` is a JSON array of names, or `{names: [...]}` / `{name: [...]}` (form: repeated or JSON string).
   * @throws ForbiddenException (403), nothing deleted; BadRequestException (400) naming `names`.
   */
  async removeBatch(actor: Principal, body: unknown): Promise<SsoDeleteBatchResultDto> {
    this.assertAdmin(actor);
    const names = parseNameList(body);
    return this.dataSource.transaction(async (manager) => {
      const found = await manager.find(SsoAppEntity, { where: { name: In(names) } });
      const adminApps = found.filter((a) => a.allowAdminRoles).map((a) => `"${a.name}"`);
      assertRootForAdminApps(
        actor,
        adminApps.length > 0,
        `only root may delete app ${adminApps.join(', ')}: it may sign admins in (allow_admin_roles=1); nothing was deleted`,
      );
      if (found.length > 0) {
        await manager.delete(SsoLinkEntity, { appId: In(found.map((a) => a.id)) });
        await manager.delete(SsoAppEntity, { id: In(found.map((a) => a.id)) });
        for (const app of found) {
          await this.audit.record(manager, { action: 'sso_app.delete', targetType: 'sso_app', targetId: app.name, changes: diffViews(ssoAppAuditView(app), null) });
        }
      }
      const deleted = new Set(found.map((a) => a.name));
      return { deleted: names.filter((n) => deleted.has(n)), skipped: names.filter((n) => !deleted.has(n)) };
    });
  }

  /**
   * Signs a token for an app, as Datafor's `generate` does: the claims of `payload` (or of the form field
   * `username`) through {@link claimsFromPayload}, `iat` now, `exp` now + `expire`, a random `jti`, `iss`/`aud`
   * when configured, signed with {@link signingKeyFor} (the stored HS* secret, or the RS* or ES* `privateKey`).
   * Root only for an app with allow_admin_roles=1. The `privateKey` is used in memory only.
   * @returns `{expire, token, url}`: `expire` the app's lifetime in seconds, `url` the login URL that uses the token.
   * @throws ForbiddenException (403) non-admin, an allow_admin_roles app for a non-root, an app whose secret cannot
   *   log in (a weak HS* secret); NotFoundException (404) unknown app; BadRequestException (400) naming
   *   `privateKey` (missing for RS* or ES*, unparseable, or not the app's key), `username`/`payload.username`
   *   (missing, unusable, or both given and different), `payload.<field>`, or `payload` (token too large to log in).
   */
  async generate(actor: Principal, dto: GenerateSsoTokenDto): Promise<SsoGeneratedTokenDto> {
    this.assertAdmin(actor);
    const app = await this.findByName(dto.name);
    assertRootForAdminApps(actor, app.allowAdminRoles, `only root may sign tokens for app "${app.name}": it may sign admins in (allow_admin_roles=1)`);
    const secret = this.crypto.decrypt(app.secretCiphertext);
    const unusable = unusableSecretMessage(app.name, app.algorithm, secret);
    if (unusable) throw new ForbiddenException(unusable);

    const payload: Record<string, unknown> = { ...(dto.payload ?? {}) };
    if (dto.username !== undefined) {
      if (payload.username !== undefined && payload.username !== dto.username) throw new BadRequestException('username and payload.username differ: send one of them');
      payload.username = dto.username;
    }
    if (payload.username === undefined) throw new BadRequestException('payload.username is required (form: username)');
    let claims: Record<string, unknown>;
    try {
      claims = claimsFromPayload(payload, app.fieldmap);
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
    if (!mapClaims(claims, app.fieldmap).username) {
      throw new BadRequestException('payload.username must be a string of 1 to 64 characters without control characters');
    }
    let key: Uint8Array | KeyObject;
    try {
      key = signingKeyFor(app.name, app.algorithm, secret, dto.privateKey);
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }

    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: app.algorithm, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + app.expire).setJti(this.crypto.randomUuid());
    if (app.issuer) jwt = jwt.setIssuer(app.issuer);
    if (app.audience) jwt = jwt.setAudience(app.audience);
    const token = await jwt.sign(key);
    if (token.length > MAX_JWT_LENGTH) throw new BadRequestException(`payload is too large: the token would be over ${MAX_JWT_LENGTH} characters, which no login accepts`);
    return { expire: app.expire, token, url: `/sso/${encodeURIComponent(app.name)}?${encodeURIComponent(app.tokenName)}=${token}` };
  }

  /** An app by name. @throws NotFoundException (404) `token app "X" not found`. */
  async findByName(name: string): Promise<SsoAppEntity> {
    const app = await this.apps.findOne({ where: { name } });
    if (!app) throw new NotFoundException(`token app "${name}" not found`);
    return app;
  }

  /** seed 004: "The current user's type must be Administrator". */
  private assertAdmin(actor: Principal): void {
    if (!isAdmin(actor)) throw new ForbiddenException(NO_PERMISSION);
  }

  /** A live user by exact (trimmed) name. @throws NotFoundException (404). */
  private async findLinkableUser(username: string): Promise<UserEntity> {
    const user = await this.users.findByName(username.trim());
    if (!user || user.isDelete) throw new NotFoundException(`user "${username.trim()}" not found`);
    return user;
  }

  /**
   * Validates a secret for `algorithm` ({@link hsSecretProblem} for HS*); returns a warning when an HS* secret
   * is shorter than the hash output. @throws BadRequestException (400) naming `secret`.
   */
  private async checkSecret(algorithm: string, secret: string): Promise<string | undefined> {
    if (isHmacAlgorithm(algorithm)) {
      const problem = hsSecretProblem(algorithm, secret);
      if (problem?.reason === 'empty') throw new BadRequestException('secret must not be empty');
      if (problem?.reason === 'public_key') {
        throw new BadRequestException(`secret looks like a public key: ${algorithm} needs a shared secret; use an RS* or ES* algorithm for a public key`);
      }
      if (problem?.reason === 'weak') {
        return (
          `secret is ${problem.bytes} bytes; ${algorithm} needs at least ${problem.minBytes} (RFC 7518 §3.2): ` +
          `logins through this app are refused until a secret of ${problem.minBytes}+ random bytes is set`
        );
      }
      return undefined;
    }
    try {
      await importVerificationKey(algorithm, secret);
    } catch (error) {
      const message = (error as Error).message;
      throw new BadRequestException(message.startsWith('secret') ? message : `secret is not a valid ${algorithm} public key`);
    }
    return undefined;
  }
}

/**
 * An app with allow_admin_roles=1 may sign admins in, so it is a way to become admin: only root may
 * create, change, delete or sign tokens for one, and an admin cannot raise or keep anyone's role
 * through SSO (seed 004 leaves it open; Tollgate keeps these apps root's).
 * @throws ForbiddenException (403) with `message` when `adminApp` and the actor is not root.
 */
function assertRootForAdminApps(actor: Principal, adminApp: boolean, message: string): void {
  if (adminApp && actor.role !== Role.Root) throw new ForbiddenException(message);
}

/** Names for deleteBatch from a JSON array body or `{names}` / `{name}`. @throws BadRequestException naming `names`. */
export function parseNameList(body: unknown): string[] {
  let raw: unknown = body;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    raw = o.names ?? o.name;
  }
  const list = toStringList(raw);
  if (!Array.isArray(list) || list.length === 0) throw new BadRequestException('names must be a non-empty array of token app names');
  if (list.length > 500) throw new BadRequestException('names must hold at most 500 names');
  if (!list.every((n) => typeof n === 'string' && SSO_APP_NAME.test(n))) {
    throw new BadRequestException('names must hold token app names (1 to 64 letters, digits, _ or -)');
  }
  return [...new Set(list as string[])];
}
