import type { Statement } from 'better-sqlite3';
import type { KeyValue, Lease, WatchEvent } from '../core/kv-types.js';
import type { StateStore } from '../core/state-store.js';
import type { ConfState } from '../raft/index.js';
import type { SqliteDatabase } from './database.js';

interface KvRow {
  key: string;
  value: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease: number;
}

interface EventRow extends KvRow {
  revision: number;
  sub: number;
  type: 'put' | 'delete';
  prev_value: string | null;
}

interface LeaseRow {
  id: number;
  ttl_ms: number;
  granted_revision: number;
  granted_at_ms: number;
  renewed_at_ms: number;
  renewals: number;
  owner: string;
  secret_hash: string;
}

/** The state machine's contents as a snapshot carries them (JSON in Snapshot.data). */
export interface StateSnapshot {
  revision: number;
  compactRevision: number;
  kvs: KeyValue[];
  leases: Lease[];
  events: { revision: number; sub: number; event: WatchEvent }[];
}

const toKv = (r: KvRow): KeyValue => ({
  key: r.key,
  value: r.value,
  createRevision: r.create_revision,
  modRevision: r.mod_revision,
  version: r.version,
  lease: r.lease,
});

const toLease = (r: LeaseRow): Lease => ({
  id: r.id,
  ttlMs: r.ttl_ms,
  grantedRevision: r.granted_revision,
  grantedAtMs: r.granted_at_ms,
  renewedAtMs: r.renewed_at_ms,
  renewals: r.renewals,
  owner: r.owner,
  secretHash: r.secret_hash ?? '',
});

/** The upper bound of a prefix range: the prefix with its last character incremented. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * The replicated state machine on SQLite: keys, the event log by revision, leases, and the applied index.
 * Writes happen inside the driver's per-Ready transaction. Revision counters are cached in memory.
 */
export class SqliteStateStore implements StateStore {
  private readonly q: Record<string, Statement>;
  private currentRevision: number;
  private currentCompactRevision: number;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      get: db.prepare('SELECT * FROM kv WHERE key = ?'),
      rangeAll: db.prepare('SELECT * FROM kv ORDER BY key LIMIT ?'),
      rangePrefix: db.prepare('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?'),
      put: db.prepare(
        'INSERT INTO kv (key, value, create_revision, mod_revision, version, lease) VALUES (@key, @value, @createRevision, @modRevision, @version, @lease) ' +
          'ON CONFLICT(key) DO UPDATE SET value = excluded.value, create_revision = excluded.create_revision, mod_revision = excluded.mod_revision, version = excluded.version, lease = excluded.lease',
      ),
      delete: db.prepare('DELETE FROM kv WHERE key = ?'),
      keysWithLease: db.prepare('SELECT key FROM kv WHERE lease = ? ORDER BY key'),
      appendEvent: db.prepare(
        'INSERT INTO kv_events (revision, sub, type, key, value, create_revision, mod_revision, version, lease, prev_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      events: db.prepare('SELECT * FROM kv_events WHERE revision >= ? AND revision <= ? ORDER BY revision, sub LIMIT ?'),
      compact: db.prepare('DELETE FROM kv_events WHERE revision < ?'),
      setRevision: db.prepare('UPDATE applied SET revision = ? WHERE singleton = 1'),
      setCompact: db.prepare('UPDATE applied SET compact_revision = ? WHERE singleton = 1'),
      getLease: db.prepare('SELECT * FROM leases WHERE id = ?'),
      putLease: db.prepare(
        'INSERT OR REPLACE INTO leases (id, ttl_ms, granted_revision, granted_at_ms, renewed_at_ms, renewals, owner, secret_hash) VALUES (@id, @ttlMs, @grantedRevision, @grantedAtMs, @renewedAtMs, @renewals, @owner, @secretHash)',
      ),
      deleteLease: db.prepare('DELETE FROM leases WHERE id = ?'),
      leases: db.prepare('SELECT * FROM leases ORDER BY id'),
      applied: db.prepare('SELECT applied_index, applied_term, conf_state, revision, compact_revision FROM applied WHERE singleton = 1'),
      setApplied: db.prepare('UPDATE applied SET applied_index = ?, applied_term = ? WHERE singleton = 1'),
      setConf: db.prepare('UPDATE applied SET conf_state = ? WHERE singleton = 1'),
    };
    const row = this.q.applied.get() as { revision: number; compact_revision: number };
    this.currentRevision = row.revision;
    this.currentCompactRevision = row.compact_revision;
  }

  get(key: string): KeyValue | undefined {
    const row = this.q.get.get(key) as KvRow | undefined;
    return row ? toKv(row) : undefined;
  }

  range(key: string, prefix: boolean, limit = -1): KeyValue[] {
    if (!prefix) {
      const kv = this.get(key);
      return kv ? [kv] : [];
    }
    if (key === '') return (this.q.rangeAll.all(limit) as KvRow[]).map(toKv);
    return (this.q.rangePrefix.all(key, prefixEnd(key), limit) as KvRow[]).map(toKv);
  }

  put(kv: KeyValue): void {
    this.q.put.run(kv);
  }

  delete(key: string): void {
    this.q.delete.run(key);
  }

  keysWithLease(lease: number): string[] {
    return (this.q.keysWithLease.all(lease) as { key: string }[]).map((r) => r.key);
  }

  appendEvent(revision: number, sub: number, e: WatchEvent): void {
    const kv = e.kv;
    this.q.appendEvent.run(revision, sub, e.type, kv.key, e.type === 'put' ? kv.value : null, kv.createRevision, kv.modRevision, kv.version, kv.lease, e.prevValue ?? null);
  }

  events(fromRevision: number, toRevision: number, limit: number): WatchEvent[] {
    return (this.q.events.all(fromRevision, toRevision, limit) as EventRow[]).map((r) => ({
      type: r.type,
      kv: { ...toKv({ ...r, value: r.value ?? '' }) },
      ...(r.prev_value !== null ? { prevValue: r.prev_value } : {}),
    }));
  }

  revision(): number {
    return this.currentRevision;
  }

  setRevision(revision: number): void {
    this.q.setRevision.run(revision);
    this.currentRevision = revision;
  }

  compactRevision(): number {
    return this.currentCompactRevision;
  }

  compact(revision: number): void {
    this.q.compact.run(revision);
    this.q.setCompact.run(revision);
    this.currentCompactRevision = revision;
  }

  getLease(id: number): Lease | undefined {
    const row = this.q.getLease.get(id) as LeaseRow | undefined;
    return row ? toLease(row) : undefined;
  }

  putLease(lease: Lease): void {
    this.q.putLease.run(lease);
  }

  deleteLease(id: number): void {
    this.q.deleteLease.run(id);
  }

  leases(): Lease[] {
    return (this.q.leases.all() as LeaseRow[]).map(toLease);
  }

  appliedIndex(): { index: number; term: number; confState: ConfState } {
    const row = this.q.applied.get() as { applied_index: number; applied_term: number; conf_state: string };
    return { index: row.applied_index, term: row.applied_term, confState: JSON.parse(row.conf_state) as ConfState };
  }

  setApplied(index: number, term: number): void {
    this.q.setApplied.run(index, term);
  }

  setConfState(conf: ConfState): void {
    this.q.setConf.run(JSON.stringify(conf));
  }

  /** Everything a follower needs to become this state machine. */
  dump(): StateSnapshot {
    const kvs = (this.db.prepare('SELECT * FROM kv ORDER BY key').all() as KvRow[]).map(toKv);
    const events = (this.db.prepare('SELECT * FROM kv_events ORDER BY revision, sub').all() as EventRow[]).map((r) => ({
      revision: r.revision,
      sub: r.sub,
      event: { type: r.type, kv: toKv({ ...r, value: r.value ?? '' }), ...(r.prev_value !== null ? { prevValue: r.prev_value } : {}) } as WatchEvent,
    }));
    return { revision: this.currentRevision, compactRevision: this.currentCompactRevision, kvs, leases: this.leases(), events };
  }

  /** Replaces the whole state with a snapshot's (inside the caller's transaction). */
  restore(snapshot: StateSnapshot, index: number, term: number, conf: ConfState): void {
    this.db.exec('DELETE FROM kv; DELETE FROM kv_events; DELETE FROM leases;');
    for (const kv of snapshot.kvs) this.put(kv);
    for (const l of snapshot.leases) this.putLease(l);
    for (const e of snapshot.events) this.appendEvent(e.revision, e.sub, e.event);
    this.setRevision(snapshot.revision);
    this.q.setCompact.run(snapshot.compactRevision);
    this.currentCompactRevision = snapshot.compactRevision;
    this.setApplied(index, term);
    this.setConfState(conf);
  }
}
