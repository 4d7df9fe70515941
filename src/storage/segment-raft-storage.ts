import fs from 'node:fs';
import type { Statement } from 'better-sqlite3';
import { CompactedError, UnavailableError, entrySizeBytes, type ConfState, type Entry, type HardState, type Snapshot } from '../raft/index.js';
import type { SqliteDatabase } from './database.js';
import { compactionPointOf, type LogCompactionPolicy, type RaftLogStorage } from './raft-storage.js';
import { CorruptLogError, SegmentLog, type RecordLocation, type SegmentLogOptions } from './segment-log.js';

/** Recent entries kept in memory (as SqliteRaftStorage): followers just behind are served without reading files. */
const ENTRY_CACHE_MAX = 8192;
const ENTRY_CACHE_MAX_BYTES = 16 * 1024 * 1024;

const RECORD_ENTRY = 1;
const RECORD_HARD_STATE = 2;
/** A snapshot was installed: the log restarts empty after (index, term). */
const RECORD_RESET = 3;
const ENTRY_HEADER_BYTES = 1 + 1 + 8 + 8;
const KINDS = ['normal', 'conf-change'] as const;

export function encodeEntryRecord(e: Entry): Buffer {
  const dataBytes = Buffer.byteLength(e.data, 'utf8');
  const b = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + dataBytes);
  b[0] = RECORD_ENTRY;
  b[1] = e.kind === 'conf-change' ? 1 : 0;
  b.writeDoubleLE(e.index, 2);
  b.writeDoubleLE(e.term, 10);
  b.write(e.data, ENTRY_HEADER_BYTES, 'utf8');
  return b;
}

function encodeHardStateRecord(hs: HardState): Buffer {
  const vote = hs.vote === null ? null : Buffer.from(hs.vote, 'utf8');
  const b = Buffer.allocUnsafe(1 + 8 + 8 + 1 + (vote?.length ?? 0));
  b[0] = RECORD_HARD_STATE;
  b.writeDoubleLE(hs.term, 1);
  b.writeDoubleLE(hs.commit, 9);
  b[17] = vote === null ? 0 : 1;
  vote?.copy(b, 18);
  return b;
}

function encodeResetRecord(index: number, term: number): Buffer {
  const b = Buffer.allocUnsafe(17);
  b[0] = RECORD_RESET;
  b.writeDoubleLE(index, 1);
  b.writeDoubleLE(term, 9);
  return b;
}

/** A record's numbers are checked as input from disk: a checksummed record we did not write is still refused. */
function readCount(b: Buffer, at: number, what: string): number {
  if (b.length < at + 8) throw new CorruptLogError(`a log record is too short for its ${what}`);
  const n = b.readDoubleLE(at);
  if (!Number.isSafeInteger(n) || n < 0) throw new CorruptLogError(`a log record holds ${what} ${n}, not a whole number`);
  return n;
}

function decodeEntry(b: Buffer): Entry {
  if (b[0] !== RECORD_ENTRY || b.length < ENTRY_HEADER_BYTES || b[1] > 1) throw new CorruptLogError('a log record that should be an entry is not one');
  return { index: readCount(b, 2, 'index'), term: readCount(b, 10, 'term'), kind: KINDS[b[1]], data: b.toString('utf8', ENTRY_HEADER_BYTES) };
}

function decodeHardState(b: Buffer): HardState {
  if (b.length < 18 || b[17] > 1) throw new CorruptLogError('a hard-state record is malformed');
  return { term: readCount(b, 1, 'term'), commit: readCount(b, 9, 'commit'), vote: b[17] === 1 ? b.toString('utf8', 18) : null };
}

export interface SegmentRaftStorageOptions extends Pick<SegmentLogOptions, 'segmentBytes' | 'firstSegmentBytes' | 'onBackgroundError' | 'backgroundSpare'> {
  /** The state machine's applied index: the commit index recovered is at least this. */
  appliedIndex?: number;
}

/**
 * The Raft log and hard state in segment files (segment-log.ts), the compaction point and the applied state in
 * SQLite. Each Ready's entries and hard state go out in one write and, when durable, one fdatasync (persist()),
 * inside the caller's SQLite transaction, which then needs no sync of its own except for a snapshot install.
 *
 * Recovery joins the two: the compaction point (snapshot index) comes from SQLite, the log from replaying the
 * segments (an entry at an existing index replaces the suffix, as Raft's append does; a reset record starts over
 * after an installed snapshot). A reset beyond SQLite's snapshot index is an install whose transaction never
 * committed: the log ends before it. Segments are deleted only below a compaction point that SQLite holds on disk.
 */
export class SegmentRaftStorage implements RaftLogStorage {
  readonly logInDatabase = false;
  private readonly log: SegmentLog;
  private readonly q: Record<string, Statement>;
  private hardState: HardState;
  /** Term and vote as last copied to SQLite's raft_state (so it still tells whether this node has Raft state). */
  private mirroredTerm: number;
  private mirroredVote: string | null;
  private snapshotIndex: number;
  private snapshotTerm: number;
  /** terms[i], sizes[i], where[i]: entry snapshotIndex + 1 + i. */
  private terms: number[] = [];
  private sizes: number[] = [];
  private where: RecordLocation[] = [];
  private logBytes = 0;
  private cache: Entry[] = [];
  private cacheStart = 1;
  private cacheBytes = 0;
  /** The highest entry (or reset) index in each segment: a segment whose highest is compacted can go. */
  private readonly segmentTop = new Map<number, number>();
  /**
   * Segments whose highest index is at most this may be deleted (once SQLite's files are synced). It only ever
   * holds a point from a transaction that has committed by the next persist(): compact() runs after persist() in
   * its Ready, and an install's point is folded in at the end of its persist().
   */
  private releasable = 0;
  private released = 0;
  private pendingInstall: { index: number; segment: number } | null = null;

  constructor(
    private readonly db: SqliteDatabase,
    readonly dir: string,
    private readonly appliedConf: () => ConfState,
    private readonly buildSnapshot: () => Snapshot,
    opts: SegmentRaftStorageOptions = {},
  ) {
    this.q = {
      state: db.prepare('SELECT term, vote, commit_index, snapshot_index, snapshot_term FROM raft_state WHERE singleton = 1'),
      setHard: db.prepare('UPDATE raft_state SET term = ?, vote = ?, commit_index = ? WHERE singleton = 1'),
      setSnap: db.prepare('UPDATE raft_state SET snapshot_index = ?, snapshot_term = ? WHERE singleton = 1'),
    };
    const s = this.q.state.get() as { term: number; vote: string | null; commit_index: number; snapshot_index: number; snapshot_term: number };
    this.snapshotIndex = s.snapshot_index;
    this.snapshotTerm = s.snapshot_term;
    this.mirroredTerm = s.term;
    this.mirroredVote = s.vote;
    // SQLite's copy until the replay finds a newer one (a new log's first segment starts with it).
    this.hardState = { term: s.term, vote: s.vote, commit: s.commit_index };
    // Replay: entries from `base` on, as (term, size, location); the newest hard state.
    let base = -1;
    let replayedHard: HardState | null = null;
    const { log } = SegmentLog.open(
      dir,
      {
        segmentBytes: opts.segmentBytes,
        firstSegmentBytes: opts.firstSegmentBytes,
        onBackgroundError: opts.onBackgroundError,
        backgroundSpare: opts.backgroundSpare,
        preamble: () => [encodeHardStateRecord(this.hardState)],
      },
      (body, at) => {
        const type = body[0];
        if (type === RECORD_ENTRY) {
          const e = decodeEntry(body);
          if (base === -1 || e.index < base) {
            base = e.index;
            this.clearIndex();
          }
          const last = base + this.terms.length - 1;
          if (e.index > last + 1) throw new CorruptLogError(`the log jumps from entry ${last} to ${e.index}`);
          this.truncateIndex(e.index - base);
          this.pushIndex(e.term, entrySizeBytes(e), at);
          this.raiseTop(at.segment, e.index);
        } else if (type === RECORD_HARD_STATE) {
          replayedHard = decodeHardState(body);
        } else if (type === RECORD_RESET) {
          const index = readCount(body, 1, 'index');
          // Written before its SQLite transaction, which never committed: as if the install never happened.
          if (index > this.snapshotIndex) return 'truncate';
          base = index + 1;
          this.clearIndex();
          this.supersedeBefore(at.segment, index);
          this.raiseTop(at.segment, index);
        } else {
          throw new CorruptLogError(`a log record of unknown type ${type}`);
        }
        return 'keep';
      },
    );
    this.log = log;
    if (replayedHard) this.hardState = replayedHard;
    // Entries at or below the compaction point are SQLite's business now.
    if (this.terms.length > 0) {
      const last = base + this.terms.length - 1;
      if (base > this.snapshotIndex + 1) {
        this.log.close();
        throw new CorruptLogError(`the Raft log in ${dir} starts at ${base} but the compaction point is ${this.snapshotIndex}: entries are missing`);
      }
      if (this.snapshotIndex >= base && this.snapshotIndex <= last && this.terms[this.snapshotIndex - base] !== this.snapshotTerm) {
        this.log.close();
        throw new CorruptLogError(`entry ${this.snapshotIndex} in ${dir} has term ${this.terms[this.snapshotIndex - base]}, but the compaction point has term ${this.snapshotTerm}`);
      }
      const drop = Math.min(this.terms.length, this.snapshotIndex + 1 - base);
      if (drop > 0) this.dropIndexPrefix(drop);
    }
    // Applied entries are committed; the snapshot is applied (a commit record may be lost to a power cut, an apply too).
    const commit = Math.max(this.hardState.commit, this.snapshotIndex, Math.min(opts.appliedIndex ?? 0, this.lastIndex()));
    this.hardState = { ...this.hardState, commit };
    this.releasable = this.snapshotIndex;
    this.cacheStart = this.lastIndex() + 1;
    for (const seq of this.log.segmentSeqs()) if (!this.segmentTop.has(seq)) this.segmentTop.set(seq, 0);
  }

  private clearIndex(): void {
    this.terms = [];
    this.sizes = [];
    this.where = [];
    this.logBytes = 0;
  }

  private truncateIndex(keep: number): void {
    if (keep >= this.terms.length) return;
    for (let i = keep; i < this.sizes.length; i++) this.logBytes -= this.sizes[i];
    this.terms.length = keep;
    this.sizes.length = keep;
    this.where.length = keep;
  }

  private pushIndex(term: number, size: number, at: RecordLocation): void {
    this.terms.push(term);
    this.sizes.push(size);
    this.where.push(at);
    this.logBytes += size;
  }

  private dropIndexPrefix(n: number): void {
    for (let i = 0; i < n; i++) this.logBytes -= this.sizes[i];
    this.terms = this.terms.slice(n);
    this.sizes = this.sizes.slice(n);
    this.where = this.where.slice(n);
  }

  private raiseTop(segment: number, index: number): void {
    this.segmentTop.set(segment, Math.max(this.segmentTop.get(segment) ?? 0, index));
  }

  /** A reset at `index` in `segment` supersedes everything in older segments: nothing there is above it any more. */
  private supersedeBefore(segment: number, index: number): void {
    for (const [seq, top] of this.segmentTop) if (seq < segment && top > index) this.segmentTop.set(seq, index);
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
    // From the files: count against maxBytes before reading (the sizes are in memory).
    const out: Entry[] = [];
    let size = 0;
    for (let index = lo; index < hi; index++) {
      size += this.sizes[index - this.snapshotIndex - 1];
      if (size > maxBytes && index > lo) break;
      const e = index >= this.cacheStart ? this.cache[index - this.cacheStart] : decodeEntry(this.log.read(this.where[index - this.snapshotIndex - 1]));
      if (e.index !== index) throw new CorruptLogError(`the log record for entry ${index} holds entry ${e.index}`);
      out.push(e);
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

  sizeBytes(): number {
    return this.logBytes;
  }

  cachedBytes(): number {
    return this.cacheBytes;
  }

  /** The live segment files' sequence numbers, oldest first (for tests and status). */
  segmentSeqs(): number[] {
    return this.log.segmentSeqs();
  }

  compactionPoint(applied: number, policy: LogCompactionPolicy): number | null {
    return compactionPointOf(this.sizes, this.logBytes, this.snapshotIndex, applied, policy);
  }

  snapshot(): Snapshot {
    return this.buildSnapshot();
  }

  /** Queues Ready.entries (written by persist()); an entry at an existing index replaces it and everything after it. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let from = 0;
    while (from < entries.length && entries[from].index <= this.snapshotIndex) from++;
    if (from === entries.length) return;
    const first = entries[from].index;
    if (first > this.lastIndex() + 1) throw new Error(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first <= this.lastIndex()) {
      // The records stay in the files; replay drops them when it meets the new entry at `first`.
      this.truncateIndex(first - this.snapshotIndex - 1);
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
      const at = this.log.append(encodeEntryRecord(e));
      this.raiseTop(at.segment, e.index);
      this.pushIndex(e.term, size, at);
      this.cache.push(e);
      this.cacheBytes += size;
    }
    this.trimCache();
  }

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

  /** Queues the hard state; a new term or vote is also copied to SQLite (in the caller's transaction). */
  setHardState(hs: HardState): void {
    this.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    this.log.append(encodeHardStateRecord(this.hardState));
    if (hs.term !== this.mirroredTerm || hs.vote !== this.mirroredVote) {
      this.q.setHard.run(hs.term, hs.vote, hs.commit);
      this.mirroredTerm = hs.term;
      this.mirroredVote = hs.vote;
    }
  }

  /**
   * A snapshot from the leader replaces the whole log: a reset record (written by persist(), before the caller's
   * transaction commits, which must sync) and the new compaction point in SQLite.
   */
  installSnapshot(index: number, term: number): void {
    const at = this.log.append(encodeResetRecord(index, term));
    this.q.setSnap.run(index, term);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.clearIndex();
    this.cache = [];
    this.cacheBytes = 0;
    this.cacheStart = index + 1;
    this.raiseTop(at.segment, index);
    // Older segments become deletable only once this transaction has committed: see persist().
    this.pendingInstall = { index, segment: at.segment };
  }

  /** Drops entries up to and including `index` (which must be applied): in SQLite the point moves; files go later. */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    if (index > this.lastIndex()) throw new Error(`cannot compact to ${index} beyond the last index ${this.lastIndex()}`);
    const term = this.term(index);
    this.q.setSnap.run(index, term);
    this.dropIndexPrefix(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    if (this.cacheStart <= index) {
      const n = Math.min(index + 1 - this.cacheStart, this.cache.length);
      for (let i = 0; i < n; i++) this.cacheBytes -= entrySizeBytes(this.cache[i]);
      this.cache = this.cache.slice(n);
      this.cacheStart = index + 1;
    }
    this.releasable = index;
  }

  /**
   * Writes what this Ready queued with one write() and, if `durable`, one fdatasync. Then deletes segments wholly
   * below a compaction point from an earlier (committed) transaction, once SQLite's files are synced to hold it.
   */
  persist(durable: boolean): void {
    this.log.flush(durable);
    if (this.releasable > this.released) this.releaseSegments();
    if (this.pendingInstall) {
      this.supersedeBefore(this.pendingInstall.segment, this.pendingInstall.index);
      this.releasable = Math.max(this.releasable, this.pendingInstall.index);
      this.pendingInstall = null;
    }
  }

  private releaseSegments(): void {
    const seqs = this.log.segmentSeqs();
    let keepFrom = seqs[0];
    for (const seq of seqs.slice(0, -1)) {
      if ((this.segmentTop.get(seq) ?? 0) > this.releasable) break;
      keepFrom = seq + 1;
    }
    if (keepFrom > seqs[0]) {
      syncDatabaseFiles(this.db);
      this.log.removeSegmentsBefore(keepFrom);
      for (const seq of [...this.segmentTop.keys()]) if (seq < keepFrom) this.segmentTop.delete(seq);
    }
    this.released = this.releasable;
  }

  close(): void {
    this.log.close();
  }
}

/**
 * fsyncs SQLite's database and WAL files: every committed transaction (even one committed with synchronous=NORMAL)
 * is then on disk. fsync flushes a file's dirty pages whichever descriptor wrote them.
 */
function syncDatabaseFiles(db: SqliteDatabase): void {
  for (const file of [db.name, `${db.name}-wal`]) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      continue; // no WAL file right now: nothing uncheckpointed
    }
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
