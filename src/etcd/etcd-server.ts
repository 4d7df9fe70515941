/**
 * etcd's v3 API on one ccm node. The node listens on its etcd port from the start (a taken port fails the start),
 * but loads gRPC, etcd's protos and the services (etcd-grpc.ts, about 0.15 s of CPU) only when the first client
 * connects: most nodes of a big local cluster never serve an etcd client, and `ccm up --nodes 50` pays per start.
 */
import net from 'node:net';
import type { EtcdAuth } from './cluster-service.js';
import type { EtcdBackend } from './etcd-backend.js';
import { etcdId, type EtcdContext, type ResponseHeader } from './etcd-context.js';
import type { EtcdGrpc, EtcdServerCounters } from './etcd-grpc.js';
import type { WatchLimits } from './watch-service.js';

export type { EtcdServerCounters } from './etcd-grpc.js';

export interface EtcdServerOptions {
  backend: EtcdBackend;
  host: string;
  port: number;
  auth: EtcdAuth;
  watch?: Partial<WatchLimits>;
  /** Watches the whole node may hold. */
  maxWatches?: number;
  /** Connections open at once (each a client; gRPC multiplexes its calls on one). */
  maxConnections?: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = { perStream: 1000, progressMs: 5000, maxUnsentBytes: 16 * 1024 * 1024 };
export const DEFAULT_MAX_WATCHES = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;

export class EtcdServer {
  readonly counters: EtcdServerCounters = { requests: 0, refused: {}, watchStreams: 0, watches: 0, keepAliveStreams: 0 };
  /** Called on each refusal (the node logs the first of each reason per interval). */
  onRefused: ((reason: string) => void) | null = null;
  private readonly ctx: EtcdContext;
  private readonly clusterId: string;
  private readonly memberIds = new Map<string, string>();
  private listener: net.Server | null = null;
  private grpc: Promise<EtcdGrpc> | null = null;
  private lastRevision = 0;
  private isStopped = false;

  constructor(private readonly options: EtcdServerOptions) {
    this.clusterId = etcdId(options.backend.clusterName);
    this.ctx = {
      backend: options.backend,
      header: (revision) => this.header(revision),
      refuse: (reason) => {
        this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
        this.onRefused?.(reason);
      },
      memberId: (nodeId) => this.memberId(nodeId),
    };
  }

  /** Listens on the etcd port; rejects (listening on nothing) if it is taken. */
  async start(): Promise<void> {
    const listener = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    listener.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.options.port, this.options.host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    listener.on('error', (err) => this.options.backend.log('warn', `etcd API listener: ${err.message}`));
    this.listener = listener;
  }

  /** The port it listens on (the one asked for, or the one the system chose for port 0). */
  port(): number {
    const address = this.listener?.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    const listener = this.listener;
    this.listener = null;
    const closed = listener ? new Promise<void>((resolve) => listener.close(() => resolve())) : Promise.resolve();
    const grpc = await this.grpc?.catch(() => null);
    await grpc?.stop();
    // Connections the gRPC server took are its to close; do not wait long for the listener's count to reach zero.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    this.grpc ??= this.loadGrpc();
    this.grpc.then(
      (grpc) => {
        if (this.isStopped) {
          socket.destroy();
          return;
        }
        try {
          grpc.inject(socket);
          socket.resume();
        } catch (err) {
          this.options.backend.log('warn', `etcd API could not take a connection: ${(err as Error).message}`);
          socket.destroy();
        }
      },
      (err: Error) => {
        this.options.backend.log('warn', `etcd API could not start: ${err.message}`);
        socket.destroy();
      },
    );
  }

  private async loadGrpc(): Promise<EtcdGrpc> {
    const { EtcdGrpc } = await import('./etcd-grpc.js');
    return new EtcdGrpc({
      ctx: this.ctx,
      auth: this.options.auth,
      counters: this.counters,
      watchLimits: { ...DEFAULT_WATCH_LIMITS, ...this.options.watch },
      maxWatches: this.options.maxWatches ?? DEFAULT_MAX_WATCHES,
    });
  }

  private memberId(nodeId: string): string {
    let id = this.memberIds.get(nodeId);
    if (!id) this.memberIds.set(nodeId, (id = etcdId(`${this.options.backend.clusterName}/${nodeId}`)));
    return id;
  }

  /** This member's header at `revision` (0: the newest revision it knows), with its Raft term. */
  private header(revision = 0): ResponseHeader {
    const here = this.options.backend.position();
    this.lastRevision = Math.max(this.lastRevision, revision, here.revision);
    return { cluster_id: this.clusterId, member_id: this.memberId(this.options.backend.nodeId), revision: revision || this.lastRevision, raft_term: here.term };
  }
}
