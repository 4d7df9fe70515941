import { Type, type Static } from '@sinclair/typebox';
import { ApplyResultSchema, CommandSchema } from '../core/command-schemas.js';
import { KeyValueSchema, LeaseSchema, WatchEventSchema } from '../core/kv-schemas.js';
import { rpcMethod } from '../net/peer-rpc.js';
import { raftMessageProblem } from '../raft/message-schemas.js';
import type { Message as RaftMessage } from '../raft/index.js';
import { Count, WireId, type Assert, type SameType } from '../schema/compiled-schema.js';
import { PushPullStateSchema } from '../swim/message-schemas.js';
import type { CoreRead as PortCoreRead, ReadResult } from '../services/core-port.js';

/**
 * The peer protocol's schemas in one place: every peer RPC method with the schemas of its params and its result
 * (the callee checks the params before its handler runs, the caller checks the result before it believes it:
 * net/peer-rpc.ts), and the bodies of the other envelope kinds (reach-ping, raft), checked in node-runtime.ts
 * before any handler reads them. The envelope itself is net/envelope.ts's; SWIM's and Raft's own messages are
 * described beside their cores (swim/message-schemas.ts, raft/message-schemas.ts).
 */

const object = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** Where every forwarded call carries its deadline (ms since epoch, the caller's clock) and the hops it has made. */
const Forwarded = { deadline: Type.Number(), hops: Type.Integer({ minimum: 0, maximum: 16 }) };

export const CoreReadSchema = Type.Union([
  /** `liveOnly`: leave out keys whose lease this replica already holds overdue (its expiry is about to commit). */
  object({
    kind: Type.Literal('range'),
    key: Type.String({ minLength: 1, maxLength: 1024 }),
    prefix: Type.Boolean(),
    limit: Type.Optional(Count),
    /** Leave out keys whose lease this replica already holds overdue (its expiry is about to commit). */
    liveOnly: Type.Optional(Type.Boolean()),
    /** As of this revision (ccm kv get --rev); 0 or absent: now. */
    revision: Type.Optional(Count),
    /** The key as it was just before its last change (ccm kv get --prev). */
    prev: Type.Optional(Type.Boolean()),
  }),
  /** A span (etcd's key and range_end) as of `revision` (absent: now), at most `limit` keys, with the count of all. */
  object({
    kind: Type.Literal('span'),
    span: object({ key: Type.String({ maxLength: 1024 }), end: Type.Optional(Type.Union([Type.String({ maxLength: 1028 }), Type.Null()])) }),
    revision: Type.Optional(Count),
    limit: Type.Optional(Count),
    countOnly: Type.Optional(Type.Boolean()),
  }),
  object({ kind: Type.Literal('leases') }),
  object({ kind: Type.Literal('lease'), id: Count }),
  /** Lease-manager resources (one, or all), with their holders' leases and queues. */
  object({ kind: Type.Literal('locks'), resource: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }),
]);

const LeaseViewSchema = Type.Composite([Type.Omit(LeaseSchema, ['secretHash']), object({ ttlLeftMs: Type.Union([Type.Number(), Type.Null()]), keys: Type.Array(Type.String()) })], {
  additionalProperties: false,
});

const LockViewSchema = object({
  resource: Type.String(),
  holder: Type.String(),
  lease: Count,
  token: Count,
  ttlMs: Count,
  ttlLeftMs: Type.Union([Type.Number(), Type.Null()]),
  renewals: Count,
  grantedAtMs: Type.Number(),
  renewedAtMs: Type.Number(),
  waiting: Type.Array(object({ holder: Type.String(), lease: Count, queuedAtRevision: Count })),
});

export const ReadResultSchema = Type.Union([
  object({ kvs: Type.Array(KeyValueSchema), count: Count, revision: Count, compactRevision: Count, servedBy: Type.String(), serializable: Type.Boolean(), atRevision: Type.Optional(Count) }),
  object({ leases: Type.Array(LeaseViewSchema), servedBy: Type.String() }),
  object({ lease: LeaseViewSchema, servedBy: Type.String() }),
  object({ locks: Type.Array(LockViewSchema), revision: Count, servedBy: Type.String() }),
]);

export const ConfChangeSchema = object({ type: Type.Union([Type.Literal('add-voter'), Type.Literal('add-learner'), Type.Literal('remove-node')]), nodeId: WireId });

export const WatchSpecSchema = object({ key: Type.String({ minLength: 1, maxLength: 1024 }), prefix: Type.Boolean(), fromRevision: Count });

/** A write forwarded to the leader: the command is checked again there (commandProblem) before it is proposed. */
export const CORE_WRITE = rpcMethod('core.write', object({ command: CommandSchema, ...Forwarded }), ApplyResultSchema);

export const CORE_READ = rpcMethod('core.read', object({ read: CoreReadSchema, serializable: Type.Boolean(), ...Forwarded }), ReadResultSchema);

export const CORE_CONF_CHANGE = rpcMethod(
  'core.conf-change',
  object({ change: ConfChangeSchema, ...Forwarded }),
  object({ voters: Type.Array(WireId), learners: Type.Array(WireId) }),
);

export const CORE_TRANSFER_LEADER = rpcMethod('core.transfer-leader', object({ to: WireId, ...Forwarded }), object({ from: WireId, to: WireId }));

/** A member's long poll at a voter for watch events (watch-routes.ts). */
export const CORE_WATCH_POLL = rpcMethod(
  'core.watch-poll',
  object({ spec: WatchSpecSchema, waitMs: Type.Number({ minimum: 0 }) }),
  object({ events: Type.Array(WatchEventSchema), revision: Count }),
);

/**
 * The leader asks the other voters which of these leases they too hold overdue by their own clocks (raft-driver.ts
 * expireConfirmed): a lease ends only when a majority's clocks agree.
 */
export const CORE_LEASES_DUE = rpcMethod(
  'core.leases-due',
  object({ leases: Type.Array(object({ id: Count, renewals: Count }), { maxItems: 1000 }) }),
  Type.Array(Count, { maxItems: 1000 }),
);

/** A SWIM full-state exchange over TCP (gossip-driver.ts): the SWIM core applies its own limits on top. */
export const SWIM_PUSH_PULL = rpcMethod('swim.push-pull', PushPullStateSchema, PushPullStateSchema);

/** The reach-ping envelope's body (the reachability matrix). */
export const ReachPingSchema = object({ nonce: Type.String({ minLength: 1, maxLength: 64 }) });

export type CoreRead = Static<typeof CoreReadSchema>;
export type _ReadResultMatches = Assert<SameType<Static<typeof ReadResultSchema>, ReadResult>>;
export type _CoreReadMatches = Assert<SameType<CoreRead, PortCoreRead>>;

/**
 * Why a Raft message may not be stepped: its schema and rules (raft/message-schemas.ts). A snapshot message is only
 * the offer: its data is empty, the rows follow as `snapshot` envelopes, each checked before it is staged
 * (node/raft/snapshot-transfer.ts, storage/snapshot-chunk.ts parseChunk).
 */
export function raftBodyProblem(body: unknown): string | undefined {
  const problem = raftMessageProblem(body);
  if (problem !== undefined) return problem;
  const m = body as RaftMessage;
  if (m.type === 'snap' && m.snapshot.data !== '') return 'snap: an offer carries no data (its rows are streamed)';
  return undefined;
}
