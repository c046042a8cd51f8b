import type { AuditView } from '../audit/audit-changes';
import type { KeyEntity } from './entities/key.entity';

/**
 * The fields of an upstream key the audit log compares (names as `POST /1/keys` takes them): the key itself
 * (its HMAC, or its ciphertext for a key stored before hashes; masked to `***` by the audit log), its masked
 * hint as `GET /1/keys` shows it, and its routing fields and status.
 */
export function keyAuditView(key: KeyEntity): AuditView {
  let deployments: unknown = key.deployments;
  try {
    deployments = JSON.parse(key.deployments || '{}');
  } catch {
    // kept as stored
  }
  return {
    name: key.name,
    key: key.keyHash ?? key.keyCiphertext,
    key_hint: key.keyHint,
    api_type: key.apiType,
    endpoint: key.endpoint,
    api_version: key.apiVersion,
    deployments,
    models: (key.models ?? '').split(',').filter(Boolean),
    group: key.group,
    priority: key.priority,
    weight: key.weight,
    status: key.status,
  };
}
