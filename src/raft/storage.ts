/**
 * RaftStorage: the core's read-only view of stable storage (etcd's Storage interface). The application owns
 * the writes: it appends Ready.entries, saves Ready.hardState, installs Ready.snapshot and compacts its own
 * log. MemoryStorage implements it in memory for tests and the simulator, with the write methods an
 * application would have.
 */
import { CompactedError, RaftArgumentError, SnapshotOutOfDateError, UnavailableError, assertInvariant } from './errors.js';
import type { ConfState, Entry, HardState, Snapshot } from './messages.js';
import { entrySizeBytes } from './messages.js';

/**
 * Every method is called synchronously from inside step()/ready(), some on every message (term() of recent
 * entries, firstIndex(), lastIndex()): an SQLite-backed implementation should answer those from memory (cache
 * the index range and the terms of the unapplied tail) and hit the database only for entries().
 */
export interface RaftStorage {
  /** The durable hard state and the configuration as of RaftConfig.applied (or of the snapshot, if applied is 0). */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi), cut after the entry that brings the total past maxBytes (at least one entry if lo < hi).
   * Throws CompactedError if lo < firstIndex(), UnavailableError if hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** The term of the entry at `index`; firstIndex()-1 (the compaction point) still answers. Throws CompactedError / UnavailableError. */
  term(index: number): number;
  /** The first index still in the log: the compaction point + 1. */
  firstIndex(): number;
  /** The last index in the log (the compaction point if the log is empty). */
  lastIndex(): number;
  /**
   * A snapshot at an index >= firstIndex()-1, to send to a follower that needs compacted entries. It must include
   * the follower in its ConfState (build it at the applied index on demand if the stored one is older).
   */
  snapshot(): Snapshot;
}

/** The empty configuration and hard state of a fresh node. */
export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 }) as HardState;

/**
 * An in-memory RaftStorage with the write side an application needs. The log is an array of the entries after
 * the compaction point; appends are amortized O(1) and reads slice only what they return.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** Index and term of the compaction point: the entry just before log[0]. */
  private compactIndex = 0;
  private compactTerm = 0;
  private log: Entry[] = [];

  /** `confState` is the initial configuration, held as an empty snapshot at index 0 (etcd's test bootstrap). */
  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.snap = { meta: { index: 0, term: 0, confState: copyConfState(confState) }, data: '' };
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: copyConfState(this.snap.meta.confState) };
  }

  /** The last saved hard state (for the application, e.g. to show it). */
  getHardState(): HardState {
    return { ...this.hardState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.compactIndex) throw new CompactedError(lo, this.compactIndex + 1);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1, last);
    if (lo >= hi) return [];
    const start = lo - this.compactIndex - 1;
    const end = hi - this.compactIndex - 1;
    if (maxBytes === Number.POSITIVE_INFINITY) return this.log.slice(start, end);
    let size = entrySizeBytes(this.log[start]);
    let i = start + 1;
    for (; i < end; i++) {
      size += entrySizeBytes(this.log[i]);
      if (size > maxBytes) break;
    }
    return this.log.slice(start, i);
  }

  term(index: number): number {
    if (index === this.compactIndex) return this.compactTerm;
    if (index < this.compactIndex) throw new CompactedError(index, this.compactIndex + 1);
    const last = this.lastIndex();
    if (index > last) throw new UnavailableError(index, last);
    return this.log[index - this.compactIndex - 1].term;
  }

  firstIndex(): number {
    return this.compactIndex + 1;
  }

  lastIndex(): number {
    return this.compactIndex + this.log.length;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /**
   * Appends entries from Ready.entries. An entry at an index already present replaces it and everything after
   * it (a conflicting suffix); entries at or below the compaction point are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let from = 0;
    const first = this.firstIndex();
    if (entries[0].index < first) {
      from = first - entries[0].index;
      if (from >= entries.length) return;
    }
    const startIndex = entries[from].index;
    const offset = startIndex - first;
    assertInvariant(offset <= this.log.length, () => `missing log entries: last ${this.lastIndex()}, appending at ${startIndex}`);
    if (offset < this.log.length) this.log.length = offset;
    for (let i = from; i < entries.length; i++) this.log.push(entries[i]);
  }

  /** Installs a snapshot from Ready.snapshot: the log is replaced by the snapshot's compaction point. */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.snap.meta.index) throw new SnapshotOutOfDateError(snapshot.meta.index, this.snap.meta.index);
    this.snap = { meta: { ...snapshot.meta, confState: copyConfState(snapshot.meta.confState) }, data: snapshot.data };
    this.compactIndex = snapshot.meta.index;
    this.compactTerm = snapshot.meta.term;
    this.log = [];
  }

  /** Records a snapshot the application took at `index` (<= lastIndex) with its state and configuration. */
  createSnapshot(index: number, confState: ConfState, data: string): Snapshot {
    if (index <= this.snap.meta.index) throw new SnapshotOutOfDateError(index, this.snap.meta.index);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.snap = { meta: { index, term: this.term(index), confState: copyConfState(confState) }, data };
    return this.snap;
  }

  /** Discards entries up to and including `compactIndex` (which must be <= lastIndex). The app keeps a snapshot covering them. */
  compact(compactIndex: number): void {
    if (compactIndex <= this.compactIndex) throw new CompactedError(compactIndex, this.compactIndex + 1);
    if (compactIndex > this.lastIndex()) throw new RaftArgumentError(`compact ${compactIndex} is beyond last index ${this.lastIndex()}`);
    const term = this.term(compactIndex);
    this.log = this.log.slice(compactIndex - this.compactIndex);
    this.compactIndex = compactIndex;
    this.compactTerm = term;
  }
}

export function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}
