import type { Statement } from 'better-sqlite3';
import { CompactedError, UnavailableError, entrySizeBytes, type ConfState, type Entry, type HardState, type RaftStorage, type Snapshot } from '../raft/index.js';
import type { SqliteDatabase } from './database.js';

/** Recent entries kept in memory: followers that are just behind are served without touching the database. */
const ENTRY_CACHE_MAX = 8192;

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
export class SqliteRaftStorage implements RaftStorage {
  private readonly q: Record<string, Statement>;
  private hardState: HardState;
  private snapshotIndex: number;
  private snapshotTerm: number;
  /** terms[i] is the term of entry snapshotIndex + 1 + i. */
  private terms: number[] = [];
  /** The newest entries; cache[i] is entry cacheStart + i. */
  private cache: Entry[] = [];
  private cacheStart = 1;

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
      range: db.prepare('SELECT idx, term, kind, data FROM raft_log WHERE idx >= ? AND idx < ? ORDER BY idx'),
      terms: db.prepare('SELECT term FROM raft_log ORDER BY idx'),
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
    this.terms = (this.q.terms.all() as { term: number }[]).map((r) => r.term);
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
    let out: Entry[];
    if (lo >= this.cacheStart) {
      out = this.cache.slice(lo - this.cacheStart, hi - this.cacheStart);
    } else {
      out = (this.q.range.all(lo, hi) as LogRow[]).map((r) => ({ index: r.idx, term: r.term, kind: r.kind, data: r.data }));
    }
    if (maxBytes === Number.POSITIVE_INFINITY) return out;
    let size = 0;
    for (let i = 0; i < out.length; i++) {
      size += entrySizeBytes(out[i]);
      if (size > maxBytes && i > 0) return out.slice(0, i);
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
      this.terms.length = first - this.snapshotIndex - 1;
      if (first < this.cacheStart) {
        this.cache = [];
        this.cacheStart = first;
      } else {
        this.cache.length = first - this.cacheStart;
      }
    }
    for (let i = from; i < entries.length; i++) {
      const e = entries[i];
      this.q.insert.run(e.index, e.term, e.kind, e.data);
      this.terms.push(e.term);
      this.cache.push(e);
    }
    if (this.cache.length > ENTRY_CACHE_MAX) {
      const drop = this.cache.length - ENTRY_CACHE_MAX;
      this.cache = this.cache.slice(drop);
      this.cacheStart += drop;
    }
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
    this.cache = [];
    this.cacheStart = index + 1;
  }

  /** Drops entries up to and including `index` (which must be applied). */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    if (index > this.lastIndex()) throw new Error(`cannot compact to ${index} beyond the last index ${this.lastIndex()}`);
    const term = this.term(index);
    this.q.deleteUpTo.run(index);
    this.q.setSnap.run(index, term);
    this.terms = this.terms.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    if (this.cacheStart <= index) {
      this.cache = this.cache.slice(index + 1 - this.cacheStart);
      this.cacheStart = index + 1;
    }
  }
}
