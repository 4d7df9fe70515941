/**
 * The typed envelope every peer message travels in, over TCP frames and UDP datagrams alike.
 * `kind` routes it to a subsystem; `body` is that subsystem's own message (JSON). Bulk bytes (a snapshot's values)
 * travel as `blob`, after the JSON and a 0x00 byte (which JSON text never contains): no base64, no escaping.
 */
export type EnvelopeKind =
  | 'hello' // first frame on a TCP connection: who is dialing
  | 'reach-ping' // one-way probe for the reachability matrix
  | 'rpc-req'
  | 'rpc-res'
  | 'raft'
  | 'swim'
  | 'push-pull-req'
  | 'push-pull-res'
  | 'snapshot'; // a snapshot streamed to a lagging follower in chunks (node/snapshot-transfer.ts)

export interface Envelope<B = unknown> {
  kind: EnvelopeKind;
  from: string;
  to: string;
  body: B;
  /** Raw bytes carried after the JSON (TCP only). */
  blob?: Buffer;
}

/** Separates an envelope's JSON from its blob: JSON text never holds a raw 0x00 byte (it escapes U+0000). */
const BLOB_SEPARATOR = 0x00;

const KINDS: ReadonlySet<string> = new Set<EnvelopeKind>([
  'hello',
  'reach-ping',
  'rpc-req',
  'rpc-res',
  'raft',
  'swim',
  'push-pull-req',
  'push-pull-res',
  'snapshot',
]);

export function encodeEnvelope(envelope: Envelope): Buffer {
  const { blob, ...rest } = envelope;
  const json = Buffer.from(JSON.stringify(rest));
  if (blob === undefined) return json;
  return Buffer.concat([json, Buffer.of(BLOB_SEPARATOR), blob], json.length + 1 + blob.length);
}

/** Decodes and validates an envelope; returns null for anything malformed (never throws on bad input). */
export function decodeEnvelope(payload: Buffer): Envelope | null {
  const separator = payload.indexOf(BLOB_SEPARATOR);
  const json = separator < 0 ? payload : payload.subarray(0, separator);
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) return null;
  if (typeof e.from !== 'string' || typeof e.to !== 'string') return null;
  if (!('body' in e)) return null;
  if (separator >= 0) e.blob = payload.subarray(separator + 1);
  return e as unknown as Envelope;
}
