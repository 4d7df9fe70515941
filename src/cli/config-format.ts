import os from 'node:os';
import type { ConfigEntryView } from '../api/api-types.js';

/** Who a change is recorded as when --by is not given: the user and the host. */
export function defaultAuthor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${os.hostname()}`;
}

/** A value as a table cell: its text, shortened. */
export function shortText(e: ConfigEntryView, max = 50): string {
  if (e.kind === 'delete') return '(deleted)';
  return e.text.length > max ? `${e.text.slice(0, max - 3)}...` : e.text;
}

/** What a version was: `set`, `rollback to v2`, `import`, `delete`. */
export function describeKind(e: ConfigEntryView): string {
  return e.kind === 'rollback' ? `rollback to v${e.rollbackOf}` : e.kind;
}

/** Wall-clock ms as `2025-01-31 12:00:05`. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** One line per change, for `ccm config watch`. */
export function describeChange(e: ConfigEntryView): string {
  const what = e.kind === 'delete' ? 'deleted' : `= ${shortText(e, 80)} (${e.type})`;
  return `${String(e.revision).padStart(6)}  ${e.name} ${what}  v${e.version} ${describeKind(e)} by ${e.updatedBy}`;
}
