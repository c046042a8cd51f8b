import { ForbiddenException, HttpException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { decodeProtectedHeader, JWTPayload, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Role } from '../common/auth/principal';
import { CryptoService } from '../common/crypto/crypto.service';
import { isUniqueViolation } from '../database/unique-violation';
import { SessionResponseDto } from '../users/dto/session-response.dto';
import { UserEntity, UserStatus } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { SsoAppEntity } from './entities/sso-app.entity';
import { SsoLinkEntity } from './entities/sso-link.entity';
import { JtiReplayGuard } from './jti-replay-guard';
import { MappedClaims, mapClaims, MAX_JWT_LENGTH } from './sso-app-rules';
import { importVerificationKey, unusableSecretMessage, VerificationKey } from './sso-keys';

/** Where the login found the JWT, for the "missing token" message. */
export type JwtSource = { kind: 'query'; query: Record<string, unknown> } | { kind: 'header'; value: string | undefined };

const KEY_CACHE_LIMIT = 1000;

/** jose's failure codes → one message each (never the token). */
function describeJoseError(error: { code?: string; claim?: string; reason?: string }): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired (exp)';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'invalid token signature';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (error.claim === 'exp' && error.reason === 'missing') return 'token has no "exp" claim';
      if (error.claim === 'iss') return 'token issuer (iss) does not match the app';
      if (error.claim === 'aud') return 'token audience (aud) does not match the app';
      if (error.claim === 'nbf') return 'token not yet valid (nbf)';
      return `token claim "${error.claim}" is invalid`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm not allowed';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return 'token verification failed';
  }
}

/**
 * The SSO login (seed 004): refuses an app whose secret is unusable (an HS* secret shorter than the
 * hash output, or a public key), verifies an external system's JWT for the app (jose, pinned to the
 * app's one algorithm; `exp` required; age by `iat`, `iss`/`aud`, clock tolerance; one-time use),
 * maps claims through `fieldmap`, and opens a session for the user the app may sign in: one it
 * created (on first sight, when the app says so) or one an admin linked to it. Every refusal has its
 * own message; no message holds the token.
 */
@Injectable()
export class SsoLoginService {
  private readonly keys = new Map<string, VerificationKey>();

  constructor(
    @InjectRepository(SsoAppEntity) private readonly apps: Repository<SsoAppEntity>,
    @InjectRepository(SsoLinkEntity) private readonly links: Repository<SsoLinkEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly crypto: CryptoService,
    private readonly replay: JtiReplayGuard,
    private readonly audit: AuditService,
  ) {}

  /**
   * Logs in the JWT's user at app `name`. A refusal (4xx) leaves an `sso.login_failure` audit record with no actor
   * (a success leaves `sso.login`, see UsersService.startSsoSession).
   * @throws NotFoundException (404) unknown app; ForbiddenException (403) disabled app, unusable app secret,
   *   disabled/deleted user, an existing user the app did not create and is not linked to, unknown user with
   *   `inituser` "0", admin account without `allow_admin_roles`;
   *   UnauthorizedException (401) missing, malformed, forged, expired, too old, wrong iss/aud, replayed token,
   *   or no `fieldmap.username` claim.
   */
  async login(name: string, source: JwtSource): Promise<SessionResponseDto> {
    try {
      return await this.attempt(name, source);
    } catch (error) {
      if (error instanceof HttpException && error.getStatus() < 500) {
        await this.audit.record(this.dataSource.manager, { action: 'sso.login_failure', targetType: 'sso_app', targetId: name, actor: { id: null, role: null } });
      }
      throw error;
    }
  }

  private async attempt(name: string, source: JwtSource): Promise<SessionResponseDto> {
    const app = await this.apps.findOne({ where: { name } });
    if (!app) throw new NotFoundException(`unknown SSO app "${name}"`);
    if (!app.enabled) throw new ForbiddenException(`SSO app "${app.name}" is disabled`);
    const key = await this.keyFor(app);
    const token = this.extract(app, source);
    const payload = await this.verify(app, token, key);
    const claims = mapClaims(payload as Record<string, unknown>, app.fieldmap);
    if (!claims.username) throw new UnauthorizedException(`token has no usable "${app.fieldmap.username}" claim (fieldmap.username)`);
    await this.claimOnce(app, token, payload);
    const user = await this.userFor(app, { ...claims, username: claims.username });
    return this.users.startSsoSession(user, app.name);
  }

  /**
   * The user `app` may sign in for `claims.username`: the one linked to that name (profile refreshed), or a
   * new user with a link, made in one transaction when nobody has the name and the app creates users.
   * A concurrent first login that loses the race on the name looks again, without creating.
   */
  private async userFor(app: SsoAppEntity, claims: MappedClaims & { username: string }, mayCreate = true): Promise<UserEntity> {
    const link = await this.links.findOne({ where: { appId: app.id, subject: claims.username } });
    if (link) {
      const linked = await this.users.findById(link.userId);
      if (!linked) throw new ForbiddenException(`the user linked to "${claims.username}" at SSO app "${app.name}" no longer exists`);
      this.assertMayLogIn(app, linked);
      return this.users.refreshSsoProfile(linked, claims.displayName, claims.email);
    }
    const existing = await this.users.findByName(claims.username);
    if (existing) {
      this.assertMayLogIn(app, existing);
      throw new ForbiddenException(
        `user "${existing.name}" exists but is not linked to SSO app "${app.name}": an app signs in only the users it created ` +
          'or an admin linked to it (POST /plugin/datafor-modeler/api/token/link)',
      );
    }
    if (!app.initUser) throw new ForbiddenException(`unknown user "${claims.username}": SSO app "${app.name}" does not create users (inituser "0")`);
    if (!mayCreate) throw new ForbiddenException(`user "${claims.username}" could not be created at SSO app "${app.name}"`);
    try {
      const created = await this.dataSource.transaction(async (manager) => {
        const user = await this.users.createSsoUser(
          { name: claims.username, displayName: claims.displayName, email: claims.email, roles: app.initRoles, passwordHash: app.initpwdHash },
          manager,
        );
        await manager.insert(SsoLinkEntity, { appId: app.id, subject: claims.username, userId: user.id, createdAt: new Date() });
        return user;
      });
      this.assertMayLogIn(app, created);
      return created;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.userFor(app, claims, false);
    }
  }

  private extract(app: SsoAppEntity, source: JwtSource): string {
    const value = source.kind === 'query' ? source.query[app.tokenName] : source.value;
    if (Array.isArray(value)) throw new UnauthorizedException(`the "${app.tokenName}" query parameter is given more than once`);
    if (typeof value !== 'string' || value.trim() === '') {
      throw new UnauthorizedException(
        source.kind === 'query'
          ? `missing token: pass the JWT in the "${app.tokenName}" query parameter`
          : 'missing token: send Authorization: Bearer <jwt>',
      );
    }
    if (value.length > MAX_JWT_LENGTH) throw new UnauthorizedException(`token too large (over ${MAX_JWT_LENGTH} characters)`);
    return value.trim();
  }

  private async verify(app: SsoAppEntity, token: string, key: VerificationKey): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new UnauthorizedException('malformed token: not a compact JWS');
    }
    if (!alg || alg.toLowerCase() === 'none') throw new UnauthorizedException('unsigned token (alg "none") refused');
    if (alg !== app.algorithm) {
      throw new UnauthorizedException(`token algorithm ${alg} refused: SSO app "${app.name}" accepts ${app.algorithm} only`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [app.algorithm],
        requiredClaims: ['exp'],
        issuer: app.issuer ?? undefined,
        audience: app.audience ?? undefined,
        clockTolerance: app.clockTolerance,
      }));
    } catch (error) {
      throw new UnauthorizedException(describeJoseError(error as { code?: string }));
    }
    const now = Math.floor(Date.now() / 1000);
    const tolerance = app.clockTolerance;
    if (typeof payload.iat === 'number') {
      if (payload.iat > now + tolerance) throw new UnauthorizedException('token issued in the future (iat)');
      if (now - payload.iat > app.expire + tolerance) {
        throw new UnauthorizedException(`token too old: issued ${now - payload.iat}s ago, SSO app "${app.name}" allows ${app.expire}s`);
      }
    }
    if ((payload.exp as number) - now > app.expire + tolerance) {
      throw new UnauthorizedException(`token lifetime too long: exp is more than ${app.expire}s ahead`);
    }
    return payload;
  }

  /**
   * One-time use, remembered until `exp`: by `jti` when present, else by a SHA-256 of the JWS signing input
   * (header and payload as sent), so a signature re-encoded without the key (a changed base64url padding
   * bit, an ECDSA `(r, n - s)`) is still the same token.
   * @throws UnauthorizedException (401) for a replay.
   */
  private async claimOnce(app: SsoAppEntity, token: string, payload: JWTPayload): Promise<void> {
    const hasJti = typeof payload.jti === 'string' && payload.jti !== '';
    const id = hasJti ? `jti:${payload.jti as string}` : `jws:${token.slice(0, token.lastIndexOf('.'))}`;
    const key = createHash('sha256').update(`${app.id}:${id}`).digest('hex');
    const ttl = (payload.exp as number) - Math.floor(Date.now() / 1000) + app.clockTolerance;
    if (!(await this.replay.claim(key, ttl))) {
      throw new UnauthorizedException(hasJti ? 'token already used (replayed jti)' : 'token already used (one-time token replayed)');
    }
  }

  private assertMayLogIn(app: SsoAppEntity, user: UserEntity): void {
    if (user.isDelete) throw new ForbiddenException(`user "${user.name}" is deleted`);
    if (user.status !== UserStatus.Enabled) throw new ForbiddenException(`user "${user.name}" is disabled`);
    if (user.role === Role.Root) throw new ForbiddenException('the root account cannot log in through SSO');
    if (user.role >= Role.Admin && !app.allowAdminRoles) {
      throw new ForbiddenException(`SSO into an admin account needs allow_admin_roles=1 on SSO app "${app.name}"`);
    }
  }

  /**
   * The app's verification key (cached per secret version).
   * @throws ForbiddenException (403) when the app's secret cannot be used (see {@link unusableSecretMessage}): every
   *   login is refused until an admin sets a proper one.
   */
  private async keyFor(app: SsoAppEntity): Promise<VerificationKey> {
    const cacheKey = `${app.id}:${app.updatedAt.getTime()}:${this.crypto.hash(app.secretCiphertext)}`;
    const cached = this.keys.get(cacheKey);
    if (cached) return cached;
    const secret = this.crypto.decrypt(app.secretCiphertext);
    const unusable = unusableSecretMessage(app.name, app.algorithm, secret);
    if (unusable) throw new ForbiddenException(unusable);
    let key: VerificationKey;
    try {
      key = await importVerificationKey(app.algorithm, secret);
    } catch {
      throw new ForbiddenException(`SSO app "${app.name}" has no usable ${app.algorithm} public key: set a proper one`);
    }
    if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.clear();
    this.keys.set(cacheKey, key);
    return key;
  }
}
