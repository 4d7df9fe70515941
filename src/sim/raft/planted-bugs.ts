/**
 * Defects a simulation can plant in its nodes, to prove the checkers catch what such bugs cause. Each is a
 * wrapper around the replica loop's ports (the loop and the node have no switch for them).
 */
import type { Entry, HardState } from '../../raft/index.js';
import { grantingEveryVote, sendingBeforePersist } from '../../replica/fault-wrappers.js';
import type { ReadyCore, ReadyWrite, ReplicaTransport } from '../../replica/replica-loop.js';
import type { MemorySimDisk, SimDisk, SimStorage } from './sim-disk.js';

/**
 * - 'grant-all-votes': every vote request is granted (a voter that ignores its earlier vote and the log check);
 * - 'ack-before-fsync': writes are synced only every few Readys, yet messages (acks, votes) go out at once:
 *   a crash loses the unsynced writes that those messages promised;
 * - 'send-before-persist': the disk is honest, but the replica loop's order is broken: acks and votes leave with
 *   the immediate messages, before the write they promise has landed (a crash during the write loses it).
 */
export type RaftSimBug = 'grant-all-votes' | 'ack-before-fsync' | 'send-before-persist';

/** How a node's ports are wrapped: the identity for each port a bug leaves alone. */
export interface PlantedBug {
  core(core: ReadyCore): ReadyCore;
  transport(transport: ReplicaTransport): ReplicaTransport;
  disk(disk: MemorySimDisk): SimDisk;
}

export function plantBug(bug: RaftSimBug | undefined): PlantedBug {
  const none: PlantedBug = { core: (c) => c, transport: (t) => t, disk: (d) => d };
  switch (bug) {
    case undefined:
      return none;
    case 'grant-all-votes':
      return { ...none, transport: grantingEveryVote };
    case 'ack-before-fsync':
      return { ...none, core: sendingBeforePersist, disk: (d) => new UnsyncedDisk(d, d.storage) };
    case 'send-before-persist':
      return { ...none, core: sendingBeforePersist };
  }
}

/** What one write changed, to undo it on a crash. */
interface UndoRecord {
  hardState: HardState;
  lastIndex: number;
  overwritten: Entry[];
  snapshotIndex: number;
}

/**
 * The defect "ack before fsync", the disk half: a disk that syncs only every 4th write, so a crash rolls back
 * the writes since (whose acks and votes have gone out).
 */
export class UnsyncedDisk implements SimDisk {
  /** Writes not yet synced, newest last. */
  private unsynced: UndoRecord[] = [];
  private writesSinceSync = 0;

  constructor(
    private readonly inner: SimDisk,
    private readonly storage: SimStorage,
  ) {}

  get pending(): ReadyWrite | undefined {
    return this.inner.pending;
  }

  persist(write: ReadyWrite, onDurable: () => void): void {
    this.inner.persist(write, onDurable);
  }

  completeWrite(): void {
    const write = this.inner.pending;
    if (write !== undefined) this.captureUndo(write);
    this.inner.completeWrite();
  }

  crash(): void {
    this.inner.crash();
    for (let i = this.unsynced.length - 1; i >= 0; i--) this.rollback(this.unsynced[i]);
    this.unsynced = [];
    this.writesSinceSync = 0;
  }

  compacted(): void {
    this.inner.compacted();
    this.unsynced = []; // the rollback cannot cross a compaction: call it a sync
  }

  private captureUndo(write: ReadyWrite): void {
    if (++this.writesSinceSync >= 4) {
      this.writesSinceSync = 0;
      this.unsynced = [];
    }
    if (write.snapshot !== undefined) {
      this.unsynced = []; // installing a snapshot syncs
      return;
    }
    const s = this.storage;
    const lastIndex = s.lastIndex();
    let overwritten: Entry[] = [];
    if (write.entries.length > 0 && write.entries[0].index <= lastIndex) {
      const from = Math.max(write.entries[0].index, s.firstIndex());
      if (from <= lastIndex) overwritten = s.entries(from, lastIndex + 1);
    }
    this.unsynced.push({ hardState: s.getHardState(), lastIndex, overwritten, snapshotIndex: s.storedSnapshot().meta.index });
  }

  private rollback(u: UndoRecord): void {
    const s = this.storage;
    if (s.storedSnapshot().meta.index !== u.snapshotIndex) return;
    s.setHardState(u.hardState);
    if (u.overwritten.length > 0) {
      s.append(u.overwritten);
    } else if (s.lastIndex() > u.lastIndex && u.lastIndex >= s.firstIndex()) {
      s.append(s.entries(u.lastIndex, u.lastIndex + 1)); // truncates what came after
    }
  }
}
