import { Type, type Static } from '@sinclair/typebox';
import { compileSchema, literalUnion, WireId } from '../schema/compiled-schema.js';

/**
 * The typed envelope every peer message travels in, over TCP frames and UDP datagrams alike.
 * `kind` routes it to a subsystem; `body` is that subsystem's own message, checked by the receiver against the
 * kind's own schema (node/peer-schemas.ts) before anything reads it. Bulk bytes (a snapshot's values) travel as
 * `blob`, after the JSON and a 0x00 byte (which JSON text never contains): no base64, no escaping.
 */
export const ENVELOPE_KINDS = [
  'hello', // first frame on a TCP connection: who is dialing
  'reach-ping', // one-way probe for the reachability matrix
  'rpc-req',
  'rpc-res',
  'raft',
  'swim',
  'snapshot', // a snapshot streamed to a lagging follower in chunks (node/raft/snapshot-transfer.ts)
] as const;

export type EnvelopeKind = (typeof ENVELOPE_KINDS)[number];

export const EnvelopeSchema = Type.Object(
  {
    kind: literalUnion(ENVELOPE_KINDS),
    from: WireId,
    to: WireId,
    body: Type.Unknown(),
  },
  { additionalProperties: false },
);

const envelopeCheck = compileSchema(EnvelopeSchema);

export interface Envelope<B = unknown> extends Omit<Static<typeof EnvelopeSchema>, 'body'> {
  body: B;
  /** Raw bytes carried after the JSON (TCP only). */
  blob?: Buffer;
}

/** Separates an envelope's JSON from its blob: JSON text never holds a raw 0x00 byte (it escapes U+0000). */
const BLOB_SEPARATOR = 0x00;

export function encodeEnvelope(envelope: Envelope): Buffer {
  const { blob, ...rest } = envelope;
  const json = Buffer.from(JSON.stringify(rest));
  if (blob === undefined) return json;
  return Buffer.concat([json, Buffer.of(BLOB_SEPARATOR), blob], json.length + 1 + blob.length);
}

/** Why a payload is not an envelope. */
export type EnvelopeProblem = { reason: 'bad_json' | 'bad_envelope'; detail: string };

/** Decodes and checks an envelope (parsed once; its body is checked later, by kind). Never throws on bad input. */
export function decodeEnvelope(payload: Buffer): Envelope | EnvelopeProblem {
  const separator = payload.indexOf(BLOB_SEPARATOR);
  const json = separator < 0 ? payload : payload.subarray(0, separator);
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch (err) {
    return { reason: 'bad_json', detail: (err as Error).message };
  }
  // `body` is required: a present-but-undefined body cannot come out of JSON.parse.
  if (typeof value === 'object' && value !== null && !('body' in value)) return { reason: 'bad_envelope', detail: '/body: Required property' };
  const problem = envelopeCheck.problem(value);
  if (problem !== undefined) return { reason: 'bad_envelope', detail: problem };
  const envelope = value as Envelope;
  if (separator >= 0) envelope.blob = payload.subarray(separator + 1);
  return envelope;
}

export function isEnvelopeProblem(v: Envelope | EnvelopeProblem): v is EnvelopeProblem {
  return 'reason' in v && !('kind' in v);
}
