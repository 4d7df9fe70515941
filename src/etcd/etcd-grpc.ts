/**
 * The gRPC side of etcd's API on a node (loaded when the first client connects; see etcd-server.ts): KV, Watch,
 * Lease, Cluster (MemberList), Maintenance (Status, Alarm, MoveLeader) and Auth (Authenticate, AuthStatus). Every
 * handler checks its caller (when auth is on), checks the request's shape, and answers every failure as a gRPC
 * status with etcd's message: nothing a client sends can throw into the event loop. Refusals are counted by reason.
 */
import type { Duplex } from 'node:stream';
import { Server, ServerCredentials, type Metadata, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { Static, TSchema } from '@sinclair/typebox';
import { authenticate, authStatus, alarm, memberList, moveLeader, status, type EtcdAuth } from './cluster-service.js';
import type { EtcdContext } from './etcd-context.js';
import { ETCD_ERRORS, EtcdError, GrpcStatus, toEtcdError } from './etcd-errors.js';
import { etcdServiceDefinition } from './etcd-proto.js';
import {
  AlarmRequest,
  AuthenticateRequest,
  checkShape,
  CompactionRequest,
  DeleteRangeRequest,
  EmptyRequest,
  LeaseGrantRequest,
  LeaseIdRequest,
  LeaseTimeToLiveRequest,
  MAX_REQUEST_BYTES,
  MemberListRequest,
  MoveLeaderRequest,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from './etcd-requests.js';
import { compact, deleteRange, put, range, txn } from './kv-service.js';
import { KeepAliveStream, leaseGrant, leaseLeases, leaseRevoke, leaseTimeToLive } from './lease-service.js';
import { WatchStream, type WatchLimits } from './watch-service.js';

/** A request with no deadline of its own gets this long (etcdctl's --command-timeout is 5 s). */
const DEFAULT_DEADLINE_MS = 10_000;
const MAX_DEADLINE_MS = 60_000;

export interface EtcdServerCounters {
  requests: number;
  /** Requests refused (bad shape, failed auth, limits), by reason. */
  refused: Record<string, number>;
  watchStreams: number;
  watches: number;
  keepAliveStreams: number;
}

type Handler<S extends TSchema> = (req: Static<S>, deadlineMs: number) => Promise<unknown> | unknown;

export interface EtcdGrpcOptions {
  ctx: EtcdContext;
  auth: EtcdAuth;
  counters: EtcdServerCounters;
  watchLimits: WatchLimits;
  maxWatches: number;
}

/** etcd's services on a gRPC server that takes its connections from the node's listener. */
export class EtcdGrpc {
  private readonly server: Server;
  private readonly injector: { injectConnection(connection: Duplex): void };
  private readonly streams = new Set<{ close(): void }>();
  private readonly ctx: EtcdContext;
  private readonly counters: EtcdServerCounters;

  constructor(private readonly options: EtcdGrpcOptions) {
    this.ctx = options.ctx;
    this.counters = options.counters;
    const server = new Server({
      // etcd's request limit plus gRPC's framing (etcd adds 512 KiB the same way)
      'grpc.max_receive_message_length': MAX_REQUEST_BYTES + 512 * 1024,
      'grpc.max_send_message_length': -1,
      // channelz bookkeeping costs every call CPU (about 1.5 % of a node's under load), and nothing here reads it
      'grpc.enable_channelz': 0,
    });
    const ctx = this.ctx;
    server.addService(etcdServiceDefinition('KV'), {
      Range: this.unary('RangeRequest', RangeRequest, (r, d) => range(ctx, r, d)),
      Put: this.unary('PutRequest', PutRequest, (r, d) => put(ctx, r, d)),
      DeleteRange: this.unary('DeleteRangeRequest', DeleteRangeRequest, (r, d) => deleteRange(ctx, r, d)),
      Txn: this.unary('TxnRequest', TxnRequest, (r, d) => txn(ctx, r, d)),
      Compact: this.unary('CompactionRequest', CompactionRequest, (r, d) => compact(ctx, r, d)),
    });
    server.addService(etcdServiceDefinition('Watch'), { Watch: (call: ServerDuplexStream<unknown, unknown>) => this.watchStream(call) });
    server.addService(etcdServiceDefinition('Lease'), {
      LeaseGrant: this.unary('LeaseGrantRequest', LeaseGrantRequest, (r, d) => leaseGrant(ctx, r, d)),
      LeaseRevoke: this.unary('LeaseRevokeRequest', LeaseIdRequest, (r, d) => leaseRevoke(ctx, r, d)),
      LeaseKeepAlive: (call: ServerDuplexStream<unknown, unknown>) => this.keepAliveStream(call),
      LeaseTimeToLive: this.unary('LeaseTimeToLiveRequest', LeaseTimeToLiveRequest, (r, d) => leaseTimeToLive(ctx, r, d)),
      LeaseLeases: this.unary('LeaseLeasesRequest', EmptyRequest, (_r, d) => leaseLeases(ctx, d)),
    });
    server.addService(etcdServiceDefinition('Cluster'), {
      MemberList: this.unary('MemberListRequest', MemberListRequest, () => memberList(ctx)),
      MemberAdd: this.notSupported('members join the core with `ccm core add <node>`'),
      MemberRemove: this.notSupported('members leave the core with `ccm core remove <node>`'),
      MemberUpdate: this.notSupported("a node's addresses are set when the cluster is made (ccm up)"),
      MemberPromote: this.notSupported('a learner becomes a voter with `ccm core promote <node>`'),
    });
    server.addService(etcdServiceDefinition('Maintenance'), {
      Status: this.unary('StatusRequest', EmptyRequest, () => status(ctx)),
      Alarm: this.unary('AlarmRequest', AlarmRequest, (r) => alarm(ctx, r)),
      // etcd keeps it for root; ccm's HTTP API for the admin token.
      MoveLeader: this.unary('MoveLeaderRequest', MoveLeaderRequest, (r, d) => moveLeader(ctx, r, d), { isAdmin: true }),
    });
    server.addService(etcdServiceDefinition('Auth'), {
      Authenticate: this.unary('AuthenticateRequest', AuthenticateRequest, (r) => authenticate(ctx, options.auth, r), { isOpen: true }),
      AuthStatus: this.unary('AuthStatusRequest', EmptyRequest, () => authStatus(ctx, options.auth), { isOpen: true }),
    });
    this.injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    this.server = server;
  }

  /** Serves a connection the node's listener accepted. */
  inject(socket: Duplex): void {
    this.injector.injectConnection(socket);
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.close();
    this.streams.clear();
    const server = this.server;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /**
   * Who calls: with auth on, the `token` metadata (etcd's, from Authenticate) or `authorization: Bearer` (ccm's).
   * `isAdmin`: the call is one etcd keeps for root, and the token must be an admin's.
   */
  private authorize(metadata: Metadata, isAdmin = false): void {
    const check = this.options.auth.check;
    if (!check) return;
    const bearer = String(metadata.get('authorization')[0] ?? '').match(/^Bearer\s+(.+)$/i)?.[1];
    const token = String(metadata.get('token')[0] ?? '') || bearer || '';
    if (token === '') {
      this.ctx.refuse('no token');
      throw ETCD_ERRORS.userEmpty;
    }
    if (!check(token)) {
      this.ctx.refuse('invalid token');
      throw ETCD_ERRORS.invalidAuthToken;
    }
    if (isAdmin && !this.options.auth.isAdmin?.(token)) {
      this.ctx.refuse('not admin');
      throw ETCD_ERRORS.permissionDenied;
    }
  }

  private deadlineOf(call: { getDeadline(): Date | number }): number {
    const asked = call.getDeadline();
    const at = asked instanceof Date ? asked.getTime() : asked;
    const now = Date.now();
    return Number.isFinite(at) ? Math.min(at, now + MAX_DEADLINE_MS) : now + DEFAULT_DEADLINE_MS;
  }

  private unary<S extends TSchema>(what: string, schema: S, handler: Handler<S>, options: { isOpen?: boolean; isAdmin?: boolean } = {}) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      this.counters.requests++;
      void (async () => {
        try {
          if (!options.isOpen) this.authorize(call.metadata, options.isAdmin);
          const req = checkShape(schema, call.request, what, this.ctx.refuse);
          callback(null, await handler(req, this.deadlineOf(call)));
        } catch (err) {
          const e = toEtcdError(err);
          if (e.code === GrpcStatus.INTERNAL) this.ctx.backend.log('warn', `etcd API: ${what} failed: ${e.message}`);
          callback({ code: e.code, details: e.message });
        }
      })();
    };
  }

  private notSupported(why: string) {
    return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      this.counters.requests++;
      callback({ code: GrpcStatus.UNIMPLEMENTED, details: `ccm: not supported: ${why}` });
    };
  }

  private openStream(call: ServerDuplexStream<unknown, unknown>): boolean {
    this.counters.requests++;
    try {
      this.authorize(call.metadata);
      return true;
    } catch (err) {
      const e = err instanceof EtcdError ? err : toEtcdError(err);
      call.emit('error', { code: e.code, details: e.message });
      return false;
    }
  }

  /** Wires a stream's requests into `receive` (never throwing into the event loop) and its end into `close`. */
  private follow(call: ServerDuplexStream<unknown, unknown>, stream: { receive(raw: unknown): void; close(): void }, what: string): void {
    this.streams.add(stream);
    const close = (): void => {
      stream.close();
      this.streams.delete(stream);
    };
    call.on('data', (raw: unknown) => {
      try {
        stream.receive(raw);
      } catch (err) {
        this.ctx.backend.log('warn', `etcd API: ${what} request failed: ${(err as Error).message}`);
        close();
        call.emit('error', { code: GrpcStatus.INTERNAL, details: `ccm: ${(err as Error).message}` });
      }
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
  }

  private watchStream(call: ServerDuplexStream<unknown, unknown>): void {
    if (!this.openStream(call)) return;
    this.counters.watchStreams++;
    const budget = {
      take: (): boolean => (this.counters.watches < this.options.maxWatches ? (this.counters.watches++, true) : false),
      give: (): void => void (this.counters.watches = Math.max(0, this.counters.watches - 1)),
    };
    this.follow(call, new WatchStream(this.ctx, call, this.options.watchLimits, budget), 'watch');
  }

  private keepAliveStream(call: ServerDuplexStream<unknown, unknown>): void {
    if (!this.openStream(call)) return;
    this.counters.keepAliveStreams++;
    this.follow(call, new KeepAliveStream(this.ctx, call, () => this.deadlineOf(call)), 'keep-alive');
  }
}
