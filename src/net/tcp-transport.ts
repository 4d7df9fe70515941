import net from 'node:net';
import { decodeEnvelope, encodeEnvelope, isEnvelopeProblem, type Envelope } from './envelope.js';
import { FrameDecoder, FrameTooLargeError, MAX_FRAME_BYTES } from './framing.js';
import type { RejectFn, RejectionReason } from './input-rejections.js';
import type { LinkFilter } from './link-filter.js';
import { Backoff } from '../time/backoff.js';
import { MAX_RECORD_PLAINTEXT_BYTES, plainCodec, type AcceptorSession, type DialerSession, type PeerCodec } from './sealed-frame.js';

export interface PeerAddress {
  id: string;
  host: string;
  /** TCP port for peer RPC. */
  peerPort: number;
  /** UDP port for gossip. */
  gossipPort: number;
}

export interface TcpTransportOptions {
  selfId: string;
  host: string;
  port: number;
  filter: LinkFilter;
  onMessage: (envelope: Envelope) => void;
  onError?: (message: string, detail: Record<string, unknown>) => void;
  /** Our connection to a peer closed after it was up: messages written to it may or may not have arrived. */
  onPeerLost?: (peer: string) => void;
  /** An inbound frame or connection refused (counted by the node as ccm_rejected_inputs_total{port="peer"}). */
  onReject?: RejectFn;
  limits?: Partial<PeerPortLimits>;
  /** How frames are sealed (default: not at all). */
  codec?: PeerCodec;
  /** A frame failed to authenticate (inbound), or a peer refused our hello (outbound): for the log and status. */
  onAuthFailure?: (failure: PeerAuthFailure) => void;
  /**
   * Agents (one node per host) learn their peers from gossip, so a new one's first hello comes from an id not yet
   * known: taken when this is set and the hello opened with the cluster key (a sealed codec), which proves membership.
   */
  acceptsUnknownPeers?: boolean;
}

export interface PeerAuthFailure {
  channel: 'tcp' | 'udp';
  /** Who it was from (or, for a refused hello, the peer that refused it), when known. */
  peer: string | null;
  /** The remote address, for an inbound connection that never said who it is. */
  remote?: string;
  /** 'hello' / 'frame' / 'datagram': ours failed to open; 'refused': a peer refused our hello. */
  what: 'hello' | 'frame' | 'datagram' | 'refused';
  reason: string;
}

/** The bounds of the peer port; each refusal closes the offending connection and is counted (onReject). */
export interface PeerPortLimits {
  /** Inbound connections at once (each peer dials one; push-pulls and restarts add a few). */
  maxInboundConnections: number;
  /** A connection must say hello within this long, or it is closed. */
  helloTimeoutMs: number;
  /** Largest frame before hello: a stranger may not make us buffer megabytes. */
  preHelloFrameBytes: number;
  /** Bytes of partial frames held across all inbound connections; the connection that goes over is closed. */
  maxPendingBytes: number;
}

export const DEFAULT_PEER_PORT_LIMITS: PeerPortLimits = {
  maxInboundConnections: 256,
  helloTimeoutMs: 5000,
  preHelloFrameBytes: 4096,
  maxPendingBytes: 256 * 1024 * 1024,
};

/** Messages queued for a peer while its connection is being (re)established: at most this many, and bytes. */
const MAX_QUEUED_MESSAGES = 1024;
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** Largest envelope sent: a sealed record of one payload (see OutboundConnection.send) must fit in a frame. */
const MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES - 1024;
/** An acceptor's greeting (a challenge, or why it refused us) is tiny; a longer frame is not one. */
const MAX_GREETING_BYTES = 1024;
/** A peer that lets this much pile up in our socket buffer is too slow: drop instead of growing memory. */
const MAX_SOCKET_BACKLOG_BYTES = 32 * 1024 * 1024;
const RECONNECT_BACKOFF_MIN_MS = 50;
const RECONNECT_BACKOFF_MAX_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;

export interface TcpTransportStats {
  sent: number;
  received: number;
  droppedQueueFull: number;
  droppedBacklog: number;
  badFrames: number;
  connects: number;
  connectFailures: number;
  /** Inbound frames that failed to authenticate (the connection was closed). */
  authFailures: number;
  /** Our hellos that a peer refused (it could not authenticate them: different keys). */
  hellosRefused: number;
}

/**
 * Length-framed TCP between nodes: one outbound connection per peer (dialed lazily, redialed with backoff),
 * and inbound connections from peers. Every message passes the link filter on the way out (at the sender)
 * and on the way in (at the receiver). Delivery on one link stays in order even when the filter delays it.
 */
export class TcpTransport {
  private server: net.Server | null = null;
  private readonly peers = new Map<string, PeerAddress>();
  private readonly outbound = new Map<string, OutboundConnection>();
  private readonly inbound = new Set<net.Socket>();
  /** Per link and direction: when the last delayed message is due, so later ones never overtake it. */
  private readonly lastDueAt = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Partial-frame bytes held by all inbound connections now. */
  private pendingBytes = 0;
  readonly limits: PeerPortLimits;
  readonly stats: TcpTransportStats = { sent: 0, received: 0, droppedQueueFull: 0, droppedBacklog: 0, badFrames: 0, connects: 0, connectFailures: 0, authFailures: 0, hellosRefused: 0 };
  private readonly codec: PeerCodec;

  constructor(private readonly options: TcpTransportOptions) {
    this.limits = { ...DEFAULT_PEER_PORT_LIMITS, ...options.limits };
    this.codec = options.codec ?? plainCodec;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.acceptInbound(socket));
      server.maxConnections = this.limits.maxInboundConnections;
      server.on('drop', (data?: { remoteAddress?: string }) =>
        this.reject('too_many_connections', data?.remoteAddress ?? 'unknown', `over ${this.limits.maxInboundConnections} inbound connections`),
      );
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.options.onError?.('tcp server error', { error: err.message }));
        this.server = server;
        resolve();
      });
    });
  }

  setPeers(peers: PeerAddress[]): void {
    for (const peer of peers) {
      if (peer.id === this.options.selfId) continue;
      const old = this.peers.get(peer.id);
      this.peers.set(peer.id, peer);
      if (old && (old.host !== peer.host || old.peerPort !== peer.peerPort)) {
        this.outbound.get(peer.id)?.destroy();
        this.outbound.delete(peer.id);
      }
    }
  }

  /** Forgets a peer that left the cluster (ccm node remove): its connection is closed, messages to it are dropped. */
  removePeer(id: string): void {
    this.peers.delete(id);
    this.outbound.get(id)?.destroy();
    this.outbound.delete(id);
  }

  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  /**
   * Sends through the outbound link filter. Never throws; an unknown peer or a full queue drops the message.
   * `onNotSent` runs if the message certainly never left this node (unknown peer, or the connection to the
   * peer could not be made): the caller may safely try elsewhere. A message the filter drops counts as sent.
   */
  send(envelope: Envelope, onNotSent?: () => void): void {
    if (this.closed) return;
    const decision = this.options.filter.decide(envelope.to, 'out');
    if (!decision.deliver) return;
    if (decision.delayMs > 0) {
      this.later(`out/${envelope.to}`, decision.delayMs, () => this.write(envelope, decision.copies, onNotSent));
    } else {
      this.write(envelope, decision.copies, onNotSent);
    }
  }

  /** Pushes corked frames to the kernel now, rather than at the end of this tick (before a blocking disk sync). */
  flush(): void {
    for (const c of this.outbound.values()) c.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.outbound.values()) c.destroy();
    this.outbound.clear();
    for (const s of this.inbound) s.destroy();
    this.inbound.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private write(envelope: Envelope, copies: number, onNotSent?: () => void): void {
    const peer = this.peers.get(envelope.to);
    if (!peer) {
      onNotSent?.();
      return;
    }
    let conn = this.outbound.get(peer.id);
    if (!conn) {
      conn = new OutboundConnection(peer, this.options.selfId, this.codec, this.stats, this.options);
      this.outbound.set(peer.id, conn);
    }
    let payload: Buffer;
    try {
      payload = encodeEnvelope(envelope);
      if (payload.length > MAX_PAYLOAD_BYTES) throw new FrameTooLargeError(payload.length, MAX_PAYLOAD_BYTES);
    } catch (err) {
      // Too large a frame, or a body JSON cannot encode: this message cannot go, but nothing else must stop.
      this.options.onError?.('peer message not sent', { to: envelope.to, kind: envelope.kind, error: (err as Error).message });
      onNotSent?.();
      return;
    }
    for (let i = 0; i < copies; i++) conn.send(payload, i === 0 ? onNotSent : undefined);
  }

  private reject(reason: RejectionReason, source: string, detail?: string): void {
    if (reason !== 'too_many_connections' && reason !== 'hello_timeout') this.stats.badFrames++;
    this.options.onReject?.(reason, source, detail);
  }

  /**
   * An inbound connection: hello first (from a peer of this cluster, to us, within helloTimeoutMs, in a small
   * frame; sealed, when the cluster seals, with a key of our keyring), then envelopes from that peer only.
   * Anything else closes the connection or drops the frame, counted.
   */
  private acceptInbound(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.inbound.add(socket);
    const decoder = new FrameDecoder(this.limits.preHelloFrameBytes);
    const session: AcceptorSession = this.codec.acceptor();
    const greeting = session.greeting();
    if (greeting) socket.write(greeting);
    const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    let peerId: string | null = null;
    let isClosing = false;
    let held = 0;
    const refuse = (reason: RejectionReason, detail: string): void => {
      isClosing = true;
      this.reject(reason, peerId ?? address, detail);
      socket.destroy();
    };
    const helloTimer = setTimeout(() => refuse('hello_timeout', `no hello within ${this.limits.helloTimeoutMs} ms`), this.limits.helloTimeoutMs);
    const hold = (bytes: number): void => {
      this.pendingBytes += bytes - held;
      held = bytes;
    };
    const onHello = (id: string): void => {
      peerId = id;
      clearTimeout(helloTimer);
      decoder.maxFrameBytes = MAX_FRAME_BYTES;
    };
    socket.on('data', (chunk: Buffer) => {
      if (isClosing || socket.destroyed) return;
      decoder.append(chunk);
      for (;;) {
        let frame: Buffer | null;
        try {
          frame = decoder.next();
        } catch (err) {
          refuse('frame_too_large', err instanceof FrameTooLargeError ? err.message : String(err));
          return;
        }
        if (frame === null) break;
        const payloads = session.open(frame);
        if (payloads === null) {
          isClosing = true;
          clearTimeout(helloTimer);
          this.refuseUnauthenticated(socket, session, peerId, address);
          return;
        }
        for (const payload of payloads) if (!this.acceptPayload(payload, peerId, refuse, onHello)) return;
      }
      hold(decoder.pendingBytes);
      if (this.pendingBytes > this.limits.maxPendingBytes) refuse('buffer_full', `partial frames over ${this.limits.maxPendingBytes} bytes on the peer port`);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(helloTimer);
      hold(0);
      this.inbound.delete(socket);
    });
  }

  /** A frame failed to authenticate: count it, tell the dialer why if it never got in, and close. */
  private refuseUnauthenticated(socket: net.Socket, session: AcceptorSession, peerId: string | null, remote: string): void {
    this.stats.authFailures++;
    this.options.onReject?.('bad_seal', peerId ?? remote, peerId === null ? 'a hello failed authentication' : 'a frame failed authentication');
    if (peerId === null) {
      const refusal = session.refusal(`${this.options.selfId} could not authenticate your hello with any key of its keyring: your cluster key is not the cluster's (or ${this.options.selfId}'s is not)`);
      this.options.onAuthFailure?.({ channel: 'tcp', peer: null, remote, what: 'hello', reason: 'a hello failed authentication (a process without the cluster key, or a node with another key)' });
      if (refusal) socket.end(refusal);
      else socket.destroy();
      setTimeout(() => socket.destroy(), 200).unref();
      return;
    }
    this.options.onAuthFailure?.({ channel: 'tcp', peer: peerId, remote, what: 'frame', reason: 'a frame failed authentication; connection closed' });
    socket.destroy();
  }

  /** One envelope from an inbound connection; false when the connection was closed. */
  private acceptPayload(payload: Buffer, peerId: string | null, refuse: (reason: RejectionReason, detail: string) => void, onHello: (id: string) => void): boolean {
    const envelope = decodeEnvelope(payload);
    if (isEnvelopeProblem(envelope)) {
      if (peerId === null) {
        refuse(envelope.reason, envelope.detail);
        return false;
      }
      this.reject(envelope.reason, peerId, envelope.detail);
      return true;
    }
    if (peerId === null) {
      if (envelope.kind !== 'hello') {
        refuse('no_hello', `first frame is ${envelope.kind}, not hello`);
        return false;
      }
      const isKnown = this.peers.has(envelope.from) || (this.options.acceptsUnknownPeers === true && this.codec !== plainCodec);
      if (!isKnown || envelope.from === this.options.selfId || envelope.to !== this.options.selfId) {
        refuse('unknown_peer', `hello from ${JSON.stringify(envelope.from)} to ${JSON.stringify(envelope.to)}: not a peer of ${this.options.selfId}`);
        return false;
      }
      onHello(envelope.from);
      return true;
    }
    // The sender is the connection's peer, whatever the frame claims.
    if (envelope.from !== peerId || envelope.to !== this.options.selfId) {
      this.reject('spoofed_sender', peerId, `frame from ${JSON.stringify(envelope.from)} to ${JSON.stringify(envelope.to)} on ${peerId}'s connection`);
      return true;
    }
    if (envelope.kind === 'hello' || envelope.kind === 'swim') {
      this.reject('unknown_kind', peerId, `${envelope.kind} is not taken on an established TCP connection`);
      return true;
    }
    this.receive(envelope);
    return true;
  }

  private receive(envelope: Envelope): void {
    if (this.closed) return;
    const decision = this.options.filter.decide(envelope.from, 'in');
    if (!decision.deliver) return;
    const deliver = (): void => {
      for (let i = 0; i < decision.copies; i++) {
        this.stats.received++;
        this.options.onMessage(envelope);
      }
    };
    if (decision.delayMs > 0) this.later(`in/${envelope.from}`, decision.delayMs, deliver);
    else deliver();
  }

  /** Runs `fn` after `delayMs`, but never before the previous delayed message on the same link. */
  private later(link: string, delayMs: number, fn: () => void): void {
    const now = performance.now();
    const due = Math.max(now + delayMs, this.lastDueAt.get(link) ?? 0);
    this.lastDueAt.set(link, due);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, due - now);
    this.timers.add(timer);
  }
}

/** One dialed connection to a peer, with a bounded queue while (re)connecting and backoff between attempts. */
class OutboundConnection {
  private socket: net.Socket | null = null;
  /** Greeted (when sealing) and hello sent: messages go straight out. */
  private isConnected = false;
  private session: DialerSession | null = null;
  private queue: { payload: Buffer; onNotSent?: () => void }[] = [];
  private queuedBytes = 0;
  /** Payloads written in this event-loop turn, sent (sealed) together at its end. */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private isFlushScheduled = false;
  private readonly reconnectBackoff = new Backoff({ firstMs: RECONNECT_BACKOFF_MIN_MS, maxMs: RECONNECT_BACKOFF_MAX_MS });
  private retryTimer: NodeJS.Timeout | null = null;
  private isDestroyed = false;

  constructor(
    private readonly peer: PeerAddress,
    private readonly selfId: string,
    private readonly codec: PeerCodec,
    private readonly stats: TcpTransportStats,
    private readonly options: Pick<TcpTransportOptions, 'onError' | 'onPeerLost' | 'onAuthFailure'>,
  ) {}

  send(payload: Buffer, onNotSent?: () => void): void {
    if (this.isDestroyed) {
      onNotSent?.();
      return;
    }
    if (this.isConnected && this.socket) {
      if (this.socket.writableLength > MAX_SOCKET_BACKLOG_BYTES) {
        this.stats.droppedBacklog++;
        return;
      }
      // Held until the end of this tick so a burst of messages leaves in few segments (and one sealed record).
      // A record holds at most MAX_RECORD_PLAINTEXT_BYTES, or one larger payload alone.
      if (this.batchBytes > 0 && this.batchBytes + payload.length > MAX_RECORD_PLAINTEXT_BYTES) this.flush();
      this.batch.push(payload);
      this.batchBytes += payload.length;
      this.stats.sent++;
      if (this.batchBytes >= MAX_RECORD_PLAINTEXT_BYTES) this.flush();
      else if (!this.isFlushScheduled) {
        this.isFlushScheduled = true;
        process.nextTick(() => {
          this.isFlushScheduled = false;
          this.flush();
        });
      }
      return;
    }
    if (this.queue.length >= MAX_QUEUED_MESSAGES || (this.queue.length > 0 && this.queuedBytes + payload.length > MAX_QUEUED_BYTES)) {
      this.stats.droppedQueueFull++;
      onNotSent?.();
      return;
    }
    this.queue.push({ payload, onNotSent });
    this.queuedBytes += payload.length;
    if (!this.socket && !this.retryTimer) this.connect();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (this.socket && this.session && this.isConnected) this.socket.write(this.session.seal(batch));
  }

  destroy(): void {
    this.isDestroyed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.destroy();
    this.socket = null;
    this.failQueued();
  }

  /** Everything still queued never left: say so to whoever asked. */
  private failQueued(): void {
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const q of queued) q.onNotSent?.();
  }

  private connect(): void {
    const socket = net.connect({ host: this.peer.host, port: this.peer.peerPort });
    this.socket = socket;
    const session = this.codec.dialer();
    this.session = session;
    socket.setNoDelay(true);
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    const ready = (): void => {
      clearTimeout(connectTimer);
      this.stats.connects++;
      this.isConnected = true;
      this.reconnectBackoff.reset();
      const hello = encodeEnvelope({ kind: 'hello', from: this.selfId, to: this.peer.id, body: null });
      const queued = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      // The hello alone first: the acceptor takes only a small frame before it (preHelloFrameBytes).
      socket.write(session.seal([hello]));
      for (const q of queued) this.send(q.payload);
    };
    socket.once('connect', () => {
      if (!session.isWaitingForGreeting) ready();
    });
    // The only thing an acceptor ever sends is its greeting (a challenge), and why it refused our hello.
    const greetings = new FrameDecoder(MAX_GREETING_BYTES);
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = greetings.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const outcome = session.onGreeting(frame);
        if (outcome === 'ok') {
          ready();
          continue;
        }
        if ('refused' in outcome) {
          this.stats.hellosRefused++;
          this.options.onAuthFailure?.({ channel: 'tcp', peer: this.peer.id, what: 'refused', reason: outcome.refused });
        } else {
          this.options.onError?.('peer greeting malformed', { peer: this.peer.id, error: outcome.malformed });
        }
        socket.destroy();
        return;
      }
    });
    socket.on('error', (err) => {
      if (!this.isConnected) this.stats.connectFailures++;
      else this.options.onError?.('peer connection lost', { peer: this.peer.id, error: err.message });
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (this.isConnected && !this.isDestroyed) this.options.onPeerLost?.(this.peer.id);
      this.isConnected = false;
      this.batch = [];
      this.batchBytes = 0;
      if (this.socket === socket) {
        this.socket = null;
        this.session = null;
      }
      if (this.isDestroyed) return;
      // A failed dial: what was queued never left. Callers that care (rpc) hear it now; protocols that
      // retransmit (Raft, gossip) resend. Keep dialling with backoff while there is traffic.
      this.failQueued();
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.isDestroyed) return;
    const delay = this.reconnectBackoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.isDestroyed && !this.socket && this.queue.length > 0) this.connect();
    }, delay);
  }
}
