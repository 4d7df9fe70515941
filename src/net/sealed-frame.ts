import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from './framing.js';
import type { Keyring } from './keyring.js';

/**
 * How peer messages are sealed (authenticated and encrypted) on the wire: AES-256-GCM with the cluster's
 * keyring, as memberlist seals gossip. The transports see one small interface, `PeerCodec`; `plainCodec`
 * leaves messages as they are (the bench's "encryption off" row), `sealedCodec` seals them.
 *
 * TCP (one direction per connection: the dialer sends, the acceptor only greets):
 *   acceptor → dialer  [0x01][challenge: 16 random bytes]             plaintext greeting
 *   dialer → acceptor  record*, each [nonce 12][ciphertext][tag 16]    length-framed like any frame
 * A record carries one or more length-framed envelopes (everything written to the peer in one event-loop
 * turn: one seal per batch, not per message). Its associated data is `ccm/tcp/1 | cluster | challenge | seq`,
 * seq counting records from 0: a record cannot be replayed on another connection (fresh challenge), nor
 * reordered or dropped within one (seq). Record 0 must begin with the dialer's `hello`, whose `from` is then
 * the connection's peer. A record that fails to open is counted and the connection closed; a hello that fails
 * is answered `[0x02][reason]` (plaintext) before the close, so a node with the wrong key can say why.
 *
 * UDP: [0x01][from length][from][nonce 12][ciphertext][tag 16], associated data `ccm/udp/1 | cluster | from | to`:
 * the sender's id and the recipient are bound to the datagram (no replaying it to another node, nor passing
 * it off as another sender's) without decrypting first. Gossip tolerates a replayed datagram (incarnations).
 *
 * Nonces: a random 96-bit base per process, XORed with a counter: never repeated under one key by this
 * process, and two processes collide only if their random bases nearly agree.
 */
export const CHALLENGE_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const GREETING_CHALLENGE = 0x01;
const GREETING_REFUSAL = 0x02;
const DATAGRAM_VERSION = 0x01;
const MAX_PEER_ID_BYTES = 64;
/** Records are sealed per batch; a batch past this many plaintext bytes is sealed and a new one started. */
export const MAX_RECORD_PLAINTEXT_BYTES = 1024 * 1024;

export interface DialerSession {
  /** True while the connection waits for the acceptor's greeting before it may send. */
  readonly isWaitingForGreeting: boolean;
  /** Feeds the acceptor's greeting: 'ok', or why the connection cannot go on. */
  onGreeting(payload: Buffer): 'ok' | { refused: string } | { malformed: string };
  /** Bytes to write for these envelope payloads (length-framed; sealed as one record when sealing). */
  seal(payloads: readonly Buffer[]): Buffer;
}

export interface AcceptorSession {
  /** The greeting to send at once on accept, or null when the codec does not seal. */
  greeting(): Buffer | null;
  /** The envelope payloads in one received frame, or null when it fails to open (count it, close). */
  open(frame: Buffer): Buffer[] | null;
  /** The frame that tells the dialer why its hello was refused (null: just close). */
  refusal(reason: string): Buffer | null;
}

export interface PeerCodec {
  readonly isSealed: boolean;
  dialer(): DialerSession;
  acceptor(): AcceptorSession;
  sealDatagram(from: string, to: string, payload: Buffer): Buffer;
  /**
   * The payload and the sender it is bound to (null when the codec does not seal: the envelope says); or, when
   * it fails to open, the sender it claims (if it names one), for the log.
   */
  openDatagram(datagram: Buffer, self: string): OpenedDatagram;
}

export type OpenedDatagram = { ok: true; from: string | null; payload: Buffer } | { ok: false; claimedFrom: string | null };

/** Unique nonces for one process: a random base XOR a 64-bit counter in its last 8 bytes. */
export class NonceSequence {
  private readonly base = randomBytes(NONCE_BYTES);
  private high = 0;
  private low = 0;

  next(): Buffer {
    const nonce = Buffer.from(this.base);
    nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ this.high) >>> 0, 4);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ this.low) >>> 0, 8);
    this.low = (this.low + 1) >>> 0;
    if (this.low === 0) this.high = (this.high + 1) >>> 0;
    return nonce;
  }
}

/** Seals `plaintext` (given as parts) with one key: [nonce][ciphertext][tag]. */
export function seal(key: Buffer, nonce: Buffer, aad: Buffer, parts: readonly Buffer[]): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const out = [nonce];
  for (const p of parts) out.push(cipher.update(p));
  out.push(cipher.final(), cipher.getAuthTag());
  return Buffer.concat(out);
}

/** Opens a sealed message with the first key that authenticates it (trying `preferred` first); null if none does. */
export function open(keys: readonly Buffer[], aad: Buffer, sealed: Buffer, preferred?: Buffer): { plaintext: Buffer; key: Buffer } | null {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const order = preferred && keys.some((k) => k.equals(preferred)) ? [preferred, ...keys.filter((k) => !k.equals(preferred))] : keys;
  for (const key of order) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
      return { plaintext, key };
    } catch {
      // not this key (or tampered): try the next
    }
  }
  return null;
}

/** The challenge an acceptor's greeting carries, or null when the payload is not a challenge greeting. */
export function greetingChallenge(payload: Buffer): Buffer | null {
  return payload[0] === GREETING_CHALLENGE && payload.length === 1 + CHALLENGE_BYTES ? Buffer.from(payload.subarray(1)) : null;
}

/**
 * Record `seq` of a connection greeted with `challenge`, framed for the wire: `plaintext` is the record's content
 * (length-framed envelopes, as the dialer batches them). The fuzzer (src/fuzz) seals its own bytes with it, framed
 * validly or not, so they reach the acceptor's inner decoder as a peer's would.
 */
export function sealRecord(key: Buffer, nonce: Buffer, cluster: string, challenge: Buffer, seq: number, plaintext: readonly Buffer[]): Buffer {
  return encodeFrame(seal(key, nonce, tcpAad(cluster, challenge, seq), plaintext));
}

function tcpAad(cluster: string, challenge: Buffer, seq: number): Buffer {
  const head = Buffer.from(`ccm/tcp/1\0${cluster}\0`);
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  return Buffer.concat([head, challenge, seqBytes]);
}

function udpAad(cluster: string, from: string, to: string): Buffer {
  return Buffer.from(`ccm/udp/1\0${cluster}\0${from}\0${to}`);
}

/** Messages as they are: length-framed envelopes on TCP, bare envelopes in datagrams. */
export const plainCodec: PeerCodec = {
  isSealed: false,
  dialer: () => ({
    isWaitingForGreeting: false,
    onGreeting: () => ({ malformed: 'no greeting expected' }),
    seal: (payloads) => Buffer.concat(payloads.map(encodeFrame)),
  }),
  acceptor: () => ({ greeting: () => null, open: (frame) => [frame], refusal: () => null }),
  sealDatagram: (_from, _to, payload) => payload,
  openDatagram: (datagram) => ({ ok: true, from: null, payload: datagram }),
};

/** Seals every message with the keyring (read at each use: a rotation applies to the next message). */
export function sealedCodec(ring: Keyring, cluster: string, nonces = new NonceSequence()): PeerCodec {
  return {
    isSealed: true,
    dialer: () => new SealedDialer(ring, cluster, nonces),
    acceptor: () => new SealedAcceptor(ring, cluster),
    sealDatagram: (from, to, payload) => {
      const fromBytes = Buffer.from(from);
      const head = Buffer.from([DATAGRAM_VERSION, fromBytes.length]);
      return Buffer.concat([head, fromBytes, seal(ring.primary(), nonces.next(), udpAad(cluster, from, to), [payload])]);
    },
    openDatagram: (datagram, self) => {
      if (datagram.length < 2 || datagram[0] !== DATAGRAM_VERSION) return { ok: false, claimedFrom: null };
      const fromLength = datagram[1];
      if (fromLength === 0 || fromLength > MAX_PEER_ID_BYTES || datagram.length < 2 + fromLength) return { ok: false, claimedFrom: null };
      const from = datagram.subarray(2, 2 + fromLength).toString('utf8');
      const opened = open(ring.all(), udpAad(cluster, from, self), datagram.subarray(2 + fromLength));
      return opened ? { ok: true, from, payload: opened.plaintext } : { ok: false, claimedFrom: from };
    },
  };
}

class SealedDialer implements DialerSession {
  private challenge: Buffer | null = null;
  private seq = 0;

  constructor(
    private readonly ring: Keyring,
    private readonly cluster: string,
    private readonly nonces: NonceSequence,
  ) {}

  get isWaitingForGreeting(): boolean {
    return this.challenge === null;
  }

  onGreeting(payload: Buffer): 'ok' | { refused: string } | { malformed: string } {
    if (payload[0] === GREETING_REFUSAL) return { refused: payload.subarray(1, 513).toString('utf8') };
    const challenge = greetingChallenge(payload);
    if (challenge === null) return { malformed: 'the peer did not greet with a challenge' };
    if (this.challenge !== null) return { malformed: 'a second greeting' };
    this.challenge = challenge;
    return 'ok';
  }

  seal(payloads: readonly Buffer[]): Buffer {
    if (this.challenge === null) throw new Error('sealing before the greeting');
    return sealRecord(this.ring.primary(), this.nonces.next(), this.cluster, this.challenge, this.seq++, payloads.map(encodeFrame));
  }
}

class SealedAcceptor implements AcceptorSession {
  private readonly challenge = randomBytes(CHALLENGE_BYTES);
  private seq = 0;
  /** The key the last record opened with: tried first for the next one. */
  private lastKey: Buffer | undefined;

  constructor(
    private readonly ring: Keyring,
    private readonly cluster: string,
  ) {}

  greeting(): Buffer {
    return encodeFrame(Buffer.concat([Buffer.from([GREETING_CHALLENGE]), this.challenge]));
  }

  open(frame: Buffer): Buffer[] | null {
    const opened = open(this.ring.all(), tcpAad(this.cluster, this.challenge, this.seq), frame, this.lastKey);
    if (!opened) return null;
    this.seq++;
    this.lastKey = opened.key;
    const decoder = new FrameDecoder();
    let payloads: Buffer[];
    try {
      payloads = decoder.push(opened.plaintext);
    } catch {
      return null;
    }
    // An authenticated record holds whole frames only: anything left over is a sender bug, not data.
    return decoder.pendingBytes === 0 ? payloads : null;
  }

  refusal(reason: string): Buffer {
    return encodeFrame(Buffer.concat([Buffer.from([GREETING_REFUSAL]), Buffer.from(reason.slice(0, 500))]));
  }
}

/** Bytes a sealed record adds to its frames (for accounting). */
export const SEAL_OVERHEAD_BYTES = FRAME_HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
