import type { MemberMeta } from './membership-table.js';
import { swimPacketCheck } from './message-schemas.js';

/** Protocol version carried by every packet and push-pull state. */
export const SWIM_PROTOCOL_VERSION = 1;

/** Direct probe: "are you `target`?" (the target check catches a restarted process at a reused address). */
export interface PingMessage {
  type: 'ping';
  seq: number;
  target: string;
}
/** Answer to a ping, or relayed by a ping-req helper. */
export interface AckMessage {
  type: 'ack';
  seq: number;
}
/** A ping-req helper could not reach the target in time: tells the prober its own network is fine (Lifeguard). */
export interface NackMessage {
  type: 'nack';
  seq: number;
}
/** Indirect probe: "please ping `target` at `targetAddress` for me and relay its ack (and a nack if it stays silent)". */
export interface PingReqMessage {
  type: 'ping-req';
  seq: number;
  target: string;
  targetAddress: string;
  wantsNack: boolean;
}
/** Broadcast: `member` is alive at `incarnation` with this meta. */
export interface AliveMessage {
  type: 'alive';
  member: string;
  address: string;
  incarnation: number;
  meta: MemberMeta;
}
/** Broadcast: `from` suspects `member` at `incarnation`. */
export interface SuspectMessage {
  type: 'suspect';
  member: string;
  incarnation: number;
  from: string;
}
/** Broadcast: `from` declares `member` dead at `incarnation`; `from === member` is a graceful leave. */
export interface DeadMessage {
  type: 'dead';
  member: string;
  incarnation: number;
  from: string;
}

export type SwimMessage = PingMessage | AckMessage | NackMessage | PingReqMessage | AliveMessage | SuspectMessage | DeadMessage;
/** The messages that are gossiped (queued, piggybacked, retransmitted), as opposed to point-to-point probes. */
export type BroadcastMessage = AliveMessage | SuspectMessage | DeadMessage;

/** One UDP datagram: a compound of messages from one sender. Plain JSON. */
export interface SwimPacket {
  v: number;
  from: string;
  msgs: SwimMessage[];
}

/** Limits applied when validating input from the network. */
export interface WireLimits {
  maxMetaBytes: number;
  maxMessagesPerPacket: number;
  maxIdLength: number;
}

export const DEFAULT_WIRE_LIMITS: WireLimits = { maxMetaBytes: 512, maxMessagesPerPacket: 256, maxIdLength: 256 };

/** UTF-8 length of a string, without Buffer (the cores import nothing from node:*). */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of one message as it appears inside a packet's JSON. */
export function messageBytes(msg: SwimMessage): number {
  return utf8Length(JSON.stringify(msg));
}

/** Bytes of a packet's JSON without its messages: `{"v":1,"from":"…","msgs":[]}`. */
export function envelopeBytes(from: string): number {
  return utf8Length(JSON.stringify({ v: SWIM_PROTOCOL_VERSION, from, msgs: [] }));
}

/** Exact bytes of a packet's JSON given its envelope and message sizes (one comma between messages). */
export function packetBytes(envelope: number, messageSizes: readonly number[]): number {
  let total = envelope;
  for (const s of messageSizes) total += s;
  return total + Math.max(0, messageSizes.length - 1);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A tag key: 1–64 characters of letters, digits and `_.-/`; values are strings of at most 256 characters. */
export const TAG_KEY_PATTERN = /^[A-Za-z0-9_.\-/]{1,64}$/;
export const MAX_TAG_VALUE_LENGTH = 256;

/**
 * Sizes of metas already found well formed, by identity. Metas are immutable by contract, and in the simulator one
 * meta object reaches thousands of nodes; validating it once each time made validation the simulator's hottest path.
 */
const validMetaBytes = new WeakMap<object, number>();

/** Why a meta is not acceptable, or undefined when it is. */
export function metaProblem(meta: unknown, maxMetaBytes: number): string | undefined {
  if (!isPlainObject(meta)) return 'meta must be an object';
  const known = validMetaBytes.get(meta);
  if (known !== undefined) return known <= maxMetaBytes ? undefined : `meta is ${known} bytes, more than ${maxMetaBytes}`;
  if (typeof meta.joinedAtMs !== 'number' || !Number.isFinite(meta.joinedAtMs)) return 'meta.joinedAtMs must be a finite number';
  const tags = meta.tags;
  if (!isPlainObject(tags)) return 'meta.tags must be an object of string values';
  for (const [k, v] of Object.entries(tags)) {
    if (!TAG_KEY_PATTERN.test(k)) return `tag key ${JSON.stringify(k)} must match ${TAG_KEY_PATTERN.source}`;
    if (typeof v !== 'string' || v.length > MAX_TAG_VALUE_LENGTH) return `tag ${k} must be a string of at most ${MAX_TAG_VALUE_LENGTH} characters`;
  }
  let json: string;
  try {
    json = JSON.stringify(meta);
  } catch {
    return 'meta must be JSON';
  }
  const bytes = utf8Length(json);
  validMetaBytes.set(meta, bytes);
  if (bytes > maxMetaBytes) return `meta is ${bytes} bytes, more than ${maxMetaBytes}`;
  return undefined;
}

/** The core's own limits on a message that already fits its schema (ids, meta); a reason, or undefined. */
function messageLimitProblem(m: SwimMessage, limits: WireLimits): string | undefined {
  const idTooLong = (v: string): boolean => v.length > limits.maxIdLength;
  switch (m.type) {
    case 'ping':
      return idTooLong(m.target) ? 'ping target too long' : undefined;
    case 'ack':
    case 'nack':
      return undefined;
    case 'ping-req':
      return idTooLong(m.target) || idTooLong(m.targetAddress) ? 'ping-req target too long' : undefined;
    case 'alive':
      return idTooLong(m.member) || idTooLong(m.address) ? 'alive member too long' : metaProblem(m.meta, limits.maxMetaBytes);
    case 'suspect':
    case 'dead':
      return idTooLong(m.member) || idTooLong(m.from) ? `${m.type} member too long` : undefined;
  }
}

/**
 * Validates a decoded datagram: its schema (message-schemas.ts), then the core's limits. Returns it (not a copy)
 * when every part is well formed, or a reason string. A packet with any malformed part is dropped whole: garbage
 * in one part says the sender is not to be trusted. Never throws.
 */
export function parseSwimPacket(value: unknown, limits: WireLimits = DEFAULT_WIRE_LIMITS): SwimPacket | string {
  const shape = swimPacketCheck.problem(value);
  if (shape !== undefined) return `packet ${shape}`;
  const packet = value as SwimPacket;
  if (packet.v !== SWIM_PROTOCOL_VERSION) return `unsupported protocol version ${packet.v}`;
  if (packet.from.length > limits.maxIdLength) return 'packet.from too long';
  if (packet.msgs.length > limits.maxMessagesPerPacket) return `packet.msgs must be an array of 1..${limits.maxMessagesPerPacket} messages`;
  for (let i = 0; i < packet.msgs.length; i++) {
    const problem = messageLimitProblem(packet.msgs[i], limits);
    if (problem !== undefined) return `packet.msgs[${i}]: ${problem}`;
  }
  return packet;
}

/** Deep equality of JSON values (meta comparison for the restart rule), independent of key order. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEquals(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEquals(ao[k], bo[k]));
}
