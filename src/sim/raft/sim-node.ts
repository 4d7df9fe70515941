/**
 * One simulated Raft node: durable storage that survives crashes (hard state, stable entries, snapshot), and
 * volatile state that does not (the RawNode with its unstable entries, the application, pending work). It runs
 * the Ready loop as the contract in raft-node.ts says and as the node's driver ships it (immediate messages,
 * then the disk write, then the messages that waited for it), and reports what it persists and applies to the
 * invariant checker.
 */
import {
  MemoryStorage,
  RawNode,
  decodeConfChange,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftEvent,
  type Ready,
  type Snapshot,
} from '../../raft/index.js';
import type { Random } from '../../random/random.js';
import { AppendLogMachine } from './append-log-machine.js';
import type { LogView, RaftInvariantChecker } from './raft-invariants.js';

/**
 * Test-only defects, to prove the checkers catch what such bugs cause:
 * - 'grant-all-votes': every vote request is granted (a voter that ignores its earlier vote and the log check);
 * - 'ack-before-fsync': writes are synced only every few Readys, yet messages (acks, votes) go out at once:
 *   a crash loses the unsynced writes that those messages promised.
 */
export type RaftSimBug = 'grant-all-votes' | 'ack-before-fsync';

/** What a node needs from the simulator around it. */
export interface SimNodeHost {
  readonly checker: RaftInvariantChecker;
  send(from: SimRaftNode, m: Message): void;
  onEvents(node: SimRaftNode, events: RaftEvent[]): void;
  onConfChangeApplied(node: SimRaftNode, cc: ConfChange, index: number): void;
  onReadAnswered(node: SimRaftNode): void;
}

/**
 * MemoryStorage whose snapshot() builds a fresh one at the application's applied index when the stored one is
 * older, as a real application would, so a follower added since the last snapshot is in its ConfState.
 */
class SimStorage extends MemoryStorage {
  source: (() => { applied: number; confState: ConfState; data: string } | undefined) | undefined;

  /** The snapshot last saved, without building one. */
  storedSnapshot(): Snapshot {
    return super.snapshot();
  }

  override snapshot(): Snapshot {
    const stored = super.snapshot();
    const s = this.source?.();
    if (s !== undefined && s.applied > stored.meta.index && s.applied <= this.lastIndex()) {
      return this.createSnapshot(s.applied, s.confState, s.data);
    }
    return stored;
  }
}

/** What one Ready wrote, to undo it on a crash under the 'ack-before-fsync' bug. */
interface UndoRecord {
  hardState: HardState;
  lastIndex: number;
  overwritten: Entry[];
  snapshotIndex: number;
}

export interface SimSnapshotPolicy {
  /** Take a snapshot once this many entries were applied since the last one. */
  everyEntries: number;
  /** Entries kept in the log behind the snapshot when compacting. */
  keepEntries: number;
}

export class SimRaftNode {
  readonly storage = new SimStorage();
  raw: RawNode | undefined;
  app = new AppendLogMachine();
  confState: ConfState = { voters: [], learners: [] };
  /** Bumped on every crash: events scheduled for an older incarnation are void. */
  incarnation = 0;
  readyScheduled = false;
  /** Removed from the configuration and shut down for good. */
  decommissioned = false;
  /** The Ready being written (see startReady). */
  private writing: Ready | undefined;
  /** Writes not yet synced (newest last), under the 'ack-before-fsync' bug. */
  private unsynced: UndoRecord[] = [];
  private readiesSinceSync = 0;

  constructor(
    readonly id: NodeId,
    private readonly config: RaftConfig,
    private readonly host: SimNodeHost,
    private readonly snapshotPolicy: SimSnapshotPolicy,
    private readonly bug: RaftSimBug | undefined,
  ) {
    this.storage.source = () => (this.raw === undefined ? undefined : { applied: this.app.appliedIndex, confState: this.confState, data: this.app.snapshotData() });
  }

  get isUp(): boolean {
    return this.raw !== undefined;
  }

  /** Starts (or restarts) the node from its durable state. */
  start(random: Random): RawNode {
    const snap = this.storage.storedSnapshot();
    this.app = AppendLogMachine.fromSnapshot(snap);
    this.confState = snap.meta.confState;
    this.raw = new RawNode({ ...this.config, applied: snap.meta.index }, this.storage, random);
    this.host.checker.resetCommitSeen(this.id, this.storage.getHardState().commit);
    return this.raw;
  }

  /** Loses everything volatile. Under 'ack-before-fsync', the last Ready's writes were never synced either. */
  crash(): void {
    this.raw = undefined;
    this.writing = undefined;
    this.incarnation++;
    this.readyScheduled = false;
    if (this.bug === 'ack-before-fsync') {
      for (let i = this.unsynced.length - 1; i >= 0; i--) this.rollbackWrite(this.unsynced[i]);
    }
    this.unsynced = [];
    this.readiesSinceSync = 0;
  }

  /** A read-only view of the log for the checker. */
  logView(): LogView {
    const raw = this.raw;
    if (raw === undefined) throw new Error(`${this.id} is down`);
    return {
      firstIndex: () => raw.basicStatus().firstIndex,
      lastIndex: () => raw.basicStatus().lastIndex,
      term: (i: number) => raw.logTerm(i),
    };
  }

  /** Whether a Ready was taken and its disk write has not finished yet. */
  get isWriting(): boolean {
    return this.writing !== undefined;
  }

  /**
   * The first half of a turn of the Ready loop, as the node runs it: take the Ready and send what may leave
   * before the disk write (a leader's appends and heartbeats). The write itself finishes in finishReady(),
   * after the disk's latency; a crash in between loses it, with those messages already sent.
   */
  startReady(): boolean {
    const raw = this.raw;
    if (raw === undefined || this.writing !== undefined || !raw.hasReady()) return false;
    const rd = raw.ready();
    this.writing = rd;
    this.sendAll(rd.immediateMessages);
    // The defect: acks and votes leave before the write they promise is durable.
    if (this.bug === 'ack-before-fsync') this.sendAll(rd.messagesAfterPersist);
    return true;
  }

  /** The second half: persist the Ready, then send what waited for it, apply, answer reads, advance. */
  finishReady(): void {
    const raw = this.raw;
    const rd = this.writing;
    if (raw === undefined || rd === undefined) return;
    this.writing = undefined;
    const checker = this.host.checker;
    if (this.bug === 'ack-before-fsync') this.captureUndo(rd);

    // 1. persist: snapshot, entries, hard state
    if (rd.snapshot !== undefined) {
      this.storage.applySnapshot(rd.snapshot);
      this.app = AppendLogMachine.fromSnapshot(rd.snapshot);
      this.confState = rd.snapshot.meta.confState;
      checker.observeSnapshotLoaded(this.id, rd.snapshot.meta.index, rd.snapshot.meta.term, this.app.hash);
    }
    if (rd.entries.length > 0) {
      this.storage.append(rd.entries);
      for (const e of rd.entries) checker.observeAppended(this.id, e, this.storedTerm(e.index - 1));
    }
    if (rd.hardState !== undefined) {
      this.storage.setHardState(rd.hardState);
      checker.observePersistedCommit(rd.hardState.commit);
    }
    // 2. send what depended on the write
    if (this.bug !== 'ack-before-fsync') this.sendAll(rd.messagesAfterPersist);
    // 3. apply
    for (const e of rd.committedEntries) {
      if (e.kind === 'conf-change') {
        const cc = decodeConfChange(e.data);
        this.confState = raw.applyConfChange(cc);
        this.host.onConfChangeApplied(this, cc, e.index);
      }
      this.app.apply(e);
      checker.observeApplied(this.id, e, this.app.hash);
    }
    // 4. reads
    for (const rs of rd.readStates) {
      checker.observeReadAnswered(this.id, rs.requestCtx, rs.index);
      this.host.onReadAnswered(this);
    }
    // 5. events
    if (rd.events.length > 0) this.host.onEvents(this, rd.events);
    // 6. advance
    raw.advance(rd);
    if (this.raw === raw) this.maybeCompact();
  }

  /** A whole turn at once, with no crash possible in between (start-up). */
  processReady(): void {
    if (this.startReady()) this.finishReady();
  }

  private sendAll(messages: readonly Message[]): void {
    for (const m of messages) {
      if (this.bug === 'grant-all-votes' && m.type === 'vote-resp' && m.reject) {
        this.host.send(this, { ...m, reject: false });
      } else {
        this.host.send(this, m);
      }
    }
  }

  private storedTerm(index: number): number | undefined {
    if (index < this.storage.firstIndex() - 1 || index > this.storage.lastIndex()) return undefined;
    return this.storage.term(index);
  }

  /** The application's own compaction: snapshot the applied state now and then, keep a short log behind it. */
  private maybeCompact(): void {
    const snapIndex = this.storage.storedSnapshot().meta.index;
    const applied = this.app.appliedIndex;
    if (applied - snapIndex < this.snapshotPolicy.everyEntries || applied > this.storage.lastIndex()) return;
    this.storage.createSnapshot(applied, this.confState, this.app.snapshotData());
    const compactTo = applied - this.snapshotPolicy.keepEntries;
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    this.unsynced = []; // the bug's rollback cannot cross a compaction: call it a sync
  }

  private captureUndo(rd: Ready): void {
    // A sync every 4th Ready: what came since is lost on a crash.
    if (++this.readiesSinceSync >= 4) {
      this.readiesSinceSync = 0;
      this.unsynced = [];
    }
    if (rd.snapshot !== undefined) {
      this.unsynced = []; // installing a snapshot syncs
      return;
    }
    const lastIndex = this.storage.lastIndex();
    let overwritten: Entry[] = [];
    if (rd.entries.length > 0 && rd.entries[0].index <= lastIndex) {
      const from = Math.max(rd.entries[0].index, this.storage.firstIndex());
      if (from <= lastIndex) overwritten = this.storage.entries(from, lastIndex + 1);
    }
    this.unsynced.push({ hardState: this.storage.getHardState(), lastIndex, overwritten, snapshotIndex: this.storage.storedSnapshot().meta.index });
  }

  private rollbackWrite(u: UndoRecord): void {
    if (this.storage.storedSnapshot().meta.index !== u.snapshotIndex) return;
    this.storage.setHardState(u.hardState);
    if (u.overwritten.length > 0) {
      this.storage.append(u.overwritten);
    } else if (this.storage.lastIndex() > u.lastIndex && u.lastIndex >= this.storage.firstIndex()) {
      this.storage.append(this.storage.entries(u.lastIndex, u.lastIndex + 1)); // truncates what came after
    }
  }
}
