/**
 * The simulated disk under one node: the replica loop's storage port over the node's MemoryStorage. A write
 * lands only when the simulator says the disk finished it (completeWrite(), after a random latency); a crash
 * before that loses it. It reports what lands to the invariant checker.
 */
import { MemoryStorage, type ConfState, type NodeId, type Snapshot } from '../../raft/index.js';
import type { ReadyWrite, ReplicaStorage } from '../../replica/replica-loop.js';
import type { RaftInvariantChecker } from './raft-invariants.js';

/** A storage port whose writes finish when the simulator says so. */
export interface SimDisk extends ReplicaStorage {
  /** The write in flight, if any. */
  readonly pending: ReadyWrite | undefined;
  /** The disk finished the write in flight: it lands, and the loop hears it is durable. */
  completeWrite(): void;
  /** The process crashed: the write in flight is lost. */
  crash(): void;
  /** The application took a snapshot and compacted the log. */
  compacted(): void;
}

/**
 * MemoryStorage whose snapshot() builds a fresh one at the application's applied index when the stored one is
 * older, as a real application would, so a follower added since the last snapshot is in its ConfState.
 */
export class SimStorage extends MemoryStorage {
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

export class MemorySimDisk implements SimDisk {
  private inFlight: { write: ReadyWrite; onDurable: () => void } | undefined;

  constructor(
    private readonly nodeId: NodeId,
    readonly storage: SimStorage,
    private readonly checker: RaftInvariantChecker,
  ) {}

  get pending(): ReadyWrite | undefined {
    return this.inFlight?.write;
  }

  persist(write: ReadyWrite, onDurable: () => void): void {
    if (this.inFlight !== undefined) throw new Error(`${this.nodeId}: a second write while one is in flight`);
    this.inFlight = { write, onDurable };
  }

  completeWrite(): void {
    const inFlight = this.inFlight;
    if (inFlight === undefined) return;
    this.inFlight = undefined;
    const { write } = inFlight;
    if (write.snapshot !== undefined) this.storage.applySnapshot(write.snapshot);
    if (write.entries.length > 0) {
      this.storage.append(write.entries);
      for (const e of write.entries) this.checker.observeAppended(this.nodeId, e, this.storedTerm(e.index - 1));
    }
    if (write.hardState !== undefined) {
      this.storage.setHardState(write.hardState);
      this.checker.observePersistedCommit(write.hardState.commit);
    }
    inFlight.onDurable();
  }

  crash(): void {
    this.inFlight = undefined;
  }

  compacted(): void {}

  private storedTerm(index: number): number | undefined {
    if (index < this.storage.firstIndex() - 1 || index > this.storage.lastIndex()) return undefined;
    return this.storage.term(index);
  }
}
