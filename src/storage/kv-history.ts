/**
 * Reads of the key-value store as it was at an earlier revision (`ccm kv get --rev N`, `--prev`), from the event log
 * the watches replay (kv_events) and the current keys: a key not changed since N is as it is now; a key changed since
 * is as its last event at or before N left it. Inside the kept history (N at or above the compaction point) that is
 * exact, with one gap: a key whose last change before N is older than the compaction point and that changed after N
 * cannot be rebuilt from the log: the caller says `compacted` rather than guess.
 */
import type { KeyValue } from '../core/kv-types.js';
import type { SqliteDatabase } from './database.js';

interface EventRow {
  revision: number;
  sub: number;
  type: 'put' | 'delete';
  key: string;
  value: string | null;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease: number;
}

const toKv = (r: EventRow): KeyValue => ({ key: r.key, value: r.value ?? '', createRevision: r.create_revision, modRevision: r.mod_revision, version: r.version, lease: r.lease });

/** The upper bound of a prefix range: the prefix with its last character incremented. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export interface HistoryStore {
  range(key: string, prefix: boolean): KeyValue[];
  revision(): number;
  compactRevision(): number;
}

/**
 * The key (or every key under the prefix) as of `revision`, in key order; or the first key whose value then is older
 * than the kept history (`lostKey`). The caller checks that `revision` is neither compacted nor in the future.
 */
export function rangeAtRevision(db: SqliteDatabase, store: HistoryStore, key: string, prefix: boolean, revision: number): { kvs: KeyValue[] } | { lostKey: string } {
  const span = prefix && key !== '' ? [key, prefixEnd(key)] : null;
  const where = prefix ? (span ? 'key >= ? AND key < ?' : '1 = 1') : 'key = ?';
  const args = prefix ? (span ?? []) : [key];
  const changed = new Set((db.prepare(`SELECT DISTINCT key FROM kv_events WHERE revision > ? AND ${where}`).all(revision, ...args) as { key: string }[]).map((r) => r.key));
  const result = store.range(key, prefix).filter((kv) => !changed.has(kv.key));
  const lastAtOrBefore = db.prepare('SELECT * FROM kv_events WHERE key = ? AND revision <= ? ORDER BY revision DESC, sub DESC LIMIT 1');
  const firstAfter = db.prepare('SELECT * FROM kv_events WHERE key = ? AND revision > ? ORDER BY revision, sub LIMIT 1');
  for (const k of changed) {
    const last = lastAtOrBefore.get(k, revision) as EventRow | undefined;
    if (last) {
      if (last.type === 'put') result.push(toKv(last));
      continue;
    }
    // No change of k in the kept history up to N: k was created after N (absent then), or older than the log.
    const next = firstAfter.get(k, revision) as EventRow;
    if (next.type === 'put' && next.version === 1) continue;
    return { lostKey: k };
  }
  return { kvs: result.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

/** The revision of the key's last change (put or delete) in the kept history, or null if it has none. */
export function lastChangeRevision(db: SqliteDatabase, key: string): number | null {
  const row = db.prepare('SELECT MAX(revision) AS r FROM kv_events WHERE key = ?').get(key) as { r: number | null };
  return row.r;
}
