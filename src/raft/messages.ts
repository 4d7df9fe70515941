/**
 * The data Raft exchanges: log entries, persistent state, configurations, snapshots and the peer messages.
 * Everything here is plain JSON-serialisable data, so the node runtime can put a Message on the wire as is.
 * Objects handed to or returned by the core are treated as immutable: the core never mutates an Entry or a
 * Message it received, and callers must not mutate those it returns.
 */

/** A node's stable identity (etcd uses a uint64; ccm uses the node's name). */
export type NodeId = string;

/** What an entry carries: an application command, or a membership change (see ConfChange). */
export type EntryKind = 'normal' | 'conf-change';

/** One log entry. `data` is opaque to Raft; an empty-string normal entry is the no-op a new leader appends. */
export interface Entry {
  index: number;
  term: number;
  kind: EntryKind;
  data: string;
}

/** The state that must be durable before any message that depends on it is sent (Raft §5.1, Figure 2). */
export interface HardState {
  term: number;
  /** Whom this node voted for in `term`, or null. */
  vote: NodeId | null;
  /** Highest index known committed (persisted so a restart does not re-derive it from scratch). */
  commit: number;
}

/** A cluster configuration: voters form quorums; learners receive the log but never vote or count. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

/**
 * A single-server membership change (Raft thesis §4.1, as etcd without joint consensus).
 * `add-voter` on an existing learner promotes it; `remove-node` removes a voter or a learner.
 */
export type ConfChange = { type: 'add-voter' | 'add-learner' | 'remove-node'; nodeId: NodeId };

/** Where a snapshot sits in the log, and the configuration as of that index. */
export interface SnapshotMeta {
  index: number;
  term: number;
  confState: ConfState;
}

/** The application state as of `meta.index`; `data` is opaque to Raft. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: string;
}

/** A node's role. A pre-candidate runs the pre-vote round (thesis §9.6) without raising its term. */
export type Role = 'follower' | 'candidate' | 'pre-candidate' | 'leader';

/** The answer to a ReadIndex request: serve the read once the applied index is >= `index`. */
export interface ReadState {
  index: number;
  requestCtx: string;
}

/** Fields every peer message carries. */
interface MessageBase {
  from: NodeId;
  to: NodeId;
  /** The sender's term (for vote responses: the term of the request being answered). */
  term: number;
}

/** AppendEntries (Raft §5.3): entries following (index, logTerm), plus the leader's commit index. Empty = probe / commit notice. */
export interface AppendMessage extends MessageBase {
  type: 'app';
  /** Index of the entry just before `entries`. */
  index: number;
  /** Term of the entry at `index`. */
  logTerm: number;
  entries: Entry[];
  commit: number;
}

/**
 * Reply to AppendEntries or to a snapshot. On success `index` is the last index now known to match the leader.
 * On rejection `index` echoes the rejected message's index and (rejectHint, logTerm) tell the leader the highest
 * follower entry that could still match (fast backtracking, as etcd's findConflictByTerm).
 */
export interface AppendResponseMessage extends MessageBase {
  type: 'app-resp';
  index: number;
  reject: boolean;
  rejectHint: number;
  logTerm: number;
}

/** RequestVote (§5.2) or a pre-vote (§9.6, sent for term+1 without raising the sender's term). */
export interface VoteMessage extends MessageBase {
  type: 'vote' | 'pre-vote';
  /** The candidate's last log index and term (§5.4.1 up-to-date check). */
  index: number;
  logTerm: number;
  /** A campaign forced by leader transfer: voters grant it even inside a leader lease. */
  isLeaderTransfer: boolean;
}

/** A vote (or pre-vote) answer. `term` is the request's term when granted, the voter's term when rejected. */
export interface VoteResponseMessage extends MessageBase {
  type: 'vote-resp' | 'pre-vote-resp';
  reject: boolean;
}

/** InstallSnapshot (§7): the whole snapshot in one message. */
export interface SnapshotMessage extends MessageBase {
  type: 'snap';
  snapshot: Snapshot;
}

/** Leader heartbeat. `commit` is capped at what the follower is known to hold; `context` carries a ReadIndex round. */
export interface HeartbeatMessage extends MessageBase {
  type: 'heartbeat';
  commit: number;
  context: string;
}

/** Heartbeat reply, echoing the context so the leader can count ReadIndex acknowledgements. */
export interface HeartbeatResponseMessage extends MessageBase {
  type: 'heartbeat-resp';
  context: string;
}

/** Leader transfer (thesis §3.10): the target should campaign at once, skipping pre-vote and leases. */
export interface TimeoutNowMessage extends MessageBase {
  type: 'timeout-now';
}

/** Every message one Raft node sends another. */
export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | SnapshotMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | TimeoutNowMessage;

export type MessageType = Message['type'];

/** Responses are dropped when they come from a node the leader no longer tracks (as etcd's RawNode.Step). */
export function isResponseMessage(m: Message): boolean {
  return m.type === 'app-resp' || m.type === 'vote-resp' || m.type === 'pre-vote-resp' || m.type === 'heartbeat-resp';
}

/** Fixed per-entry overhead counted toward message size limits, on top of `data.length`. */
export const ENTRY_OVERHEAD_BYTES = 24;

/**
 * The size an entry counts for against maxSizePerMsgBytes and maxCommittedSizePerReadyBytes: the data's
 * UTF-16 length (exactly its UTF-8 size for ASCII JSON) plus a fixed framing overhead. An estimate, not a wire size.
 */
export function entrySizeBytes(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}

/** The payload size counted toward maxUncommittedEntriesBytes (etcd counts data only). */
export function entryPayloadBytes(e: Entry): number {
  return e.data.length;
}

/** The data of a conf-change entry: a fixed key order, so every node encodes the same change identically. */
export function encodeConfChange(cc: ConfChange): string {
  return JSON.stringify({ type: cc.type, nodeId: cc.nodeId });
}

/** Decodes a conf-change entry's data; throws on anything that is not a ConfChange. */
export function decodeConfChange(data: string): ConfChange {
  const parsed = JSON.parse(data) as { type?: unknown; nodeId?: unknown };
  if (
    (parsed.type !== 'add-voter' && parsed.type !== 'add-learner' && parsed.type !== 'remove-node') ||
    typeof parsed.nodeId !== 'string' ||
    parsed.nodeId === ''
  ) {
    throw new TypeError(`not a conf change: ${data}`);
  }
  return { type: parsed.type, nodeId: parsed.nodeId };
}
