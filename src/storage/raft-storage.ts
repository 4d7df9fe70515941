import type { Statement } from 'better-sqlite3';
import { CompactedError, ENTRY_OVERHEAD_BYTES, UnavailableError, entrySizeBytes, type ConfState, type Entry, type HardState, type RaftStorage, type Snapshot } from '../raft/index.js';
import type { SqliteDatabase } from './database.js';

/** Recent entries kept in memory: followers that are just behind are served without touching the database. */
const ENTRY_CACHE_MAX = 8192;
/** ...and at most this many bytes of them (entrySizeBytes): with 1 MiB values, 8192 entries would be 8 GiB. */
const ENTRY_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** Rows read per query when serving a range from the database: a byte-limited read stops early. */
const RANGE_PAGE_ROWS = 64;

/** When to compact the log: past either bound, keep at most both trailing bounds behind the applied index. */
export interface LogCompactionPolicy {
  /** Compact once this many applied entries sit above the compaction point... */
  thresholdEntries: number;
  /** ...or once the applied entries above it hold this many bytes. */
  thresholdBytes: number;
  /** Entries kept behind the applied index (a briefly lagging follower catches up from them)... */
  trailingEntries: number;
  /** ...and at most this many bytes of them. */
  trailingBytes: number;
}

/**
 * What the driver needs of a Raft log store: the core's read view, plus the writes of the Ready contract. append,
 * setHardState, installSnapshot and compact run inside the caller's SQLite transaction; persist(durable) writes what
 * they queued (with durable, synced) before the transaction ends. logInDatabase says whether that transaction itself
 * must be synced for the log to be durable.
 */
export interface RaftLogStorage extends RaftStorage {
  readonly logInDatabase: boolean;
  getHardState(): HardState;
  append(entries: readonly Entry[]): void;
  setHardState(hs: HardState): void;
  installSnapshot(index: number, term: number): void;
  compact(index: number): void;
  compactionPoint(applied: number, policy: LogCompactionPolicy): number | null;
  persist(durable: boolean): void;
  sizeBytes(): number;
  cachedBytes(): number;
}

/**
 * Where to compact to now that `applied` is applied, under `policy`; null when no bound is passed yet. `sizes[i]` is
 * the size of entry snapshotIndex + 1 + i and logBytes their sum. The point keeps at most policy.trailingEntries
 * entries and policy.trailingBytes bytes behind `applied`.
 */
export function compactionPointOf(sizes: readonly number[], logBytes: number, snapshotIndex: number, applied: number, policy: LogCompactionPolicy): number | null {
  const first = snapshotIndex + 1;
  if (applied < first) return null;
  const appliedCount = applied - snapshotIndex;
  let unappliedBytes = 0;
  for (let i = appliedCount; i < sizes.length; i++) unappliedBytes += sizes[i];
  const appliedBytes = logBytes - unappliedBytes;
  if (appliedCount <= policy.thresholdEntries && appliedBytes <= policy.thresholdBytes) return null;
  let point = applied - policy.trailingEntries;
  // Walk back from applied while the kept entries stay within trailingBytes.
  let kept = 0;
  let i = applied;
  while (i > point && i >= first) {
    kept += sizes[i - snapshotIndex - 1];
    if (kept > policy.trailingBytes) break;
    i--;
  }
  point = Math.max(point, i);
  return point > snapshotIndex ? point : null;
}

interface LogRow {
  idx: number;
  term: number;
  kind: 'normal' | 'conf-change';
  data: string;
}

/**
 * The Raft log, hard state and compaction point in SQLite. Raft asks for term(), firstIndex() and lastIndex()
 * on nearly every message, so those come from memory: the terms of the whole retained log are cached (the log
 * is compacted, so this stays bounded), and so are the most recent entries.
 * Writes (append, setHardState, installSnapshot, compact) run inside the caller's transaction.
 */
export class SqliteRaftStorage implements RaftLogStorage {
  private readonly q: Record<string, Statement>;
  private hardState: HardState;
  private snapshotIndex: number;
  private snapshotTerm: number;
  /** terms[i] is the term of entry snapshotIndex + 1 + i. */
  private terms: number[] = [];
  /** sizes[i] is the size (entrySizeBytes) of entry snapshotIndex + 1 + i; logBytes is their sum. */
  private sizes: number[] = [];
  private logBytes = 0;
  /** The newest entries; cache[i] is entry cacheStart + i. */
  private cache: Entry[] = [];
  private cacheStart = 1;
  private cacheBytes = 0;

  constructor(
    db: SqliteDatabase,
    private readonly appliedConf: () => ConfState,
    private readonly buildSnapshot: () => Snapshot,
  ) {
    this.q = {
      state: db.prepare('SELECT term, vote, commit_index, snapshot_index, snapshot_term FROM raft_state WHERE singleton = 1'),
      setHard: db.prepare('UPDATE raft_state SET term = ?, vote = ?, commit_index = ? WHERE singleton = 1'),
      setSnap: db.prepare('UPDATE raft_state SET snapshot_index = ?, snapshot_term = ? WHERE singleton = 1'),
      insert: db.prepare('INSERT INTO raft_log (idx, term, kind, data) VALUES (?, ?, ?, ?)'),
      truncateFrom: db.prepare('DELETE FROM raft_log WHERE idx >= ?'),
      deleteUpTo: db.prepare('DELETE FROM raft_log WHERE idx <= ?'),
      range: db.prepare('SELECT idx, term, kind, data FROM raft_log WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?'),
      // octet_length reads a value's size from the record header, not the value itself.
      terms: db.prepare(`SELECT term, octet_length(data) + ${ENTRY_OVERHEAD_BYTES} AS size FROM raft_log ORDER BY idx`),
      first: db.prepare('SELECT MIN(idx) AS lo, MAX(idx) AS hi FROM raft_log'),
    };
    const s = this.q.state.get() as { term: number; vote: string | null; commit_index: number; snapshot_index: number; snapshot_term: number };
    this.hardState = { term: s.term, vote: s.vote, commit: s.commit_index };
    this.snapshotIndex = s.snapshot_index;
    this.snapshotTerm = s.snapshot_term;
    const bounds = this.q.first.get() as { lo: number | null; hi: number | null };
    if (bounds.lo !== null && bounds.lo !== this.snapshotIndex + 1) {
      throw new Error(`raft log starts at ${bounds.lo} but the compaction point is ${this.snapshotIndex}: the database is damaged`);
    }
    for (const r of this.q.terms.all() as { term: number; size: number }[]) {
      this.terms.push(r.term);
      this.sizes.push(r.size);
      this.logBytes += r.size;
    }
    this.cacheStart = this.lastIndex() + 1;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.appliedConf() };
  }

  getHardState(): HardState {
    return { ...this.hardState };
  }

  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.snapshotIndex) throw new CompactedError(lo, this.snapshotIndex + 1);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1, last);
    if (lo >= hi) return [];
    if (lo >= this.cacheStart) {
      const out = this.cache.slice(lo - this.cacheStart, hi - this.cacheStart);
      if (maxBytes === Number.POSITIVE_INFINITY) return out;
      let size = 0;
      for (let i = 0; i < out.length; i++) {
        size += entrySizeBytes(out[i]);
        if (size > maxBytes && i > 0) return out.slice(0, i);
      }
      return out;
    }
    // From the database: count against maxBytes before reading (the sizes are in memory), so a follower far
    // behind costs one message's worth of reading, not the whole rest of the log.
    let end = lo;
    let size = 0;
    while (end < hi) {
      size += this.sizes[end - this.snapshotIndex - 1];
      if (size > maxBytes && end > lo) break;
      end++;
    }
    const out: Entry[] = [];
    for (let from = lo; from < end; from += RANGE_PAGE_ROWS) {
      for (const r of this.q.range.all(from, end, RANGE_PAGE_ROWS) as LogRow[]) out.push({ index: r.idx, term: r.term, kind: r.kind, data: r.data });
    }
    return out;
  }

  term(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex) throw new CompactedError(index, this.snapshotIndex + 1);
    const last = this.lastIndex();
    if (index > last) throw new UnavailableError(index, last);
    return this.terms[index - this.snapshotIndex - 1];
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.terms.length;
  }

  /** Bytes (entrySizeBytes) of the entries in the log. */
  sizeBytes(): number {
    return this.logBytes;
  }

  /** Bytes of the recent entries held in memory. */
  cachedBytes(): number {
    return this.cacheBytes;
  }

  /**
   * Where to compact to now that `applied` is applied, under `policy`; null when no bound is passed yet.
   * The point keeps at most policy.trailingEntries entries and policy.trailingBytes bytes behind `applied`.
   */
  compactionPoint(applied: number, policy: LogCompactionPolicy): number | null {
    return compactionPointOf(this.sizes, this.logBytes, this.snapshotIndex, applied, policy);
  }

  /** The log is in the database: the caller's transaction (synchronous=FULL) makes it durable. */
  readonly logInDatabase = true;

  persist(_durable: boolean): void {
    // nothing to do: written by the caller's transaction
  }

  snapshot(): Snapshot {
    return this.buildSnapshot();
  }

  /** Appends Ready.entries; an entry at an existing index replaces it and everything after it. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let from = 0;
    while (from < entries.length && entries[from].index <= this.snapshotIndex) from++;
    if (from === entries.length) return;
    const first = entries[from].index;
    if (first > this.lastIndex() + 1) throw new Error(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first <= this.lastIndex()) {
      this.q.truncateFrom.run(first);
      const keep = first - this.snapshotIndex - 1;
      for (let i = keep; i < this.sizes.length; i++) this.logBytes -= this.sizes[i];
      this.terms.length = keep;
      this.sizes.length = keep;
      if (first < this.cacheStart) {
        this.cache = [];
        this.cacheBytes = 0;
        this.cacheStart = first;
      } else {
        for (let i = first - this.cacheStart; i < this.cache.length; i++) this.cacheBytes -= entrySizeBytes(this.cache[i]);
        this.cache.length = first - this.cacheStart;
      }
    }
    for (let i = from; i < entries.length; i++) {
      const e = entries[i];
      const size = entrySizeBytes(e);
      this.q.insert.run(e.index, e.term, e.kind, e.data);
      this.terms.push(e.term);
      this.sizes.push(size);
      this.logBytes += size;
      this.cache.push(e);
      this.cacheBytes += size;
    }
    this.trimCache();
  }

  /** Drops the oldest cached entries past either bound (always keeping the newest one). */
  private trimCache(): void {
    let drop = Math.max(0, this.cache.length - ENTRY_CACHE_MAX);
    let bytes = this.cacheBytes;
    for (let i = 0; i < drop; i++) bytes -= entrySizeBytes(this.cache[i]);
    while (bytes > ENTRY_CACHE_MAX_BYTES && drop < this.cache.length - 1) bytes -= entrySizeBytes(this.cache[drop++]);
    if (drop === 0) return;
    this.cache = this.cache.slice(drop);
    this.cacheStart += drop;
    this.cacheBytes = bytes;
  }

  setHardState(hs: HardState): void {
    this.q.setHard.run(hs.term, hs.vote, hs.commit);
    this.hardState = { ...hs };
  }

  /** A snapshot from the leader replaces the whole log. */
  installSnapshot(index: number, term: number): void {
    this.q.truncateFrom.run(0);
    this.q.setSnap.run(index, term);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.terms = [];
    this.sizes = [];
    this.logBytes = 0;
    this.cache = [];
    this.cacheBytes = 0;
    this.cacheStart = index + 1;
  }

  /** Drops entries up to and including `index` (which must be applied). */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    if (index > this.lastIndex()) throw new Error(`cannot compact to ${index} beyond the last index ${this.lastIndex()}`);
    const term = this.term(index);
    this.q.deleteUpTo.run(index);
    this.q.setSnap.run(index, term);
    const dropped = index - this.snapshotIndex;
    for (let i = 0; i < dropped; i++) this.logBytes -= this.sizes[i];
    this.terms = this.terms.slice(dropped);
    this.sizes = this.sizes.slice(dropped);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    if (this.cacheStart <= index) {
      const n = Math.min(index + 1 - this.cacheStart, this.cache.length);
      for (let i = 0; i < n; i++) this.cacheBytes -= entrySizeBytes(this.cache[i]);
      this.cache = this.cache.slice(n);
      this.cacheStart = index + 1;
    }
  }
}
