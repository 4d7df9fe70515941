/**
 * The log as the core sees it: stable storage (RaftStorage, read-only) plus the unstable tail, with the commit
 * and apply cursors. Like etcd's raftLog. Lookups are O(1) by index; nothing here copies the whole log.
 */
import { CompactedError, UnavailableError, assertInvariant } from './errors.js';
import type { Entry, Snapshot } from './messages.js';
import { entrySizeBytes } from './messages.js';
import type { RaftStorage } from './storage.js';
import { UnstableLog } from './unstable-log.js';

export class RaftLog {
  readonly unstable: UnstableLog;
  /** Highest index known committed. */
  committed: number;
  /** Highest index handed to the application in a Ready (being applied). */
  applying: number;
  /** Highest index the application has applied (advance() confirms it). */
  applied: number;

  constructor(
    readonly storage: RaftStorage,
    private readonly maxApplyingBytes: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assertInvariant(t !== undefined, 'the last entry has no term');
    return t;
  }

  /**
   * The highest index such that every entry up to it is durable: the leader counts only this toward its own
   * match, so a commit never rests on the leader's unsaved entries.
   */
  lastPersistedIndex(): number {
    const u = this.unstable;
    if (u.snapshot !== undefined) return 0; // the durable log is about to be replaced: nothing of it counts
    return u.entries.length > 0 ? u.offset - 1 : this.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted (below firstIndex-1) or beyond the last index. */
  term(index: number): number | undefined {
    const t = this.unstable.maybeTerm(index);
    if (t !== undefined) return t;
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    if (index >= this.unstable.offset) return undefined;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries: if our entry at `index` has `logTerm`, append `ents` (replacing any
   * conflicting suffix) and advance commit to min(commit, last new index). Returns the last new index, or -1 on mismatch.
   */
  maybeAppend(index: number, logTerm: number, commit: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      assertInvariant(conflict > this.committed, () => `entry ${conflict} conflicts with committed entry (committed ${this.committed})`);
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries (the first may replace a suffix not yet committed); returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    assertInvariant(ents[0].index - 1 >= this.committed, () => `append at ${ents[0].index} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The index of the first entry whose term differs from ours (or that we lack), 0 if all match. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term (0 when unknown): where two logs could
   * still agree. Used for fast backtracking on both sides of a rejected append.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const ours = this.term(index);
      if (ours === undefined) return { index, term: 0 };
      if (ours <= term) return { index, term: ours };
    }
    return { index: 0, term: 0 };
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assertInvariant(index <= this.lastIndex(), () => `commit ${index} is beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Commits `maxIndex` if it holds an entry of `term` (Raft §5.4.2: only current-term entries commit by counting). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && term !== 0 && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    assertInvariant(index <= this.committed, () => `applied ${index} is beyond committed ${this.committed}`);
    this.applied = index;
    if (this.applying < index) this.applying = index;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Whether committed entries wait to be handed out (none while a snapshot is being installed). */
  hasNextCommittedEntries(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed > this.applying;
  }

  /** The next batch of committed entries to apply, bounded by maxCommittedSizePerReadyBytes. */
  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    return this.slice(this.applying + 1, this.committed + 1, this.maxApplyingBytes);
  }

  /** Entries from `lo` to the end, at most maxBytes (at least one). Throws CompactedError below firstIndex. */
  entriesFrom(lo: number, maxBytes: number): Entry[] {
    const last = this.lastIndex();
    if (lo > last) return [];
    return this.slice(lo, last + 1, maxBytes);
  }

  /** Entries in [lo, hi) from storage and/or the unstable tail, at most maxBytes (at least one entry). */
  slice(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1, last);
    if (lo >= hi) return [];
    const u = this.unstable;
    if (lo >= u.offset) return limitSize(u.slice(lo, hi), maxBytes);
    const cut = Math.min(hi, u.offset);
    const fromStorage = this.storage.entries(lo, cut, maxBytes);
    if (hi <= u.offset || fromStorage.length < cut - lo) return fromStorage;
    const stable = fromStorage.slice(); // storage may hand out its own array: never push into it
    let size = 0;
    for (const e of stable) size += entrySizeBytes(e);
    if (size >= maxBytes) return stable;
    for (let i = u.offset; i < hi; i++) {
      const e = u.entries[i - u.offset];
      size += entrySizeBytes(e);
      if (size > maxBytes) break;
      stable.push(e);
    }
    return stable;
  }

  /** The snapshot to send to a follower: an incoming one still unstable, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Installs an incoming snapshot: the log restarts after it, and it is committed. */
  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.unstable.restore(s);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }
}

/** Keeps a prefix of `ents` whose size stays within maxBytes, always at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length <= 1 || maxBytes === Number.POSITIVE_INFINITY) return ents;
  let size = entrySizeBytes(ents[0]);
  for (let i = 1; i < ents.length; i++) {
    size += entrySizeBytes(ents[i]);
    if (size > maxBytes) return ents.slice(0, i);
  }
  return ents;
}
