import { BadRequestException, ForbiddenException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { isAdmin, Principal } from '../common/auth/principal';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService } from '../common/crypto/crypto.service';
import { EnvironmentVariables } from '../config/env.validation';
import { isUniqueViolation } from '../database/unique-violation';
import { UsersService } from '../users/users.service';
import { BatchUpdateField, BatchUpdateTokensDto } from './dto/batch-tokens.dto';
import { CreateTokenDto } from './dto/create-token.dto';
import type { TokenFieldsDto } from './dto/token-fields.dto';
import { ListTokensQueryDto, pageOf, SearchTokensQueryDto } from './dto/token-query.dto';
import { TokenKeyDto, TokenKeysDto, TokenPageDto, TokenResponseDto, toTokenResponse } from './dto/token-response.dto';
import { TokenUsageResponseDto, toTokenUsageResponse } from './dto/token-usage-response.dto';
import { UpdateTokenDto } from './dto/update-token.dto';
import { TokenEntity, TokenStatus } from './entities/token.entity';
import { escapeLike, keyFromPresented, TOKEN_KEY_LENGTH, withoutKeyPrefix } from './token-fields';
import { unixNow } from '../common/unix-time';
import { LedgerStore } from '../metering/ledger-store';
import { defaultPolicy, policyChanges } from '../metering/policy-fields';
import { effectiveStatus, enableRefusal, STATUS_VALUES_MESSAGE, statusChangeOf } from './token-status';
import { groupAllowed, ownerGroups, ownerState, tokenGroups } from './token-policy';

/** True when a change sets a new balance (`remain_quota` or `unlimited_quota`): the token's quota leases are then void. */
function setsQuota(changes: Partial<TokenEntity>): boolean {
  return changes.remainQuota !== undefined || changes.unlimitedQuota !== undefined;
}

/** Seed 002's "token does not exist": also for another user's token, so ids leak nothing. */
export const TOKEN_NOT_FOUND = 'token does not exist';
/** Most rows `GET /api/token/search` returns. */
export const SEARCH_LIMIT = 100;

type TokenColumns = Partial<Omit<TokenEntity, 'id' | 'userId' | 'keyHash' | 'keyCiphertext' | 'keyPrefix' | 'keySuffix'>>;

/**
 * The API tokens of seeds 000/001/002 (`/api/token/*`), scoped to the calling user, and the
 * lookup the relay uses. Keys are 48 characters of `[0-9a-zA-Z]` from the CSPRNG, stored as an
 * HMAC-SHA-256 (lookup), AES-256-GCM ciphertext (reveal) and clear first 8 / last 4 (search, mask).
 * Every change publishes `{topic: 'token', id}` on the {@link InvalidationBus} after it commits.
 */
@Injectable()
export class TokensService {
  constructor(
    @InjectRepository(TokenEntity) private readonly tokens: Repository<TokenEntity>,
    private readonly dataSource: DataSource,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
    private readonly users: UsersService,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /**
   * `GET /api/token/`: a page of the user's tokens, newest first; page and size as new-api reads
   * them ({@link pageOf}: `p=0` is page 1). Admins may pass `user_id`.
   * @throws ForbiddenException (403) a common user asking for another user's tokens
   */
  async list(principal: Principal, query: ListTokensQueryDto): Promise<TokenPageDto> {
    const userId = this.scopeUserId(principal, query.user_id);
    const { page, pageSize } = pageOf(query);
    const [rows, total] = await this.tokens.findAndCount({
      where: { userId },
      order: { id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    const now = unixNow();
    return { items: (await this.withLeases(rows)).map((t) => toTokenResponse(t, now)), total, page, page_size: pageSize };
  }

  /**
   * `GET /api/token/search`: `keyword` is a substring of the name; `token` (with or without `sk-`, {@link withoutKeyPrefix})
   * is the full key (exact, by hash), a fragment of its stored first 8 or last 4 characters, a longer
   * start or end of it (checked against the decrypted key), or its masked form `abcd**********wxyz`.
   * Both ANDed; at most 100, newest first. Name and short-fragment matches are case-insensitive (LIKE).
   * @throws ForbiddenException (403) a common user asking for another user's tokens
   */
  async search(principal: Principal, query: SearchTokensQueryDto): Promise<TokenResponseDto[]> {
    const userId = this.scopeUserId(principal, query.user_id);
    const qb = this.tokens.createQueryBuilder('t').where('t.userId = :userId', { userId }).orderBy('t.id', 'DESC');
    const keyword = query.keyword?.trim();
    if (keyword) qb.andWhere("t.name LIKE :keyword ESCAPE '!'", { keyword: `%${escapeLike(keyword)}%` });

    const fragment = withoutKeyPrefix(query.token ?? '');
    let verify: ((key: string) => boolean) | undefined;
    if (fragment) {
      if (!/^[0-9a-zA-Z*]+$/.test(fragment)) return [];
      if (fragment.includes('*')) {
        const head = fragment.slice(0, fragment.indexOf('*')).slice(0, 8);
        const tail = fragment.slice(fragment.lastIndexOf('*') + 1).slice(-4);
        qb.andWhere("t.keyPrefix LIKE :head ESCAPE '!' AND t.keySuffix LIKE :tail ESCAPE '!'", { head: `${head}%`, tail: `%${tail}` });
      } else if (fragment.length === TOKEN_KEY_LENGTH) {
        qb.andWhere('t.keyHash = :hash', { hash: this.crypto.hash(fragment) });
      } else if (fragment.length <= 8) {
        qb.andWhere("(t.keyPrefix LIKE :frag ESCAPE '!' OR t.keySuffix LIKE :frag ESCAPE '!')", { frag: `%${fragment}%` });
      } else if (fragment.length < TOKEN_KEY_LENGTH) {
        qb.andWhere('(t.keyPrefix = :start OR t.keySuffix = :end)', { start: fragment.slice(0, 8), end: fragment.slice(-4) });
        verify = (key) => key.startsWith(fragment) || key.endsWith(fragment);
      } else {
        return [];
      }
    }
    const now = unixNow();
    if (!verify) {
      const rows = await qb.take(SEARCH_LIMIT).getMany();
      return (await this.withLeases(rows)).map((t) => toTokenResponse(t, now));
    }
    const candidates = await qb.take(SEARCH_LIMIT * 10).getMany();
    const check = verify;
    const found = candidates.filter((t) => check(this.crypto.decrypt(t.keyCiphertext))).slice(0, SEARCH_LIMIT);
    return (await this.withLeases(found)).map((t) => toTokenResponse(t, now));
  }

  /** `GET /api/token/:id`: one own token, key masked. @throws NotFoundException (404) missing or not the caller's */
  async get(principal: Principal, id: number): Promise<TokenResponseDto> {
    const [token] = await this.withLeases([await this.findOwn(principal, id)]);
    return toTokenResponse(token, unixNow());
  }

  /**
   * `POST /api/token/` (seed 002): a new token. Nothing is returned (seed 002 and new-api's `AddToken`
   * answer no data); the key comes from reveal. Defaults: never expires, 0 quota (limited), no
   * model/IP limits, enabled.
   * @throws BadRequestException (400) when the user already holds `MAX_TOKENS_PER_USER` tokens
   */
  async create(principal: Principal, dto: CreateTokenDto): Promise<void> {
    const userId = principal.userId;
    const max = this.config.get('MAX_TOKENS_PER_USER', { infer: true });
    const limitError = () =>
      new BadRequestException(`token limit reached: a user may hold at most ${max} tokens (MAX_TOKENS_PER_USER); delete some first`);
    if ((await this.tokens.count({ where: { userId } })) >= max) throw limitError();

    const now = unixNow();
    const columns = this.columnsFrom(dto);
    await this.assertGroupsAllowed(userId, columns.group ?? '', columns.selectedGroups ?? '[]');
    for (let attempt = 0; ; attempt++) {
      const key = this.crypto.randomAlphanumeric(TOKEN_KEY_LENGTH);
      const token = this.tokens.create({
        userId,
        name: dto.name,
        status: TokenStatus.Enabled,
        createdTime: now,
        accessedTime: 0,
        expiredTime: -1,
        remainQuota: 0,
        usedQuota: 0,
        unlimitedQuota: false,
        modelLimitsEnabled: false,
        modelLimits: '',
        allowIps: '',
        group: '',
        mjImageMode: 'default',
        mjCustomProxy: '',
        selectedGroups: '[]',
        policy: defaultPolicy(),
        ...columns,
        ...this.keyColumns(key),
      });
      try {
        await this.tokens.insert(token);
      } catch (error) {
        // A hash collision of two random 48-character keys is ~2^-285; retry once rather than 500.
        if (isUniqueViolation(error) && attempt === 0) continue;
        throw error;
      }
      // Two concurrent creates may both pass the first count: re-check and undo past the limit.
      if ((await this.tokens.count({ where: { userId } })) > max) {
        await this.tokens.delete({ id: token.id, userId });
        throw limitError();
      }
      this.bus.publish({ topic: 'token', id: token.id });
      return;
    }
  }

  /**
   * `PUT /api/token/`: changes the fields present in `dto` (seed 000's body, and the whole token as
   * new-api's edit form sends it back, verbatim); with `statusOnly` only `status`. A full update whose
   * status is the one the token reads as now is no status change ({@link statusChangeOf}). Switching on
   * (status 1) a token that, after the change, is expired or exhausted is refused with seed 002's message.
   * @throws NotFoundException (404) missing or not the caller's; BadRequestException (400) refused enable,
   *   a status other than 1 or 2 that is not the current one, or `status_only` without `status`
   */
  async update(principal: Principal, dto: UpdateTokenDto, statusOnly: boolean): Promise<TokenResponseDto> {
    const [token] = await this.withLeases([await this.findOwn(principal, dto.id)]);
    const now = unixNow();
    if (statusOnly && dto.status === undefined) throw new BadRequestException('status is required with status_only=true (1 enabled, 2 disabled)');
    const status = statusChangeOf(dto.status, effectiveStatus(token, now), statusOnly);
    if (status !== undefined && status !== TokenStatus.Enabled && status !== TokenStatus.Disabled) throw new BadRequestException(STATUS_VALUES_MESSAGE);
    const changes: TokenColumns = statusOnly
      ? { status }
      : { ...this.columnsFrom(dto, token.policy), ...(dto.name !== undefined ? { name: dto.name } : {}), ...(status !== undefined ? { status } : {}) };
    const next = { ...token, ...changes } as TokenEntity;
    if (changes.status === TokenStatus.Enabled) {
      const refusal = enableRefusal(next, now);
      if (refusal) throw new BadRequestException(refusal);
    }
    if (changes.group !== undefined || changes.selectedGroups !== undefined) await this.assertGroupsAllowed(token.userId, next.group, next.selectedGroups);
    if (Object.keys(changes).length > 0) {
      await this.dataSource.transaction(async (manager) => {
        const result = await manager.update(TokenEntity, { id: token.id, userId: token.userId }, changes);
        if (result.affected === 0) throw new NotFoundException(TOKEN_NOT_FOUND);
        if (setsQuota(changes)) await LedgerStore.clearLeases(manager, 'token', [token.id]);
      });
      this.bus.publish({ topic: 'token', id: token.id });
    }
    return toTokenResponse(next, now);
  }

  /** `DELETE /api/token/:id`. @throws NotFoundException (404) missing or not the caller's */
  async remove(principal: Principal, id: number): Promise<void> {
    const result = await this.tokens.delete({ id, userId: principal.userId });
    if (!result.affected) throw new NotFoundException(TOKEN_NOT_FOUND);
    this.bus.publish({ topic: 'token', id });
  }

  /**
   * `POST /api/token/batch` (seed 002): deletes those of `ids` that are the caller's, in one
   * transaction. @returns how many were deleted (others' and missing ids are not counted)
   */
  async removeMany(principal: Principal, ids: number[]): Promise<number> {
    const deleted = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(TokenEntity);
      const own = await this.ownIds(repo, principal.userId, ids);
      if (own.length > 0) await repo.delete({ userId: principal.userId, id: In(own) });
      return own;
    });
    for (const id of deleted) this.bus.publish({ topic: 'token', id });
    return deleted.length;
  }

  /**
   * `PUT /api/token/batch` (seed 001): sets the fields named in `update_fields` on those of `ids`
   * that are the caller's, in one transaction (one UPDATE). Status is not a batch field.
   * @returns rows changed (others' and missing ids are not counted)
   * @throws BadRequestException (400) a field named in `update_fields` is missing from the body
   */
  async updateMany(principal: Principal, dto: BatchUpdateTokensDto): Promise<number> {
    const named = new Set<BatchUpdateField>(dto.update_fields);
    const picked: Partial<TokenFieldsDto> = {};
    for (const field of named) {
      if (dto[field] === undefined) throw new BadRequestException(`${field} is named in update_fields but missing from the body`);
      (picked as Record<string, unknown>)[field] = dto[field];
    }
    const changes = this.columnsFrom(picked);
    if (changes.group !== undefined) await this.assertGroupsAllowed(principal.userId, changes.group, '[]');
    if (changes.selectedGroups !== undefined) await this.assertGroupsAllowed(principal.userId, '', changes.selectedGroups);
    const changed = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(TokenEntity);
      const own = await this.ownIds(repo, principal.userId, dto.ids);
      if (own.length > 0) await repo.update({ userId: principal.userId, id: In(own) }, changes);
      if (setsQuota(changes)) await LedgerStore.clearLeases(manager, 'token', own);
      return own;
    });
    for (const id of changed) this.bus.publish({ topic: 'token', id });
    return changed.length;
  }

  /**
   * `POST /api/token/:id/rotate`: gives one own token a new key (answered like reveal: `{key}`,
   * without `sk-`). With `graceSeconds` > 0 the old key keeps working that many seconds (at most a
   * day), on every instance, and the token shows `previous_key_expires_at`; with 0 it stops at once.
   * Rotating again ends the previous grace at once.
   * @throws NotFoundException (404) missing or not the caller's
   */
  async rotate(principal: Principal, id: number, graceSeconds: number): Promise<TokenKeyDto> {
    const token = await this.findOwn(principal, id);
    const key = this.crypto.randomAlphanumeric(TOKEN_KEY_LENGTH);
    const now = unixNow();
    const result = await this.tokens.update(
      { id: token.id, userId: token.userId },
      {
        ...this.keyColumns(key),
        previousKeyHash: graceSeconds > 0 ? token.keyHash : null,
        previousKeyExpiresAt: graceSeconds > 0 ? now + graceSeconds : null,
      },
    );
    if (!result.affected) throw new NotFoundException(TOKEN_NOT_FOUND);
    this.bus.publish({ topic: 'token', id: token.id });
    return { key };
  }

  /**
   * `POST /api/token/:id/key`: the key of one own token, as new-api's `GetTokenKey` answers it:
   * `{key}`, the 48 characters without `sk-` (new-api's front end copies `sk-${key}`).
   * @throws NotFoundException (404)
   */
  async revealKey(principal: Principal, id: number): Promise<TokenKeyDto> {
    const token = await this.findOwn(principal, id);
    return { key: this.crypto.decrypt(token.keyCiphertext) };
  }

  /**
   * `POST /api/token/batch/keys` (new-api's `GetTokenKeysBatch`): `{keys: {<id>: <key without sk->}}`
   * for those of `ids` that are the caller's; others' and missing ids are left out, as new-api does.
   */
  async revealKeys(principal: Principal, ids: number[]): Promise<TokenKeysDto> {
    const rows = await this.tokens.find({ select: { id: true, keyCiphertext: true }, where: { userId: principal.userId, id: In(ids) }, order: { id: 'ASC' } });
    const keys: Record<string, string> = {};
    for (const row of rows) keys[String(row.id)] = this.crypto.decrypt(row.keyCiphertext);
    return { keys };
  }

  /**
   * `GET /api/usage/token`: the usage of the token presented as the bearer (`sk-<key>`, or the bare
   * key). Any token status may see its usage; an unknown key or a deleted or disabled owner is refused.
   * @throws UnauthorizedException (401)
   */
  async usageOf(presented: string | undefined): Promise<TokenUsageResponseDto> {
    const key = presented ? keyFromPresented(presented) : undefined;
    if (!key) throw new UnauthorizedException('missing or malformed API token: send Authorization: Bearer sk-<key>');
    const token = await this.findByKey(key);
    if (!token) throw new UnauthorizedException('invalid API token');
    const owner = await this.users.findLive(token.userId).catch(() => undefined);
    // A deleted or disabled owner's tokens stop working (the token rules' owner state).
    if (ownerState(owner) !== 'active') throw new UnauthorizedException('invalid API token');
    const [shown] = await this.withLeases([token]);
    return toTokenUsageResponse(shown);
  }

  /**
   * The relay's lookup: the token whose 48-character key (without `sk-`) is `key`, by its HMAC in one
   * indexed query, compared in constant time. Any status; callers apply `effectiveStatus` (token-status.ts).
   */
  async findByKey(key: string): Promise<TokenEntity | null> {
    return this.findByKeyHash(this.crypto.hash(key));
  }

  /** Same as {@link findByKey} from `CryptoService.hash(key)` (the relay's cache key). */
  async findByKeyHash(hash: string): Promise<TokenEntity | null> {
    const token = await this.tokens.findOne({ where: { keyHash: hash } });
    return token && this.crypto.hashesEqual(token.keyHash, hash) ? token : null;
  }

  private async findOwn(principal: Principal, id: number): Promise<TokenEntity> {
    const token = await this.tokens.findOne({ where: { id, userId: principal.userId } });
    if (!token) throw new NotFoundException(TOKEN_NOT_FOUND);
    return token;
  }

  private async ownIds(repo: Repository<TokenEntity>, userId: number, ids: number[]): Promise<number[]> {
    const rows = await repo.find({ select: { id: true }, where: { userId, id: In(ids) } });
    return rows.map((r) => r.id);
  }

  /**
   * The rows as people see them: `remain_quota` counts what instances hold of it in quota leases
   * (the quota is theirs until spent). Copies; the entities are not changed.
   */
  private async withLeases(rows: TokenEntity[]): Promise<TokenEntity[]> {
    const leased = await LedgerStore.leased(this.tokens.manager, 'token', rows.filter((t) => !t.unlimitedQuota).map((t) => t.id));
    return rows.map((t) => (leased.has(t.id) ? { ...t, remainQuota: t.remainQuota + leased.get(t.id)! } : t));
  }

  /**
   * A token's groups (`group`, else `selected_groups`, else `default`) must be groups its owner may use.
   * @throws BadRequestException (400) naming `group` and the groups allowed
   */
  private async assertGroupsAllowed(userId: number, group: string, selectedGroups: string): Promise<void> {
    const owner = await this.users.findLive(userId);
    const allowed = { groups: ownerGroups(owner.groups, owner.role) };
    const refused = tokenGroups(group, selectedGroups).filter((g) => !groupAllowed(allowed, g));
    if (refused.length > 0) {
      const field = group.trim() ? 'group' : 'selected_groups';
      throw new BadRequestException(`${field}: the token's owner may not use group ${refused.map((g) => `"${g}"`).join(', ')} (allowed: ${[...allowed.groups!].join(', ') || 'none'}); an admin can grant groups with PATCH /1/users/:id`);
    }
  }

  /** The user whose tokens a list/search shows: the caller, or (admins only) `requested`. */
  private scopeUserId(principal: Principal, requested?: number): number {
    if (requested === undefined || requested === principal.userId) return principal.userId;
    if (!isAdmin(principal)) throw new ForbiddenException("admin role required to see another user's tokens (user_id)");
    return requested;
  }

  private keyColumns(key: string): Pick<TokenEntity, 'keyHash' | 'keyCiphertext' | 'keyPrefix' | 'keySuffix'> {
    return {
      keyHash: this.crypto.hash(key),
      keyCiphertext: this.crypto.encrypt(key),
      keyPrefix: key.slice(0, 8),
      keySuffix: key.slice(-4),
    };
  }

  /**
   * Entity columns of the DTO fields that are present (already normalized by the DTO); the policy
   * columns merged over `policy` (the token's, or a new token's defaults).
   * @throws BadRequestException (400) as policyChanges
   */
  private columnsFrom(dto: Partial<TokenFieldsDto>, policy = defaultPolicy()): TokenColumns {
    const c: TokenColumns = {};
    const changed = policyChanges(policy, dto, unixNow());
    if (changed) c.policy = { ...policy, ...changed };
    if (dto.remain_quota !== undefined) c.remainQuota = dto.remain_quota;
    if (dto.expired_time !== undefined) c.expiredTime = dto.expired_time;
    if (dto.unlimited_quota !== undefined) c.unlimitedQuota = dto.unlimited_quota;
    if (dto.model_limits_enabled !== undefined) c.modelLimitsEnabled = dto.model_limits_enabled;
    if (dto.model_limits !== undefined) c.modelLimits = dto.model_limits;
    if (dto.allow_ips !== undefined) c.allowIps = dto.allow_ips;
    if (dto.group !== undefined) c.group = dto.group;
    if (dto.mj_image_mode !== undefined) c.mjImageMode = dto.mj_image_mode;
    if (dto.mj_custom_proxy !== undefined) c.mjCustomProxy = dto.mj_custom_proxy;
    if (dto.selected_groups !== undefined) c.selectedGroups = JSON.stringify(dto.selected_groups);
    return c;
  }
}
