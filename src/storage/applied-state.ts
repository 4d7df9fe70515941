import type { Statement } from 'better-sqlite3';
import { CcmError } from '../errors/ccm-error.js';
import { compareKeys, prefixSpan, type KeySpan } from '../core/key-span.js';
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

/** The state machine's whole contents (dump()). */
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

/**
 * The replicated state machine on SQLite: keys, the event log by revision, leases, and the applied index.
 * Writes happen inside the driver's per-Ready transaction. Revision counters are cached in memory.
 */
export class SqliteStateStore implements StateStore {
  private readonly q: Record<string, Statement>;
  private currentRevision = 0;
  private currentCompactRevision = 0;
  /** The watch history's size by revision, oldest first (only revisions with events), to bound it in bytes. */
  private readonly history = new HistorySizes();

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      get: db.prepare('SELECT * FROM kv WHERE key = ?'),
      rangeFrom: db.prepare('SELECT * FROM kv WHERE key >= ? ORDER BY key LIMIT ?'),
      rangeBetween: db.prepare('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?'),
      countFrom: db.prepare('SELECT COUNT(*) AS n FROM kv WHERE key >= ?'),
      countBetween: db.prepare('SELECT COUNT(*) AS n FROM kv WHERE key >= ? AND key < ?'),
      changedKeysFrom: db.prepare('SELECT DISTINCT key FROM kv_events WHERE key >= ? AND revision > ?'),
      changedKeysBetween: db.prepare('SELECT DISTINCT key FROM kv_events WHERE key >= ? AND key < ? AND revision > ?'),
      keyAt: db.prepare('SELECT * FROM kv_events WHERE key = ? AND revision <= ? ORDER BY revision DESC, sub DESC LIMIT 1'),
      keyChangedAfter: db.prepare('SELECT 1 FROM kv_events WHERE key = ? AND revision > ? LIMIT 1'),
      firstChangeAfter: db.prepare('SELECT * FROM kv_events WHERE key = ? AND revision > ? ORDER BY revision, sub LIMIT 1'),
      lastChange: db.prepare('SELECT MAX(revision) AS r FROM kv_events WHERE key = ?'),
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
      // Below the compaction point, a key keeps its last event if that is a put and the key has none at the point:
      // its state there (etcd keeps the same), so a read at any revision not compacted can be answered.
      compact: db.prepare(
        `DELETE FROM kv_events WHERE revision < @revision AND (type = 'delete' OR EXISTS (
           SELECT 1 FROM kv_events later WHERE later.key = kv_events.key AND later.revision <= @revision
             AND (later.revision > kv_events.revision OR (later.revision = kv_events.revision AND later.sub > kv_events.sub))))`,
      ),
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
      // octet_length reads each value's size from the record header, not the value.
      historySizes: db.prepare(
        'SELECT revision, SUM(octet_length(key) + coalesce(octet_length(value), 0) + coalesce(octet_length(prev_value), 0)) AS bytes FROM kv_events GROUP BY revision ORDER BY revision',
      ),
    };
    this.reload();
  }

  /** Re-reads what is cached in memory (after the tables were replaced underneath, by a snapshot). */
  reload(): void {
    const row = this.q.applied.get() as { revision: number; compact_revision: number };
    this.currentRevision = row.revision;
    this.currentCompactRevision = row.compact_revision;
    this.history.clear();
    for (const r of this.q.historySizes.all() as { revision: number; bytes: number }[]) this.history.add(r.revision, r.bytes);
  }

  /** Bytes (UTF-8) of the keys and values held in the watch history. */
  historyBytes(): number {
    return this.history.totalBytes;
  }

  /** The revision to compact to so the history holds at most `maxBytes` (null if it already does). */
  historyCompactRevision(maxBytes: number): number | null {
    return this.history.revisionKeeping(maxBytes);
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
    return this.rows(prefixSpan(key), limit > 0 ? limit : -1);
  }

  rangeSpan(span: KeySpan, options: { revision?: number; limit?: number; countOnly?: boolean } = {}): { kvs: KeyValue[]; count: number } {
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    if (options.revision && options.revision <= this.currentRevision) return this.rangeAt(span, options.revision, limit, options.countOnly === true);
    if (span.end === undefined) {
      const kv = this.get(span.key);
      return { kvs: kv && !options.countOnly ? [kv] : [], count: kv ? 1 : 0 };
    }
    const kvs = options.countOnly ? [] : this.rows(span, limit);
    const count = !options.countOnly && (limit < 0 || kvs.length < limit) ? kvs.length : this.countRows(span);
    return { kvs, count };
  }

  private rows(span: KeySpan, limit: number): KeyValue[] {
    if (span.end === undefined) return this.range(span.key, false);
    const rows = span.end === null ? this.q.rangeFrom.all(span.key, limit) : this.q.rangeBetween.all(span.key, span.end, limit);
    return (rows as KvRow[]).map(toKv);
  }

  private countRows(span: KeySpan): number {
    if (span.end === undefined) return this.get(span.key) ? 1 : 0;
    const row = (span.end === null ? this.q.countFrom.get(span.key) : this.q.countBetween.get(span.key, span.end)) as { n: number };
    return row.n;
  }

  /**
   * The span as it was at `revision`, from the current keys and the event log: a key changed since is as its last
   * event at or before `revision` left it (a put: that value; a delete: absent); the others are as they are now.
   * A changed key with no event at or before `revision` was created after it (absent then) if its first later event
   * is a creation; else its state then is older than the kept history (a log compacted before compaction kept each
   * key's last put, migration 5): the read fails as compacted rather than guess. Inside an apply the events of the
   * revision being made count as "since".
   */
  private rangeAt(span: KeySpan, revision: number, limit: number, countOnly: boolean): { kvs: KeyValue[]; count: number } {
    const changed =
      span.end === undefined
        ? this.q.keyChangedAfter.get(span.key, revision) ? [span.key] : []
        : ((span.end === null ? this.q.changedKeysFrom.all(span.key, revision) : this.q.changedKeysBetween.all(span.key, span.end, revision)) as { key: string }[]).map((r) => r.key);
    const isChanged = new Set(changed);
    const kvs = this.rows(span, -1).filter((kv) => !isChanged.has(kv.key));
    // In key order, so the key a failed read names is the same on every replica.
    for (const key of changed.sort(compareKeys)) {
      const row = this.q.keyAt.get(key, revision) as EventRow | undefined;
      if (row) {
        if (row.type === 'put') kvs.push(toKv({ ...row, value: row.value ?? '' }));
        continue;
      }
      const next = this.q.firstChangeAfter.get(key, revision) as EventRow;
      if (next.type === 'put' && next.version === 1) continue;
      const compactRevision = this.currentCompactRevision;
      throw new CcmError('compacted', `${key} at revision ${revision} was last written before the oldest revision kept (${compactRevision}); its value then is no longer known`, {
        compactRevision,
        revision,
        key,
      });
    }
    kvs.sort((a, b) => compareKeys(a.key, b.key));
    return { kvs: countOnly ? [] : limit > 0 ? kvs.slice(0, limit) : kvs, count: kvs.length };
  }

  /** The revision of the key's last change (put or delete) in the kept history, or null if it has none (kv get --prev). */
  lastChangeRevision(key: string): number | null {
    return (this.q.lastChange.get(key) as { r: number | null }).r;
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
    const value = e.type === 'put' ? kv.value : null;
    this.q.appendEvent.run(revision, sub, e.type, kv.key, value, kv.createRevision, kv.modRevision, kv.version, kv.lease, e.prevValue ?? null);
    this.history.add(revision, Buffer.byteLength(kv.key) + (value === null ? 0 : Buffer.byteLength(value)) + (e.prevValue === undefined ? 0 : Buffer.byteLength(e.prevValue)));
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
    this.q.compact.run({ revision });
    this.q.setCompact.run(revision);
    this.currentCompactRevision = revision;
    this.history.dropBefore(revision);
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

  /** The whole state in memory: for tests and tools that compare replicas (snapshots stream, see snapshot-source.ts). */
  dump(): StateSnapshot {
    const kvs = (this.db.prepare('SELECT * FROM kv ORDER BY key').all() as KvRow[]).map(toKv);
    const events = (this.db.prepare('SELECT * FROM kv_events ORDER BY revision, sub').all() as EventRow[]).map((r) => ({
      revision: r.revision,
      sub: r.sub,
      event: { type: r.type, kv: toKv({ ...r, value: r.value ?? '' }), ...(r.prev_value !== null ? { prevValue: r.prev_value } : {}) } as WatchEvent,
    }));
    return { revision: this.currentRevision, compactRevision: this.currentCompactRevision, kvs, leases: this.leases(), events };
  }

  /** Replaces the whole state with `snapshot` (ccm snapshot restore: the backup a new cluster's voters start from). */
  restore(snapshot: StateSnapshot, index: number, term: number, conf: ConfState): void {
    this.db.exec('DELETE FROM kv; DELETE FROM kv_events; DELETE FROM leases;');
    for (const kv of snapshot.kvs) this.put(kv);
    for (const l of snapshot.leases) this.putLease(l);
    for (const e of snapshot.events) this.appendEvent(e.revision, e.sub, e.event);
    this.adoptSnapshot(snapshot, index, term, conf);
  }

  /**
   * Records the state machine's counters after a snapshot's tables were swapped in (snapshot-staging.ts install()),
   * inside the same transaction, and re-reads what is cached.
   */
  adoptSnapshot(counters: { revision: number; compactRevision: number }, index: number, term: number, conf: ConfState): void {
    this.setRevision(counters.revision);
    this.q.setCompact.run(counters.compactRevision);
    this.setApplied(index, term);
    this.setConfState(conf);
    this.reload();
  }
}

/** Sizes of the watch history by revision, oldest first: a queue with a running total. */
class HistorySizes {
  private revisions: number[] = [];
  private bytes: number[] = [];
  private head = 0;
  totalBytes = 0;

  clear(): void {
    this.revisions = [];
    this.bytes = [];
    this.head = 0;
    this.totalBytes = 0;
  }

  /** Adds `bytes` to `revision` (the newest, or a newer one). */
  add(revision: number, bytes: number): void {
    const last = this.revisions.length - 1;
    if (last >= this.head && this.revisions[last] === revision) this.bytes[last] += bytes;
    else {
      this.revisions.push(revision);
      this.bytes.push(bytes);
    }
    this.totalBytes += bytes;
  }

  dropBefore(revision: number): void {
    while (this.head < this.revisions.length && this.revisions[this.head] < revision) this.totalBytes -= this.bytes[this.head++];
    if (this.head > 1024 && this.head * 2 > this.revisions.length) {
      this.revisions = this.revisions.slice(this.head);
      this.bytes = this.bytes.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest revision R such that the revisions from R on hold at most maxBytes (but at least the newest); null if all fit. */
  revisionKeeping(maxBytes: number): number | null {
    if (this.totalBytes <= maxBytes) return null;
    let kept = 0;
    for (let i = this.revisions.length - 1; i >= this.head; i--) {
      // Never past the newest revision: a compaction may not pass the current revision.
      if (kept + this.bytes[i] > maxBytes) return this.revisions[Math.min(i + 1, this.revisions.length - 1)];
      kept += this.bytes[i];
    }
    return null;
  }
}
