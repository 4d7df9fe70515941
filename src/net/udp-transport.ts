import dgram from 'node:dgram';
import { decodeEnvelope, encodeEnvelope, isEnvelopeProblem, type Envelope } from './envelope.js';
import type { RejectFn, RejectionReason } from './input-rejections.js';
import type { LinkFilter } from './link-filter.js';
import { plainCodec, type PeerCodec } from './sealed-frame.js';
import type { PeerAddress, PeerAuthFailure } from './tcp-transport.js';

export interface UdpTransportOptions {
  selfId: string;
  host: string;
  port: number;
  filter: LinkFilter;
  onMessage: (envelope: Envelope, from: { address: string; port: number }) => void;
  /** A datagram refused (counted by the node as ccm_rejected_inputs_total{port="gossip"}). */
  onReject?: RejectFn;
  /** How datagrams are sealed (default: not at all). */
  codec?: PeerCodec;
  onAuthFailure?: (failure: PeerAuthFailure) => void;
}

/** Largest datagram we send; gossip keeps far below it (about 1,400 bytes, one Ethernet frame). */
export const MAX_DATAGRAM_BYTES = 60_000;

export interface UdpTransportStats {
  sent: number;
  received: number;
  bytesSent: number;
  bytesReceived: number;
  /** Datagrams that did not decode, or came from an unknown or mismatched sender: dropped and counted. */
  garbage: number;
  tooLarge: number;
  /** Datagrams that failed to authenticate with the keyring: dropped and counted. */
  authFailures: number;
}

/** Best-effort datagrams between nodes (gossip), through the link filter both ways. */
export class UdpTransport {
  private socket: dgram.Socket | null = null;
  private readonly peers = new Map<string, PeerAddress>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly stats: UdpTransportStats = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0, garbage: 0, tooLarge: 0, authFailures: 0 };
  private readonly codec: PeerCodec;

  constructor(private readonly options: UdpTransportOptions) {
    this.codec = options.codec ?? plainCodec;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', reject);
      socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
      socket.bind(this.options.port, this.options.host, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        this.socket = socket;
        resolve();
      });
    });
  }

  setPeers(peers: PeerAddress[]): void {
    for (const peer of peers) if (peer.id !== this.options.selfId) this.peers.set(peer.id, peer);
  }

  /** Forgets a peer that left the cluster: its datagrams count as garbage from now on. */
  removePeer(id: string): void {
    this.peers.delete(id);
  }

  /** Returns the encoded size, or 0 when nothing was sent (unknown peer, dropped by the filter, too large). */
  send(envelope: Envelope): number {
    const socket = this.socket;
    const peer = this.peers.get(envelope.to);
    if (!socket || !peer) return 0;
    const payload = this.codec.sealDatagram(this.options.selfId, envelope.to, encodeEnvelope(envelope));
    if (payload.length > MAX_DATAGRAM_BYTES) {
      this.stats.tooLarge++;
      return 0;
    }
    const decision = this.options.filter.decide(envelope.to, 'out');
    if (!decision.deliver) return 0;
    const transmit = (): void => {
      for (let i = 0; i < decision.copies; i++) {
        socket.send(payload, peer.gossipPort, peer.host);
        this.stats.sent++;
        this.stats.bytesSent += payload.length;
      }
    };
    if (decision.delayMs > 0) this.later(decision.delayMs, transmit);
    else transmit();
    return payload.length;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.bytesReceived += msg.length;
    const source = `${rinfo.address}:${rinfo.port}`;
    const opened = this.codec.openDatagram(msg, this.options.selfId);
    if (!opened.ok) {
      this.stats.authFailures++;
      // Named only when it comes from that peer's own gossip port: a stranger cannot get a peer blamed.
      const claimedPeer = opened.claimedFrom !== null ? this.peers.get(opened.claimedFrom) : undefined;
      const claimed = claimedPeer && claimedPeer.gossipPort === rinfo.port ? claimedPeer.id : null;
      this.options.onAuthFailure?.({ channel: 'udp', peer: claimed, remote: source, what: 'datagram', reason: 'a datagram failed authentication' });
      return this.reject('bad_seal', claimed ?? source, 'a datagram failed authentication');
    }
    const envelope = decodeEnvelope(opened.payload);
    if (isEnvelopeProblem(envelope)) return this.reject(envelope.reason, source, envelope.detail);
    // A datagram must come from the port its claimed sender gossips on, and (sealed) from the key's sender.
    const peer = this.peers.get(envelope.from);
    if (!peer || envelope.to !== this.options.selfId) return this.reject('unknown_peer', source, `datagram from ${JSON.stringify(envelope.from)} to ${JSON.stringify(envelope.to)}`);
    if (peer.gossipPort !== rinfo.port) return this.reject('spoofed_sender', source, `datagram claims to be from ${envelope.from}, which gossips on port ${peer.gossipPort}`);
    if (opened.from !== null && envelope.from !== opened.from) return this.reject('spoofed_sender', source, `datagram sealed by ${opened.from} claims to be from ${envelope.from}`);
    if (envelope.kind !== 'swim') return this.reject('unknown_kind', source, `${envelope.kind} is not taken on the gossip port`);
    const decision = this.options.filter.decide(envelope.from, 'in');
    if (!decision.deliver) return;
    const deliver = (): void => {
      for (let i = 0; i < decision.copies; i++) {
        this.stats.received++;
        this.options.onMessage(envelope, { address: rinfo.address, port: rinfo.port });
      }
    };
    if (decision.delayMs > 0) this.later(decision.delayMs, deliver);
    else deliver();
  }

  private reject(reason: RejectionReason, source: string, detail: string): void {
    this.stats.garbage++;
    this.options.onReject?.(reason, source, detail);
  }

  private later(delayMs: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, delayMs);
    this.timers.add(timer);
  }
}
