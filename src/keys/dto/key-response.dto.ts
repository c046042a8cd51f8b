import { ApiProperty } from '@nestjs/swagger';
import type { KeyEntity } from '../entities/key.entity';

/** An upstream key as seed 003 shows it (`id, key, name, ApiType, createdAt, updatedAt`) plus the gateway's routing fields; the key is always masked. */
export class KeyResponseDto {
  @ApiProperty({ example: 1, type: 'integer' })
  id: number;

  @ApiProperty({ example: 'sk-****zsbd', description: 'first 3 + **** + last 4; never the full key' })
  key: string;

  @ApiProperty({ example: 'key' })
  name: string;

  @ApiProperty({ example: 'openai', enum: ['openai', 'azure_openai'] })
  ApiType: string;

  @ApiProperty({ example: 'https://api.openai.com/v1' })
  endpoint: string;

  @ApiProperty({ example: '' })
  api_version: string;

  @ApiProperty({ example: {}, description: 'Azure model → deployment map' })
  deployments: Record<string, string>;

  @ApiProperty({ example: [], description: 'models served; empty = any' })
  models: string[];

  @ApiProperty({ example: 'default' })
  group: string;

  @ApiProperty({ example: 0, type: 'integer' })
  priority: number;

  @ApiProperty({ example: 1, type: 'integer' })
  weight: number;

  @ApiProperty({ example: 1, enum: [1, 2, 3], type: 'integer', description: '1 enabled, 2 disabled by an admin, 3 disabled automatically' })
  status: number;

  @ApiProperty({ example: '' })
  last_error: string;

  @ApiProperty({ example: 0, description: 'unix seconds; 0 = never', type: 'integer' })
  last_used_at: number;

  @ApiProperty({ example: '2023-05-28T10:47:49.936Z', format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: '2023-05-28T10:47:49.936Z', format: 'date-time' })
  updatedAt: string;
}

/** Parses the stored JSON map; `{}` when empty or damaged. */
export function parseDeployments(raw: string): Record<string, string> {
  try {
    const v = raw ? JSON.parse(raw) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** `"a,b"` → `["a","b"]`. */
export function parseModels(raw: string): string[] {
  return raw ? raw.split(',').filter(Boolean) : [];
}

/** Entity → wire object; `lastUsedAt` overrides the stored value with the in-memory one. */
export function toKeyResponse(key: KeyEntity, lastUsedAt = key.lastUsedAt): KeyResponseDto {
  return {
    id: key.id,
    key: key.keyHint,
    name: key.name ?? '',
    ApiType: key.apiType,
    endpoint: key.endpoint,
    api_version: key.apiVersion,
    deployments: parseDeployments(key.deployments),
    models: parseModels(key.models),
    group: key.group,
    priority: key.priority,
    weight: key.weight,
    status: key.status,
    last_error: key.lastError,
    last_used_at: Math.max(lastUsedAt, key.lastUsedAt),
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
  };
}
