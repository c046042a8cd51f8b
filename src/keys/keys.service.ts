import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { diffViews } from '../audit/audit-changes';
import { AuditService } from '../audit/audit.service';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService, maskSecret } from '../common/crypto/crypto.service';
import { CreateKeyDto } from './dto/create-key.dto';
import { KeyResponseDto, toKeyResponse } from './dto/key-response.dto';
import { UpdateKeyDto } from './dto/update-key.dto';
import { assertEndpointAllowed } from './endpoint-policy';
import { ApiType, ApiTypeInput, KeyEntity, KeyStatus } from './entities/key.entity';
import { keyNameConvention } from './key-name-conventions';
import { isUniqueViolation } from '../database/unique-violation';
import { KeyPool } from './key-pool.service';
import { keyAuditView } from './key-audit-view';

/** Defaults of a new key. */
export const OPENAI_DEFAULT_ENDPOINT = 'https://api.openai.com/v1';
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** The stored display form of an upstream key: first 3 + `****` + last 4. */
export function keyHint(secret: string): string {
  return maskSecret(secret, 3, 4, '****');
}

/**
 * Upstream keys of seed 003 (`/1/keys`), admin only. Keys are encrypted with the master key;
 * every change publishes a `key` invalidation so the relay's routing cache reloads, and leaves an audit
 * record (`key.create`, `key.update`, `key.delete`) in its own transaction.
 */
@Injectable()
export class KeysService {
  constructor(
    @InjectRepository(KeyEntity) private readonly keys: Repository<KeyEntity>,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
    private readonly pool: KeyPool,
    private readonly audit: AuditService,
  ) {}

  /** Every key by id, masked. */
  async list(): Promise<KeyResponseDto[]> {
    const rows = await this.keys.find({ order: { id: 'ASC' } });
    return rows.map((k) => toKeyResponse(k, this.pool.lastUsed(k.id)));
  }

  /**
   * Adds a key (seed 003 body accepted verbatim; `endpoint: ""` means the OpenAI default). Without
   * `api_type`, opencatd's name conventions apply ({@link keyNameConvention}): `azure.<resource>` is an
   * Azure OpenAI key of `https://<resource>.openai.azure.com` (api-version 2024-02-01, as opencatd), and
   * with `api_type` `azure`/`azure_openai` such a name gives the endpoint when none is sent.
   * @throws BadRequestException (400) for an azure_openai key without endpoint, an endpoint that
   *   {@link assertEndpointAllowed} refuses (link-local, cloud metadata), a bad deployments map, a bad
   *   `azure.<resource>` name, or (without `api_type`) opencatd's `claude.`/`google.` names;
   *   ConflictException (409) when the name or the key is stored already.
   */
  async create(dto: CreateKeyDto): Promise<KeyResponseDto> {
    const name = dto.name?.trim() || null;
    const route = resolveRoute(name, dto);
    const keyHash = this.crypto.hash(dto.key);
    await this.assertUnique(name, keyHash);
    const now = new Date();
    const key = this.keys.create({
      name,
      keyHash,
      keyCiphertext: this.crypto.encrypt(dto.key),
      keyHint: keyHint(dto.key),
      apiType: route.apiType,
      endpoint: route.endpoint,
      apiVersion: route.apiVersion,
      deployments: serializeDeployments(dto.deployments),
      models: (dto.models ?? []).join(','),
      group: dto.group ?? 'default',
      priority: dto.priority ?? 0,
      weight: dto.weight ?? 1,
      status: KeyStatus.Enabled,
      lastError: '',
      lastUsedAt: 0,
      createdAt: now,
      updatedAt: now,
    });
    await this.uniquely(name, keyHash, undefined, () =>
      this.keys.manager.transaction(async (manager) => {
        await manager.insert(KeyEntity, key);
        await this.audit.record(manager, { action: 'key.create', targetType: 'key', targetId: key.id, changes: diffViews(null, keyAuditView(key)) });
      }),
    );
    this.bus.publish({ topic: 'key', id: key.id });
    return toKeyResponse(key);
  }

  /**
   * Changes any field; `status: 1` re-enables (clearing `last_error`), `status: 2` disables.
   * Where the key is sent is bound to the key: a new `endpoint` (Azure's resource is its host) or
   * `api_type` is taken only with the `key` itself in the same request, so an admin who cannot
   * read a key cannot send it to a host of their choosing either. `name: ""` removes the name.
   * @throws NotFoundException (404); BadRequestException (400) as for create, and `key is required
   *   when endpoint or api_type changes` without the key; ConflictException (409) when another key
   *   holds the new name or the new key.
   */
  async update(id: number, dto: UpdateKeyDto): Promise<KeyResponseDto> {
    const key = await this.find(id);
    const before = keyAuditView(key);
    const requestedType = dto.api_type === undefined ? undefined : storedApiType(dto.api_type);
    const typeChanged = requestedType !== undefined && requestedType !== key.apiType;
    const apiType = requestedType ?? key.apiType;
    const endpoint = dto.endpoint !== undefined || typeChanged ? normalizeEndpoint(apiType, dto.endpoint ?? (typeChanged ? '' : key.endpoint)) : key.endpoint;
    if ((typeChanged || endpoint !== key.endpoint) && dto.key === undefined) {
      throw new BadRequestException('key is required when endpoint or api_type changes: send the upstream key itself in the same request');
    }
    if (dto.key !== undefined) {
      key.keyHash = this.crypto.hash(dto.key);
      key.keyCiphertext = this.crypto.encrypt(dto.key);
      key.keyHint = keyHint(dto.key);
    }
    if (dto.name !== undefined) key.name = dto.name.trim() || null;
    await this.assertUnique(dto.name !== undefined ? key.name : null, dto.key !== undefined ? key.keyHash : null, key.id);
    key.apiType = apiType;
    key.endpoint = endpoint;
    if (dto.api_version !== undefined) key.apiVersion = dto.api_version;
    if (key.apiType === 'azure_openai' && !key.apiVersion) key.apiVersion = AZURE_DEFAULT_API_VERSION;
    if (dto.deployments !== undefined) key.deployments = serializeDeployments(dto.deployments);
    if (dto.models !== undefined) key.models = dto.models.join(',');
    if (dto.group !== undefined) key.group = dto.group;
    if (dto.priority !== undefined) key.priority = dto.priority;
    if (dto.weight !== undefined) key.weight = dto.weight;
    if (dto.status !== undefined) {
      if (dto.status === KeyStatus.Enabled) key.lastError = '';
      key.status = dto.status;
    }
    key.updatedAt = new Date();
    await this.uniquely(key.name, key.keyHash, key.id, () =>
      this.keys.manager.transaction(async (manager) => {
        await manager.save(KeyEntity, key);
        await this.audit.record(manager, { action: 'key.update', targetType: 'key', targetId: key.id, changes: diffViews(before, keyAuditView(key)) });
      }),
    );
    this.bus.publish({ topic: 'key', id: key.id });
    return toKeyResponse(key, this.pool.lastUsed(key.id));
  }

  /** Deletes a key for good (usage records keep its id), with its audit record. @throws NotFoundException (404). */
  async remove(id: number): Promise<void> {
    await this.keys.manager.transaction(async (manager) => {
      const key = await manager.findOneBy(KeyEntity, { id });
      const result = key ? await manager.delete(KeyEntity, { id }) : undefined;
      if (!key || !result?.affected) throw new NotFoundException(`key ${id} not found`);
      await this.audit.record(manager, { action: 'key.delete', targetType: 'key', targetId: id, changes: diffViews(keyAuditView(key), null) });
    });
    this.bus.publish({ topic: 'key', id });
  }

  /**
   * The uniqueness rule of names and keys (opencatd's `unique` name and key): another key (not
   * `exceptId`) holding `name` or the key of `keyHash` (its HMAC) is a conflict. Null skips a check.
   * @throws ConflictException (409) naming `name` or `key`
   */
  private async assertUnique(name: string | null, keyHash: string | null, exceptId?: number): Promise<void> {
    if (name !== null) {
      const holder = await this.keys.findOne({ select: { id: true, name: true }, where: { name } });
      if (holder && holder.id !== exceptId && holder.name === name) throw new ConflictException(`name "${name}" is taken by key ${holder.id}`);
    }
    if (keyHash !== null) {
      const holder = await this.keys.findOne({ select: { id: true, keyHash: true }, where: { keyHash } });
      if (holder?.keyHash && holder.id !== exceptId && this.crypto.hashesEqual(holder.keyHash, keyHash)) {
        throw new ConflictException(`key: this upstream key is stored already (key ${holder.id})`);
      }
    }
  }

  /** Runs `write`; a unique violation (a concurrent write took the name or key) becomes the 409 of {@link assertUnique}. */
  private async uniquely(name: string | null, keyHash: string | null, exceptId: number | undefined, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await this.assertUnique(name, keyHash, exceptId);
      throw new ConflictException('name or key is stored already');
    }
  }

  private async find(id: number): Promise<KeyEntity> {
    const key = await this.keys.findOne({ where: { id } });
    if (!key) throw new NotFoundException(`key ${id} not found`);
    return key;
  }
}

/**
 * Empty → the OpenAI default for openai; required for azure_openai. Trailing slashes dropped.
 * @throws BadRequestException (400) naming `endpoint` when missing for Azure or refused by {@link assertEndpointAllowed}.
 */
function normalizeEndpoint(apiType: ApiType, endpoint: string | undefined): string {
  const value = (endpoint ?? '').trim().replace(/\/+$/, '');
  if (value) {
    assertEndpointAllowed(value);
    return value;
  }
  if (apiType === 'azure_openai') throw new BadRequestException('endpoint is required for azure_openai keys (https://<resource>.openai.azure.com)');
  return OPENAI_DEFAULT_ENDPOINT;
}

/** `azure` (opencatd's name for it) is stored as `azure_openai`. */
function storedApiType(input: ApiTypeInput): ApiType {
  return input === 'azure' ? 'azure_openai' : input;
}

/**
 * A new key's type, endpoint and api-version from `api_type`, `endpoint`, `api_version` and
 * opencatd's name conventions ({@link keyNameConvention}): without `api_type` an `azure.<resource>`
 * name makes an Azure key, and an Azure key without endpoint takes the name's resource.
 * @throws BadRequestException (400) as {@link keyNameConvention} and {@link normalizeEndpoint}, and
 *   for opencatd's `claude.`/`google.` names without `api_type`
 */
function resolveRoute(name: string | null, dto: CreateKeyDto): { apiType: ApiType; endpoint: string; apiVersion: string } {
  const convention = name === null ? undefined : keyNameConvention(name);
  if (dto.api_type === undefined && convention?.kind === 'unsupported') {
    throw new BadRequestException(
      `name "${name}" is opencatd's convention for ${convention.provider} keys, which Tollgate does not relay (OpenAI and Azure OpenAI only); send api_type to store it anyway`,
    );
  }
  const apiType: ApiType = dto.api_type !== undefined ? storedApiType(dto.api_type) : convention?.kind === 'azure' ? 'azure_openai' : 'openai';
  if (apiType !== 'azure_openai') return { apiType, endpoint: normalizeEndpoint(apiType, dto.endpoint), apiVersion: dto.api_version ?? '' };
  const azure = convention?.kind === 'azure' ? convention : undefined;
  const endpoint = azure && !dto.endpoint?.trim() ? azure.endpoint : normalizeEndpoint(apiType, dto.endpoint);
  return { apiType, endpoint, apiVersion: dto.api_version || (azure ? azure.apiVersion : AZURE_DEFAULT_API_VERSION) };
}

function serializeDeployments(map: Record<string, string> | undefined): string {
  const clean: Record<string, string> = {};
  for (const [model, deployment] of Object.entries(map ?? {})) {
    if (typeof deployment !== 'string' || !/^[\w.-]{1,128}$/.test(deployment) || model.length > 128) {
      throw new BadRequestException('deployments must map model names to deployment names (letters, digits, _ . -)');
    }
    clean[model] = deployment;
  }
  return JSON.stringify(clean);
}

