import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService, maskSecret } from '../common/crypto/crypto.service';
import { CreateKeyDto } from './dto/create-key.dto';
import { KeyResponseDto, toKeyResponse } from './dto/key-response.dto';
import { UpdateKeyDto } from './dto/update-key.dto';
import { assertEndpointAllowed } from './endpoint-policy';
import { ApiType, KeyEntity, KeyStatus } from './entities/key.entity';
import { KeyPool } from './key-pool.service';

/** Defaults of a new key. */
export const OPENAI_DEFAULT_ENDPOINT = 'https://api.openai.com/v1';
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** The stored display form of an upstream key: first 3 + `****` + last 4. */
export function keyHint(secret: string): string {
  return maskSecret(secret, 3, 4, '****');
}

/**
 * Upstream keys of seed 003 (`/1/keys`), admin only. Keys are encrypted with the master key;
 * every change publishes a `key` invalidation so the relay's routing cache reloads.
 */
@Injectable()
export class KeysService {
  constructor(
    @InjectRepository(KeyEntity) private readonly keys: Repository<KeyEntity>,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
    private readonly pool: KeyPool,
  ) {}

  /** Every key by id, masked. */
  async list(): Promise<KeyResponseDto[]> {
    const rows = await this.keys.find({ order: { id: 'ASC' } });
    return rows.map((k) => toKeyResponse(k, this.pool.lastUsed(k.id)));
  }

  /**
   * Adds a key (seed 003 body accepted verbatim; `endpoint: ""` means the OpenAI default).
   * @throws BadRequestException (400) for an azure_openai key without endpoint, an endpoint that
   *   {@link assertEndpointAllowed} refuses (link-local, cloud metadata), or a bad deployments map.
   */
  async create(dto: CreateKeyDto): Promise<KeyResponseDto> {
    const apiType: ApiType = dto.api_type ?? 'openai';
    const now = new Date();
    const key = this.keys.create({
      name: dto.name?.trim() ?? '',
      keyCiphertext: this.crypto.encrypt(dto.key),
      keyHint: keyHint(dto.key),
      apiType,
      endpoint: normalizeEndpoint(apiType, dto.endpoint),
      apiVersion: apiType === 'azure_openai' ? dto.api_version || AZURE_DEFAULT_API_VERSION : (dto.api_version ?? ''),
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
    await this.keys.insert(key);
    this.bus.publish({ topic: 'key', id: key.id });
    return toKeyResponse(key);
  }

  /**
   * Changes any field; `status: 1` re-enables (clearing `last_error`), `status: 2` disables.
   * Where the key is sent is bound to the key: a new `endpoint` (Azure's resource is its host) or
   * `api_type` is taken only with the `key` itself in the same request, so an admin who cannot
   * read a key cannot send it to a host of their choosing either.
   * @throws NotFoundException (404); BadRequestException (400) as for create, and `key is required
   *   when endpoint or api_type changes` without the key.
   */
  async update(id: number, dto: UpdateKeyDto): Promise<KeyResponseDto> {
    const key = await this.find(id);
    const typeChanged = dto.api_type !== undefined && dto.api_type !== key.apiType;
    const apiType = dto.api_type ?? key.apiType;
    const endpoint = dto.endpoint !== undefined || typeChanged ? normalizeEndpoint(apiType, dto.endpoint ?? (typeChanged ? '' : key.endpoint)) : key.endpoint;
    if ((typeChanged || endpoint !== key.endpoint) && dto.key === undefined) {
      throw new BadRequestException('key is required when endpoint or api_type changes: send the upstream key itself in the same request');
    }
    if (dto.key !== undefined) {
      key.keyCiphertext = this.crypto.encrypt(dto.key);
      key.keyHint = keyHint(dto.key);
    }
    if (dto.name !== undefined) key.name = dto.name.trim();
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
    await this.keys.save(key);
    this.bus.publish({ topic: 'key', id: key.id });
    return toKeyResponse(key, this.pool.lastUsed(key.id));
  }

  /** Deletes a key for good (usage records keep its id). @throws NotFoundException (404). */
  async remove(id: number): Promise<void> {
    const result = await this.keys.delete({ id });
    if (!result.affected) throw new NotFoundException(`key ${id} not found`);
    this.bus.publish({ topic: 'key', id });
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

