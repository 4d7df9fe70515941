/**
 * What the etcd API needs from a node: the port it is written against. The node implements it on its consistent
 * core (src/node/etcd-subsystem.ts): writes and linearizable reads go through the same Raft path as the HTTP API,
 * forwarded to the leader from any node. Errors are CcmErrors (the etcd layer turns them into etcd's).
 */
import type { Command } from '../core/commands.js';
import type { KeySpan } from '../core/key-span.js';
import type { KeyValue, Lease, WatchEvent } from '../core/kv-types.js';
import type { ApplyResult } from '../core/state-machine.js';

export interface SpanRead {
  span: KeySpan;
  /** Absent or 0: now. */
  revision?: number;
  /** Absent or 0: every key. */
  limit?: number;
  countOnly?: boolean;
}

export interface SpanReadResult {
  kvs: KeyValue[];
  /** Keys the span holds in all. */
  count: number;
  /** The store's revision when the read was served. */
  revision: number;
}

export interface LeaseState {
  /** As anyone may see it: never the secret's hash. */
  lease: Omit<Lease, 'secretHash'>;
  /** TTL left by the serving (leader's) clock; null when it has no timer for it yet. */
  ttlLeftMs: number | null;
  keys: string[];
}

export interface WatchHandlers {
  /** The stream starts after `revision` (events from revision + 1 on, unless it asked for an earlier start). */
  onCreated(revision: number): void;
  /** Events of one revision, in order. */
  onEvents(events: WatchEvent[], revision: number): void;
  /** The watch ended: compacted (details.compactRevision), or no replica reachable. */
  onError(err: Error): void;
}

export interface WatchHandle {
  stop(): void;
  /** Every event up to this revision has been delivered to onEvents. */
  syncedRevision(): number;
}

export interface RaftView {
  term: number;
  /** Node id of the leader as this node knows it. */
  leaderId: string | null;
  lastIndex: number;
  appliedIndex: number;
  voters: string[];
  learners: string[];
}

export interface NodeAddress {
  host: string;
  peerPort: number;
  /** Absent for a node of a cluster made before ccm spoke etcd. */
  etcdPort?: number;
}

export interface EtcdBackend {
  readonly nodeId: string;
  readonly clusterName: string;
  /** Proposes through Raft (on any node: forwarded to the leader) and returns the applied result (errors thrown). */
  write(command: Command, deadlineMs: number): Promise<ApplyResult>;
  /** Linearizable (ReadIndex on the leader) unless `serializable` (this node's replica, or any voter's). */
  range(read: SpanRead, serializable: boolean, deadlineMs: number): Promise<SpanReadResult>;
  /** One lease as the leader sees it (throws not_found). */
  lease(id: number, deadlineMs: number): Promise<LeaseState>;
  leases(deadlineMs: number): Promise<Omit<Lease, 'secretHash'>[]>;
  /** A watch from `fromRevision` (0: from now), with each event's prev when asked. */
  watch(spec: { span: KeySpan; fromRevision: number; prevKv: boolean }, handlers: WatchHandlers): WatchHandle;
  /** This node's replica as it stands (zeros and no leader on a node that runs no replica). */
  raft(): RaftView;
  /** Cheap, for every response header: this replica's Raft term and store revision (a member: the term gossip shows, revision 0). */
  position(): { term: number; revision: number };
  /** Every node of the cluster, by node id. */
  nodes(): Record<string, NodeAddress>;
  /** Bytes of this node's database files. */
  databaseBytes(): number;
  transferLeader(to: string, deadlineMs: number): Promise<void>;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}
