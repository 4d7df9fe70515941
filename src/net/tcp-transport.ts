import net from 'node:net';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import type { LinkFilter } from './link-filter.js';

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
}

/** Messages queued for a peer while its connection is being (re)established. */
const MAX_QUEUED_MESSAGES = 1024;
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
  readonly stats: TcpTransportStats = { sent: 0, received: 0, droppedQueueFull: 0, droppedBacklog: 0, badFrames: 0, connects: 0, connectFailures: 0 };

  constructor(private readonly options: TcpTransportOptions) {}

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.acceptInbound(socket));
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
      conn = new OutboundConnection(peer, this.options.selfId, this.stats, this.options.onError, this.options.onPeerLost);
      this.outbound.set(peer.id, conn);
    }
    const frame = encodeFrame(encodeEnvelope(envelope));
    for (let i = 0; i < copies; i++) conn.send(frame, i === 0 ? onNotSent : undefined);
  }

  private acceptInbound(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.inbound.add(socket);
    const decoder = new FrameDecoder();
    let peerId: string | null = null;
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        this.stats.badFrames++;
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const envelope = decodeEnvelope(frame);
        if (!envelope) {
          this.stats.badFrames++;
          continue;
        }
        if (peerId === null) {
          if (envelope.kind !== 'hello') {
            this.stats.badFrames++;
            socket.destroy();
            return;
          }
          peerId = envelope.from;
          continue;
        }
        // The sender is the connection's peer, whatever the frame claims.
        if (envelope.from !== peerId) {
          this.stats.badFrames++;
          continue;
        }
        this.receive(envelope);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.inbound.delete(socket));
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
  private isConnected = false;
  private queue: { frame: Buffer; onNotSent?: () => void }[] = [];
  private backoffMs = RECONNECT_BACKOFF_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private isDestroyed = false;
  private isCorked = false;

  constructor(
    private readonly peer: PeerAddress,
    private readonly selfId: string,
    private readonly stats: TcpTransportStats,
    private readonly onError?: (message: string, detail: Record<string, unknown>) => void,
    private readonly onLost?: (peer: string) => void,
  ) {}

  send(frame: Buffer, onNotSent?: () => void): void {
    if (this.isDestroyed) {
      onNotSent?.();
      return;
    }
    if (this.isConnected && this.socket) {
      if (this.socket.writableLength > MAX_SOCKET_BACKLOG_BYTES) {
        this.stats.droppedBacklog++;
        return;
      }
      // Cork until the end of this tick so a burst of messages leaves in few segments.
      if (!this.isCorked) {
        this.isCorked = true;
        this.socket.cork();
        const socket = this.socket;
        process.nextTick(() => {
          if (!this.isCorked || this.socket !== socket) return;
          this.isCorked = false;
          socket.uncork();
        });
      }
      this.socket.write(frame);
      this.stats.sent++;
      return;
    }
    if (this.queue.length >= MAX_QUEUED_MESSAGES) {
      this.stats.droppedQueueFull++;
      onNotSent?.();
      return;
    }
    this.queue.push({ frame, onNotSent });
    if (!this.socket && !this.retryTimer) this.connect();
  }

  flush(): void {
    if (this.isCorked && this.socket) {
      this.isCorked = false;
      this.socket.uncork();
    }
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
    for (const q of queued) q.onNotSent?.();
  }

  private connect(): void {
    const socket = net.connect({ host: this.peer.host, port: this.peer.peerPort });
    this.socket = socket;
    socket.setNoDelay(true);
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      this.stats.connects++;
      this.isConnected = true;
      this.backoffMs = RECONNECT_BACKOFF_MIN_MS;
      socket.cork();
      socket.write(encodeFrame(encodeEnvelope({ kind: 'hello', from: this.selfId, to: this.peer.id, body: null })));
      for (const q of this.queue) {
        socket.write(q.frame);
        this.stats.sent++;
      }
      this.queue = [];
      socket.uncork();
    });
    // We never expect data back on an outbound connection; replies come on the peer's own connection.
    socket.on('data', () => undefined);
    socket.on('error', (err) => {
      if (!this.isConnected) this.stats.connectFailures++;
      else this.onError?.('peer connection lost', { peer: this.peer.id, error: err.message });
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (this.isConnected && !this.isDestroyed) this.onLost?.(this.peer.id);
      this.isConnected = false;
      if (this.socket === socket) this.socket = null;
      if (this.isDestroyed) return;
      // A failed dial: what was queued never left. Callers that care (rpc) hear it now; protocols that
      // retransmit (Raft, gossip) resend. Keep dialling with backoff while there is traffic.
      this.failQueued();
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.isDestroyed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.isDestroyed && !this.socket && this.queue.length > 0) this.connect();
    }, delay);
  }
}
