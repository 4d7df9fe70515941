/**
 * Errors the Raft core throws. Expected ones carry a stable `code` shared with the HTTP API and the CLI
 * (see src/errors/ccm-error.ts); RaftInvariantError means a bug or a broken caller contract and should crash.
 */
import type { NodeId } from './messages.js';

/** Base of every error the core throws on purpose. */
export class RaftError extends Error {
  constructor(
    readonly code: 'not_leader' | 'proposal_dropped' | 'compacted' | 'unavailable' | 'invalid_argument' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The operation needs the leader and this node is not it. `leaderId` is the known leader, if any (a redirect hint). */
export class NotLeaderError extends RaftError {
  constructor(readonly leaderId: NodeId | null) {
    super('not_leader', leaderId === null ? 'not the leader (no leader known)' : `not the leader (leader is ${leaderId})`);
  }
}

/** The leader refused a proposal: a leader transfer is running, the uncommitted-size cap is hit, or a conf change is pending. */
export class ProposalDroppedError extends RaftError {
  constructor(readonly reason: string) {
    super('proposal_dropped', `proposal dropped: ${reason}`);
  }
}

/** The requested index was compacted away (it is covered by a snapshot). */
export class CompactedError extends RaftError {
  constructor(readonly index: number, readonly firstIndex: number) {
    super('compacted', `index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The requested index is beyond the last index in the log. */
export class UnavailableError extends RaftError {
  constructor(readonly index: number, readonly lastIndex: number) {
    super('unavailable', `index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** A snapshot older than the one storage already holds (etcd's ErrSnapOutOfDate). */
export class SnapshotOutOfDateError extends RaftError {
  constructor(readonly index: number, readonly currentIndex: number) {
    super('invalid_argument', `snapshot at ${index} is out of date (storage holds ${currentIndex})`);
  }
}

/** A malformed request from the caller: bad config, bad conf change, bad transfer target. */
export class RaftArgumentError extends RaftError {
  constructor(message: string) {
    super('invalid_argument', message);
  }
}

/** A broken invariant or caller contract (e.g. ready() before advance()). Never caught: the node crashes and restarts. */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super('internal', message);
  }
}

/** Asserts a condition the code relies on; a failure is a bug. */
export function assertInvariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new RaftInvariantError(typeof message === 'string' ? message : message());
}
