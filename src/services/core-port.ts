import type { LeaseView, LockView, RangeResult } from '../api/api-types.js';
import type { CcmError } from '../errors/ccm-error.js';
import type { Command } from '../core/commands.js';
import type { KeySpan } from '../core/key-span.js';
import type { WatchEvent } from '../core/kv-types.js';
import type { ApplyResult } from '../core/state-machine.js';
import type { Clock } from '../time/clock.js';
import type { Scheduler } from '../time/scheduler.js';

/**
 * The consistent core as the coordination services see it: the one thing the lease manager, the configuration
 * manager, the service registry and the election recipe depend on (with a clock and a scheduler). The built-in Raft
 * core implements it in the node (node/core/core-service.ts); a simulation implements it on the same state machine
 * in virtual time (sim/services); another consistent store (etcd) can implement it by translating each command
 * into its own transactions.
 */
export interface CorePort {
  /** Proposes a command and answers its applied result, typed by the command (`write({ op: 'put', … })` → a put's result). */
  write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>>;
  /** A read: linearizable (the default) or serializable (`serializable: true`, from whichever replica answers). */
  read<R extends CoreRead>(read: R, serializable: boolean, opts: CallOptions): Promise<ReadResultOf<R>>;
  /**
   * Changes from `spec.fromRevision` (0: from now) in revision order. Returns the function that stops them;
   * `onError` ends the stream (history compacted, or the core out of reach).
   */
  subscribe(spec: WatchSpec, handlers: WatchHandlers): () => void;
}

export interface CallOptions {
  /** Absolute deadline, in the milliseconds of the scheduler the services run with (`Scheduler.now`). */
  deadline: number;
  /** Hops so far: a forwarded request is forwarded at most once more. */
  hops: number;
}

/** The result a command applies to: an error result is thrown as a CcmError by the port, never returned. */
export type WriteResult<C extends Command> = Extract<ApplyResult, { op: C['op'] }>;

/** What a read asks for (the peer wire schema of the same union: node/peer-schemas.ts CoreReadSchema). */
export type CoreRead =
  | {
      kind: 'range';
      key: string;
      prefix: boolean;
      limit?: number;
      /** Leave out keys whose lease this replica already holds overdue (its expiry is about to commit). */
      liveOnly?: boolean;
      /** As of this revision (ccm kv get --rev); 0 or absent: now. */
      revision?: number;
      /** The key as it was just before its last change (ccm kv get --prev). */
      prev?: boolean;
    }
  /** A span (etcd's key and range_end) as of `revision` (absent: now), at most `limit` keys, with the count of all. */
  | { kind: 'span'; span: KeySpan; revision?: number; limit?: number; countOnly?: boolean }
  | { kind: 'leases' }
  | { kind: 'lease'; id: number }
  /** Lease-manager resources (one, or all), with their holders' leases and queues. */
  | { kind: 'locks'; resource?: string };

export type LeasesResult = { leases: LeaseView[]; servedBy: string };
export type LeaseResult = { lease: LeaseView; servedBy: string };
export type LocksResult = { locks: LockView[]; revision: number; servedBy: string };
export type ReadResult = RangeResult | LeasesResult | LeaseResult | LocksResult;

/** The answer to each kind of read. */
export type ReadResultOf<R extends CoreRead> = R['kind'] extends 'range' | 'span'
  ? RangeResult
  : R['kind'] extends 'leases'
    ? LeasesResult
    : R['kind'] extends 'lease'
      ? LeaseResult
      : LocksResult;

export interface WatchSpec {
  key: string;
  prefix: boolean;
  /** A span instead (etcd's range_end: null for every key from `key` on); set, it overrides `prefix`. */
  end?: string | null;
  /** First revision to deliver (inclusive); events before it are not sent. */
  fromRevision: number;
  /** Attach each event's `prev` (the key before the change), as etcd's prev_kv. */
  prevKv?: boolean;
}

/** Events delivered together. */
export interface WatchBatch {
  events: WatchEvent[];
  /** The store revision after these events (resume from revision + 1). */
  revision: number;
}

export interface WatchHandlers {
  /** The stream starts after `revision` (served by node `servedBy`). */
  onCreated?: (revision: number, servedBy: string) => void;
  onBatch: (batch: WatchBatch) => void;
  onError: (err: CcmError) => void;
  /** Every event up to `revision` has been delivered. */
  onProgress?: (revision: number) => void;
}

/** What a service is given: the core, the time it runs in, and who it is. */
export interface ServiceContext {
  core: CorePort;
  /** The node's clock: commands are stamped with its wall time (chaos may skew it). */
  clock: Clock;
  /** Timers and the time deadlines are measured in. */
  scheduler: Scheduler;
  /** The node the service runs on (recorded in what it writes). */
  nodeId: string;
  /** A number in [0, 1) for jitter (seeded in a simulation). */
  random: () => number;
}

/** A call with `ms` to run, from now by the scheduler. */
export function callWithin(scheduler: Scheduler, ms: number): CallOptions {
  return { deadline: scheduler.now() + ms, hops: 0 };
}
