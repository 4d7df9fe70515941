import { Type, type Static } from '@sinclair/typebox';
import { compileSchema, Count, type Assert, type SameType } from '../schema/compiled-schema.js';
import type { MemberMeta } from './membership-table.js';
import type { AckMessage, AliveMessage, DeadMessage, NackMessage, PingMessage, PingReqMessage, SuspectMessage, SwimMessage } from './messages.js';
import type { PushPullMember, PushPullState } from './push-pull.js';

/**
 * The SWIM wire format (messages.ts, push-pull.ts) as schemas: what a datagram or a push-pull is checked against
 * before the core reads it. Pure data. Messages are closed objects (a broadcast is passed on as received, so
 * nothing unchecked may ride along). A meta's own rules (tag keys, byte budget) are metaProblem's, in messages.ts:
 * the schema only says it is an object with joinedAtMs and tags.
 */

/** Ids and addresses on the wire: the core's limits (WireLimits.maxIdLength) may be stricter. */
const Id = Type.String({ minLength: 1, maxLength: 256 });
/** Most messages one datagram may carry (WireLimits.maxMessagesPerPacket may be stricter). */
export const MAX_MESSAGES_PER_PACKET = 256;

const object = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** A meta's shape; its finer rules and size are checked by metaProblem. */
export const MemberMetaSchema = Type.Unsafe<MemberMeta>(Type.Object({ joinedAtMs: Type.Number(), tags: Type.Record(Type.String(), Type.String()) }));

export const PingSchema = object({ type: Type.Literal('ping'), seq: Count, target: Id });
export const AckSchema = object({ type: Type.Literal('ack'), seq: Count });
export const NackSchema = object({ type: Type.Literal('nack'), seq: Count });
export const PingReqSchema = object({ type: Type.Literal('ping-req'), seq: Count, target: Id, targetAddress: Id, wantsNack: Type.Boolean() });
export const AliveSchema = object({ type: Type.Literal('alive'), member: Id, address: Id, incarnation: Count, meta: MemberMetaSchema });
export const SuspectSchema = object({ type: Type.Literal('suspect'), member: Id, incarnation: Count, from: Id });
export const DeadSchema = object({ type: Type.Literal('dead'), member: Id, incarnation: Count, from: Id });

export const SwimMessageSchema = Type.Union([PingSchema, AckSchema, NackSchema, PingReqSchema, AliveSchema, SuspectSchema, DeadSchema]);

export const SwimPacketSchema = object({ v: Count, from: Id, msgs: Type.Array(SwimMessageSchema, { minItems: 1, maxItems: MAX_MESSAGES_PER_PACKET }) });

export const PushPullMemberSchema = object({
  id: Id,
  address: Id,
  state: Type.Union([Type.Literal('alive'), Type.Literal('suspect'), Type.Literal('dead'), Type.Literal('left')]),
  incarnation: Count,
  meta: MemberMetaSchema,
});

/** The member count is bounded by the core's maxMembers (and the frame size), not here. */
export const PushPullStateSchema = object({ v: Count, from: Id, join: Type.Boolean(), members: Type.Array(PushPullMemberSchema) });

export const swimPacketCheck = compileSchema(SwimPacketSchema);
export const pushPullStateCheck = compileSchema(PushPullStateSchema);

export type _PingMatches = Assert<SameType<Static<typeof PingSchema>, PingMessage>>;
export type _AckMatches = Assert<SameType<Static<typeof AckSchema>, AckMessage>>;
export type _NackMatches = Assert<SameType<Static<typeof NackSchema>, NackMessage>>;
export type _PingReqMatches = Assert<SameType<Static<typeof PingReqSchema>, PingReqMessage>>;
export type _AliveMatches = Assert<SameType<Static<typeof AliveSchema>, AliveMessage>>;
export type _SuspectMatches = Assert<SameType<Static<typeof SuspectSchema>, SuspectMessage>>;
export type _DeadMatches = Assert<SameType<Static<typeof DeadSchema>, DeadMessage>>;
export type _SwimMessageMatches = Assert<SameType<Static<typeof SwimMessageSchema>, SwimMessage>>;
export type _PushPullMemberMatches = Assert<SameType<Static<typeof PushPullMemberSchema>, PushPullMember>>;
export type _PushPullStateMatches = Assert<SameType<Static<typeof PushPullStateSchema>, PushPullState>>;
