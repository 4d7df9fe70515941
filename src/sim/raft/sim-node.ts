/**
 * One simulated Raft node: durable storage that survives crashes (hard state, stable entries, snapshot), and
 * volatile state that does not (the RawNode with its unstable entries, the application, pending work). It runs
 * the replica loop the node's driver ships (replica/replica-loop.ts: immediate messages, then the disk write,
 * then the messages that waited for it, apply, advance) over a simulated disk, and reports what it persists and
 * applies to the invariant checker. A planted bug wraps the loop's ports (planted-bugs.ts).
 */
import {
  RawNode,
  decodeConfChange,
  type ConfChange,
  type ConfState,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftEvent,
  type Ready,
} from '../../raft/index.js';
import type { Random } from '../../random/random.js';
import { ReplicaLoop } from '../../replica/replica-loop.js';
import { AppendLogMachine } from './append-log-machine.js';
import { plantBug, type PlantedBug, type RaftSimBug } from './planted-bugs.js';
import type { LogView, RaftInvariantChecker } from './raft-invariants.js';
import { MemorySimDisk, SimStorage, type SimDisk } from './sim-disk.js';

export type { RaftSimBug } from './planted-bugs.js';

/** What a node needs from the simulator around it. */
export interface SimNodeHost {
  readonly checker: RaftInvariantChecker;
  send(from: SimRaftNode, m: Message): void;
  onEvents(node: SimRaftNode, events: RaftEvent[]): void;
  onConfChangeApplied(node: SimRaftNode, cc: ConfChange, index: number): void;
  onReadAnswered(node: SimRaftNode): void;
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
  private readonly disk: SimDisk;
  private readonly planted: PlantedBug;
  /** The replica loop of the running incarnation. */
  private loop: ReplicaLoop | undefined;

  constructor(
    readonly id: NodeId,
    private readonly config: RaftConfig,
    private readonly host: SimNodeHost,
    private readonly snapshotPolicy: SimSnapshotPolicy,
    bug: RaftSimBug | undefined,
  ) {
    this.storage.source = () => (this.raw === undefined ? undefined : { applied: this.app.appliedIndex, confState: this.confState, data: this.app.snapshotData() });
    this.planted = plantBug(bug);
    this.disk = this.planted.disk(new MemorySimDisk(id, this.storage, host.checker));
  }

  get isUp(): boolean {
    return this.raw !== undefined;
  }

  /** Starts (or restarts) the node from its durable state. */
  start(random: Random): RawNode {
    const snap = this.storage.storedSnapshot();
    this.app = AppendLogMachine.fromSnapshot(snap);
    this.confState = snap.meta.confState;
    const raw = new RawNode({ ...this.config, applied: snap.meta.index }, this.storage, random);
    this.raw = raw;
    this.loop = new ReplicaLoop(this.planted.core(raw), {
      storage: this.disk,
      transport: this.planted.transport({ send: (messages) => this.sendAll(messages) }),
      applier: { apply: (rd) => this.apply(raw, rd) },
      onAdvanced: () => {
        if (this.raw === raw) this.maybeCompact();
      },
    });
    this.host.checker.resetCommitSeen(this.id, this.storage.getHardState().commit);
    return raw;
  }

  /** Loses everything volatile, and the disk write in flight (under 'ack-before-fsync', the unsynced ones too). */
  crash(): void {
    this.raw = undefined;
    this.loop?.abandon();
    this.loop = undefined;
    this.incarnation++;
    this.readyScheduled = false;
    this.disk.crash();
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
    return this.loop?.isPersisting ?? false;
  }

  /**
   * The first half of a turn of the replica loop: take the Ready, send what may leave before the disk write (a
   * leader's appends and heartbeats) and start the write. It lands in finishReady(), after the disk's latency; a
   * crash in between loses it, with those messages already sent.
   */
  startReady(): boolean {
    return this.loop?.turn() ?? false;
  }

  /** The second half: the write lands; the loop sends what waited for it, applies, answers reads, advances. */
  finishReady(): void {
    if (this.raw === undefined) return;
    this.disk.completeWrite();
  }

  /** A whole turn at once, with no crash possible in between (start-up). */
  processReady(): void {
    if (this.startReady()) this.finishReady();
  }

  private sendAll(messages: readonly Message[]): void {
    for (const m of messages) this.host.send(this, m);
  }

  /** The applier port: steps 3-5 of the contract. */
  private apply(raw: RawNode, rd: Ready): void {
    const checker = this.host.checker;
    if (rd.snapshot !== undefined) {
      this.app = AppendLogMachine.fromSnapshot(rd.snapshot);
      this.confState = rd.snapshot.meta.confState;
      checker.observeSnapshotLoaded(this.id, rd.snapshot.meta.index, rd.snapshot.meta.term, this.app.hash);
    }
    for (const e of rd.committedEntries) {
      if (e.kind === 'conf-change') {
        const cc = decodeConfChange(e.data);
        this.confState = raw.applyConfChange(cc);
        this.host.onConfChangeApplied(this, cc, e.index);
      }
      this.app.apply(e);
      checker.observeApplied(this.id, e, this.app.hash);
    }
    for (const rs of rd.readStates) {
      checker.observeReadAnswered(this.id, rs.requestCtx, rs.index);
      this.host.onReadAnswered(this);
    }
    if (rd.events.length > 0) this.host.onEvents(this, rd.events);
  }

  /** The application's own compaction: snapshot the applied state now and then, keep a short log behind it. */
  private maybeCompact(): void {
    const snapIndex = this.storage.storedSnapshot().meta.index;
    const applied = this.app.appliedIndex;
    if (applied - snapIndex < this.snapshotPolicy.everyEntries || applied > this.storage.lastIndex()) return;
    this.storage.createSnapshot(applied, this.confState, this.app.snapshotData());
    const compactTo = applied - this.snapshotPolicy.keepEntries;
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    this.disk.compacted();
  }
}
