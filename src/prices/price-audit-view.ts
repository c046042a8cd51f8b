import type { AuditView } from '../audit/audit-changes';
import { formatPrice, parseStoredMicro } from './cost';
import type { PriceEntity } from './entities/price.entity';

/** A stored micro-USD column as `GET /1/prices` shows it (USD per 1M tokens), or as stored when it does not read as a price. */
function shown(micro: string | number | null | undefined): string | null {
  if (micro === null || micro === undefined) return null;
  try {
    return formatPrice(parseStoredMicro(micro));
  } catch {
    return String(micro);
  }
}

/** The fields of a model's price the audit log compares, as `PUT /1/prices` takes them: USD per 1M tokens. */
export function priceAuditView(row: Pick<PriceEntity, 'inputMicro' | 'outputMicro' | 'cachedInputMicro'>): AuditView {
  return { input: shown(row.inputMicro), output: shown(row.outputMicro), cached_input: shown(row.cachedInputMicro) };
}
