/**
 * The typed envelope every peer message travels in, over TCP frames and UDP datagrams alike.
 * `kind` routes it to a subsystem; `body` is that subsystem's own message.
 */
export type EnvelopeKind =
  | 'hello' // first frame on a TCP connection: who is dialing
  | 'reach-ping' // one-way probe for the reachability matrix
  | 'rpc-req'
  | 'rpc-res'
  | 'raft'
  | 'swim'
  | 'push-pull-req'
  | 'push-pull-res';

export interface Envelope<B = unknown> {
  kind: EnvelopeKind;
  from: string;
  to: string;
  body: B;
}

const KINDS: ReadonlySet<string> = new Set<EnvelopeKind>([
  'hello',
  'reach-ping',
  'rpc-req',
  'rpc-res',
  'raft',
  'swim',
  'push-pull-req',
  'push-pull-res',
]);

export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/** Decodes and validates an envelope; returns null for anything malformed (never throws on bad input). */
export function decodeEnvelope(payload: Buffer): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) return null;
  if (typeof e.from !== 'string' || typeof e.to !== 'string') return null;
  if (!('body' in e)) return null;
  return e as unknown as Envelope;
}
