import type { ServiceChange, ServiceInstanceView } from '../api/api-types.js';
import { formatDuration } from '../time/duration.js';
import { paintWord } from './colour.js';

/** The row `ccm service lookup` prints per instance. */
export const INSTANCE_HEADERS = ['ID', 'ADDRESS', 'STATUS', 'CHECK', 'CHECKED BY', 'TAGS', 'LEASE', 'TTL'];

export function instanceRow(i: ServiceInstanceView): (string | number | null)[] {
  return [i.id, `${i.address}:${i.port}`, paintWord(i.status), i.check ? `${i.check.kind} ${i.check.target}` : null, i.check ? i.node : null, i.tags.join(',') || null, i.lease, formatDuration(i.ttlMs)];
}

/** One line per change, for `ccm service watch`. */
export function describeServiceChange(c: ServiceChange): string {
  const i = c.instance;
  const where = i ? ` ${i.address}:${i.port}` : '';
  const detail = c.type === 'deregistered' ? '' : ` ${i?.status ?? ''}${i && i.status !== 'passing' ? ` (${i.output.split('\n')[0]})` : ''}`;
  return `${String(c.revision).padStart(6)}  ${c.type.toUpperCase().padEnd(12)} ${c.service}/${c.id}${where}${paintWord(detail)}`;
}
