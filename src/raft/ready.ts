/**
 * What the core hands the application (Ready), the structured events it emits, and its status snapshot.
 */
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Role, Snapshot } from './messages.js';
import type { ProgressState } from './progress.js';

/** Volatile state worth showing: who leads, and our role. */
export interface SoftState {
  leaderId: NodeId | null;
  role: Role;
}

/**
 * One batch of work for the application. Process the fields in the order of the contract at the top of
 * raft-node.ts, then call advance(ready).
 */
export interface Ready {
  /** Present when the leader or our role changed since the last Ready. */
  softState?: SoftState;
  /** Present when term, vote or commit changed: persist it. */
  hardState?: HardState;
  /** Append to stable storage; may replace a conflicting suffix starting at entries[0].index. */
  entries: Entry[];
  /** Install: persist it and load it into the state machine (it replaces the log up to meta.index). */
  snapshot?: Snapshot;
  /** Apply in order (bounded by maxCommittedSizePerReadyBytes). Conf-change entries go through applyConfChange. */
  committedEntries: Entry[];
  /**
   * Send now, even before this Ready is persisted (they vouch for nothing on this node's disk): a leader's
   * appends, snapshots and heartbeats, heartbeat answers, pre-vote requests, TimeoutNow.
   */
  immediateMessages: Message[];
  /**
   * Send only once this Ready's snapshot, entries and hard state are durable: append acks, vote requests and
   * (pre-)vote answers promise what was just saved (Raft thesis §3.8).
   */
  messagesAfterPersist: Message[];
  /** Serve each read once the applied index is >= its index. */
  readStates: ReadState[];
  /** Structured events for logs, the TUI and the simulator trace. */
  events: RaftEvent[];
}

/** Why a node left a role, when it is worth saying. */
export type RoleChangeReason =
  | 'election-timeout'
  | 'campaign'
  | 'won-election'
  | 'lost-election'
  | 'higher-term'
  | 'heard-leader'
  | 'check-quorum'
  | 'removed'
  | 'leader-transfer'
  | 'restart';

/** Why a vote or pre-vote was refused. */
export type VoteRefusal = 'already-voted' | 'knows-leader' | 'leader-lease' | 'log-behind' | 'stale-term';

/** Structured events; `term` is the node's term when the event happened. */
export type RaftEvent =
  | { type: 'role-changed'; from: Role; to: Role; term: number; reason: RoleChangeReason }
  | { type: 'term-changed'; from: number; to: number }
  | { type: 'leader-changed'; from: NodeId | null; to: NodeId | null; term: number }
  | { type: 'election-started'; term: number; preVote: boolean; leaderTransfer: boolean }
  | { type: 'vote-granted'; candidate: NodeId; term: number; preVote: boolean }
  /**
   * A vote or pre-vote this node refused, and why (for `ccm explain core`): it had voted for another in that term,
   * it follows a live leader (leader lease, §6 of the thesis), the candidate's log is behind its own (§5.4.1), or
   * the request's term is older than its own.
   */
  | {
      type: 'vote-refused';
      candidate: NodeId;
      term: number;
      preVote: boolean;
      reason: VoteRefusal;
      /** already-voted: whom it voted for; knows-leader / leader-lease: the leader it follows. */
      other?: NodeId | null;
      /** log-behind: the candidate's last entry and ours, as index/term. */
      candidateLast?: string;
      ownLast?: string;
    }
  | { type: 'snapshot-sent'; to: NodeId; index: number; term: number }
  | { type: 'snapshot-restored'; index: number; term: number; from: NodeId }
  | { type: 'conf-change-applied'; change: ConfChange; confState: ConfState }
  | { type: 'transfer-started'; to: NodeId; term: number }
  | { type: 'transfer-aborted'; to: NodeId; term: number; reason: 'timeout' | 'target-removed' | 'superseded' | 'stepped-down' }
  | { type: 'reads-aborted'; requestCtxs: string[]; term: number };

/** The leader's view of one peer. */
export interface PeerProgress {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  isLearner: boolean;
  pendingSnapshot: number;
  inflight: number;
}

/** The cheap part of the status (no per-peer data), for hot paths such as the simulator's checks. */
export interface BasicStatus {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId | null;
  leaderId: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  firstIndex: number;
  leadTransferee: NodeId | null;
}

/** Everything `ccm status` shows about Raft on one node. `progress` is filled only on the leader. */
export interface RaftStatus extends BasicStatus {
  confState: ConfState;
  progress: Record<NodeId, PeerProgress>;
  pendingReads: number;
}

/** One human-readable line for an event (logs, the TUI, the simulator trace). */
export function describeRaftEvent(e: RaftEvent): string {
  switch (e.type) {
    case 'role-changed':
      return `role ${e.from} -> ${e.to} (${e.reason})`;
    case 'term-changed':
      return `term ${e.from} -> ${e.to}`;
    case 'leader-changed':
      return `leader ${e.from ?? '-'} -> ${e.to ?? '-'}`;
    case 'election-started':
      return `${e.preVote ? 'pre-vote' : 'election'} for term ${e.term}${e.leaderTransfer ? ' (leader transfer)' : ''}`;
    case 'vote-granted':
      return `${e.preVote ? 'pre-vote' : 'vote'} granted to ${e.candidate} for term ${e.term}`;
    case 'vote-refused':
      return `${e.preVote ? 'pre-vote' : 'vote'} refused to ${e.candidate} for term ${e.term}: ${describeRefusal(e.reason, e.other, e.candidateLast, e.ownLast)}`;
    case 'snapshot-sent':
      return `snapshot ${e.index}/${e.term} sent to ${e.to}`;
    case 'snapshot-restored':
      return `snapshot ${e.index}/${e.term} from ${e.from} restored`;
    case 'conf-change-applied':
      return `conf change ${e.change.type} ${e.change.nodeId} applied: voters [${e.confState.voters.join(',')}] learners [${e.confState.learners.join(',')}]`;
    case 'transfer-started':
      return `leader transfer to ${e.to} started`;
    case 'transfer-aborted':
      return `leader transfer to ${e.to} aborted (${e.reason})`;
    case 'reads-aborted':
      return `${e.requestCtxs.length} pending read(s) aborted`;
  }
}

/** A refused vote's reason in words. */
export function describeRefusal(reason: VoteRefusal, other?: NodeId | null, candidateLast?: string, ownLast?: string): string {
  switch (reason) {
    case 'already-voted':
      return `already voted for ${other ?? 'another candidate'} in that term`;
    case 'knows-leader':
      return `it follows leader ${other ?? '?'} in that term`;
    case 'leader-lease':
      return `it heard from leader ${other ?? '?'} within the election timeout (leader lease)`;
    case 'log-behind':
      return `the candidate's log (last entry ${candidateLast ?? '?'}) is behind its own (${ownLast ?? '?'})`;
    case 'stale-term':
      return 'the request is for an older term than its own';
  }
}
