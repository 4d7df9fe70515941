/**
 * What every etcd service handler gets: the backend, the response header as this member gives it, and the
 * refusal counter. Also the shared encodings (a KeyValue, a response header).
 */
import { createHash } from 'node:crypto';
import type { KeyValue } from '../core/kv-types.js';
import type { EtcdBackend } from './etcd-backend.js';
import type { RefusalCounter } from './etcd-requests.js';

/** etcd's ResponseHeader (uint64 ids as decimal text: they do not fit a JavaScript number). */
export interface ResponseHeader {
  cluster_id: string;
  member_id: string;
  revision: number;
  raft_term: number;
}

export interface EtcdContext {
  backend: EtcdBackend;
  /** The header of a response at `revision` (0: the newest revision this node has seen). */
  header(revision?: number): ResponseHeader;
  refuse: RefusalCounter;
  /** etcd's member id of a ccm node. */
  memberId(nodeId: string): string;
}

/**
 * A stable uint64 id (never 0) for a name: a member is `<cluster>/<node>`, the cluster `<cluster>`. The same on
 * every node and every start, as etcd's ids are for a member's lifetime.
 */
export function etcdId(name: string): string {
  const n = createHash('sha256').update(`ccm:${name}`).digest().readBigUInt64BE(0);
  return (n === 0n ? 1n : n).toString();
}

const EMPTY = Buffer.alloc(0);

export interface KeyValueMessage {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: number;
}

export function keyValueMessage(kv: KeyValue, keysOnly = false): KeyValueMessage {
  return {
    key: Buffer.from(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: keysOnly ? EMPTY : Buffer.from(kv.value),
    lease: kv.lease,
  };
}
