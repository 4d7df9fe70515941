/**
 * The replica loop: one turn per Ready of a Raft core, in the order of the contract at the top of
 * raft/raft-node.ts (etcd-io/raft's doc.go), behind three ports. The node (node/raft/raft-driver.ts, SQLite) and the
 * simulator (sim/raft/sim-node.ts, an in-memory disk with latency and crashes) run this same loop, so the order
 * the simulator checks is the order that ships.
 *
 *   turn():   rd = core.ready()
 *             transport.send(rd.immediateMessages)          the leader's appends leave while it writes (thesis §10.2.1)
 *             storage.persist(rd, onDurable)                snapshot, entries, hard state: durably
 *   onDurable: transport.send(rd.messagesAfterPersist)      acks and votes promise what is now on disk (§3.8);
 *                                                            flushed at once, not held behind the apply
 *             applier.apply(rd)                             snapshot, committed entries in order, reads, events
 *             core.advance(rd)
 *
 * Persistence may complete inside persist() (SQLite, synchronous) or later (an fdatasync'd segment file, a
 * simulated disk's latency): until it does, the loop takes no new Ready (the core hands out one at a time), while
 * the caller keeps stepping messages and ticking. Pure: no I/O, no clock, no timers; test-only faults are wrappers
 * around the ports (fault-wrappers.ts), never switches in here.
 */
import type { Entry, HardState, Message, Snapshot } from '../raft/messages.js';
import { RaftInvariantError } from '../raft/errors.js';
import type { Ready } from '../raft/ready.js';

/** The part of a Raft core the loop drives (RawNode, or a wrapper around it). */
export interface ReadyCore {
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
}

/** What one Ready asks to be made durable, in this order: the snapshot, then the entries, then the hard state. */
export interface ReadyWrite {
  /** Replaces the log up to its index (and, where the state machine's state is the snapshot, the state too). */
  readonly snapshot?: Snapshot;
  /** Appended; entries[0].index may replace a conflicting suffix. */
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
}

/** Durable storage of the Raft log and hard state. */
export interface ReplicaStorage {
  /**
   * Makes `write` durable, atomically, and calls `onDurable` once it is: inside this call (a synchronous
   * transaction) or later (an asynchronous or batched sync). Called for every Ready, even one with nothing to
   * write (which may complete at once). Nothing that depends on the write is sent or applied before `onDurable`.
   * A failure to persist is fatal: throw (or end the process), never call `onDurable`.
   */
  persist(write: ReadyWrite, onDurable: () => void): void;
}

/** Sends Raft messages to peers. Best effort: Raft retries what is lost. */
export interface ReplicaTransport {
  send(messages: readonly Message[]): void;
  /** Optional: push what was queued onto the wire now, before a (synchronous) disk write holds the thread up. */
  flush?(): void;
}

/** The state machine and the application around it. */
export interface ReplicaApplier {
  /**
   * Steps 3-5 of the contract, after the Ready is durable and its after-persist messages are sent: load
   * rd.snapshot into the state machine (unless storage did it atomically with the log), apply rd.committedEntries
   * in order, answer rd.readStates, and act on rd.events and rd.softState.
   */
  apply(rd: Ready): void;
}

export interface ReplicaPorts {
  storage: ReplicaStorage;
  transport: ReplicaTransport;
  applier: ReplicaApplier;
  /** Called after each advance (the application's own housekeeping, e.g. compaction; scheduling the next turn). */
  onAdvanced?: (rd: Ready) => void;
}

/** Drives one core's Ready loop. One Ready in flight at a time. */
export class ReplicaLoop {
  /** The Ready taken and not yet advanced. */
  private current: Ready | undefined;
  /** Whether `current` is durable (its after-persist messages are sent; it is being applied). */
  private isDurable = false;
  private isAbandoned = false;

  constructor(
    private readonly core: ReadyCore,
    private readonly ports: ReplicaPorts,
  ) {}

  /** Whether a Ready's write has started and not completed. */
  get isPersisting(): boolean {
    return this.current !== undefined && !this.isDurable;
  }

  /** Whether turn() would take a Ready now. */
  hasReady(): boolean {
    return this.current === undefined && !this.isAbandoned && this.core.hasReady();
  }

  /**
   * Takes the next Ready if there is one and no write is in flight: sends its immediate messages and starts its
   * write. If storage completes synchronously, the whole turn (send, apply, advance) is done on return.
   * Returns whether a Ready was taken.
   */
  turn(): boolean {
    if (!this.hasReady()) return false;
    const rd = this.core.ready();
    this.current = rd;
    this.isDurable = false;
    const { transport } = this.ports;
    if (rd.immediateMessages.length > 0) {
      transport.send(rd.immediateMessages);
      transport.flush?.();
    }
    this.ports.storage.persist(rd, () => this.persisted(rd));
    return true;
  }

  /**
   * The process lost its volatile state (a crash, a stop): a write still in flight is forgotten, and its
   * completion, should it come, does nothing. The loop takes no more Readys; a restart builds a new one.
   */
  abandon(): void {
    this.isAbandoned = true;
    this.current = undefined;
  }

  private persisted(rd: Ready): void {
    if (this.isAbandoned) return;
    if (this.current !== rd || this.isDurable) throw new RaftInvariantError('replica loop: storage reported a write durable twice, or one it was not given');
    this.isDurable = true;
    if (rd.messagesAfterPersist.length > 0) {
      // On the wire before the apply: an ack waits for the disk, never for the state machine (or for later Readys).
      this.ports.transport.send(rd.messagesAfterPersist);
      this.ports.transport.flush?.();
    }
    this.ports.applier.apply(rd);
    this.core.advance(rd);
    this.current = undefined;
    this.ports.onAdvanced?.(rd);
  }
}
