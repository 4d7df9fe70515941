/**
 * RaftConfig: one documented type for every knob of the core. Only `id` is required; `resolveRaftConfig`
 * fills the defaults below and validates the result. Times are in ticks (the caller's tick interval; the
 * ccm node ticks every 50 ms), sizes in bytes, and units come last in names.
 */
import { RaftArgumentError } from './errors.js';
import type { NodeId } from './messages.js';

export interface RaftConfig {
  /** This node's id; must appear in the configuration to vote or campaign. */
  id: NodeId;
  /**
   * Election timeout base, in ticks. A follower that hears no leader for a randomized timeout drawn from
   * [electionTicks, 2*electionTicks) campaigns (Raft §5.2). Also the check-quorum period and the leader-lease
   * length, and how long a leader transfer may take before it is aborted. Must be > heartbeatTicks. Default 10.
   */
  electionTicks?: number;
  /** A leader sends heartbeats every heartbeatTicks ticks. Default 1. */
  heartbeatTicks?: number;
  /**
   * Pre-vote (thesis §9.6): a node first asks whether it could win before raising its term, so a partitioned
   * node rejoining does not depose a healthy leader. Default true.
   */
  preVote?: boolean;
  /**
   * Check-quorum (thesis §6.2): a leader that has not heard from a quorum within an election timeout steps down,
   * and a follower that heard from a leader within the election timeout ignores vote requests (leader lease),
   * except those forced by a leader transfer. Default true.
   */
  checkQuorum?: boolean;
  /** Upper bound on the entries in one append message (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsgBytes?: number;
  /** At most this many append messages in flight per follower while pipelining (replicate state). Default 256. */
  maxInflightMsgs?: number;
  /**
   * At most this many bytes of entries (entrySizeBytes) in flight per follower while pipelining; 0 = no limit
   * (etcd's MaxInflightBytes). Bounds what a leader queues for one follower when entries are large. Default 0.
   */
  maxInflightBytes?: number;
  /** Upper bound on Ready.committedEntries per Ready (at least one entry). Default 1 MiB. */
  maxCommittedSizePerReadyBytes?: number;
  /** The leader drops proposals once its uncommitted entries' data exceed this (one proposal always fits). Default 64 MiB. */
  maxUncommittedEntriesBytes?: number;
  /**
   * The last index the application applied before this restart. Committed entries after it are handed out again.
   * The storage's ConfState must be the configuration as of this index. Default 0 (= the storage's snapshot index).
   */
  applied?: number;
}

/** A config with every default filled in. */
export type ResolvedRaftConfig = Required<RaftConfig>;

const MiB = 1024 * 1024;

/** The base defaults, as etcd's raft.Config. */
export const DEFAULT_RAFT_CONFIG: Omit<ResolvedRaftConfig, 'id'> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxSizePerMsgBytes: MiB,
  maxInflightMsgs: 256,
  maxInflightBytes: 0,
  maxCommittedSizePerReadyBytes: MiB,
  maxUncommittedEntriesBytes: 64 * MiB,
  applied: 0,
};

/**
 * The preset for a ccm node that ticks every 50 ms: heartbeat every tick (50 ms) and an election timeout of
 * 6 ticks, randomized to 300-600 ms. Derived from the base; override further fields in `overrides`.
 */
export function localClusterRaftConfig(id: NodeId, overrides: Partial<RaftConfig> = {}): ResolvedRaftConfig {
  return resolveRaftConfig({ ...DEFAULT_RAFT_CONFIG, electionTicks: 6, heartbeatTicks: 1, ...overrides, id });
}

/** Fills defaults and validates; throws RaftArgumentError naming the field and its legal range. */
export function resolveRaftConfig(config: RaftConfig): ResolvedRaftConfig {
  const resolved: ResolvedRaftConfig = { ...DEFAULT_RAFT_CONFIG, ...stripUndefined(config) } as ResolvedRaftConfig;
  validateRaftConfig(resolved);
  return resolved;
}

/** Throws RaftArgumentError for the first field outside its legal range. */
export function validateRaftConfig(c: ResolvedRaftConfig): void {
  if (typeof c.id !== 'string' || c.id === '') fail('id', 'a non-empty string', c.id);
  requireInteger('heartbeatTicks', c.heartbeatTicks, 1, 1_000_000);
  requireInteger('electionTicks', c.electionTicks, c.heartbeatTicks + 1, 1_000_000);
  if (typeof c.preVote !== 'boolean') fail('preVote', 'a boolean', c.preVote);
  if (typeof c.checkQuorum !== 'boolean') fail('checkQuorum', 'a boolean', c.checkQuorum);
  requireInteger('maxSizePerMsgBytes', c.maxSizePerMsgBytes, 1, Number.MAX_SAFE_INTEGER);
  requireInteger('maxInflightMsgs', c.maxInflightMsgs, 1, 1_000_000);
  requireInteger('maxInflightBytes', c.maxInflightBytes, 0, Number.MAX_SAFE_INTEGER);
  requireInteger('maxCommittedSizePerReadyBytes', c.maxCommittedSizePerReadyBytes, 1, Number.MAX_SAFE_INTEGER);
  requireInteger('maxUncommittedEntriesBytes', c.maxUncommittedEntriesBytes, 1, Number.MAX_SAFE_INTEGER);
  requireInteger('applied', c.applied, 0, Number.MAX_SAFE_INTEGER);
}

function requireInteger(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `an integer in [${min}, ${max}]`, value);
  }
}

function fail(field: string, legal: string, value: unknown): never {
  throw new RaftArgumentError(`raft config: ${field} must be ${legal} (got ${JSON.stringify(value)})`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
