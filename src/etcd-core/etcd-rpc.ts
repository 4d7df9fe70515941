/**
 * etcd's v3 gRPC services over grpc-js and the protos vendored for ccm's own etcd server (etcd/etcd-proto.ts): one
 * channel per endpoint, each call with a deadline, errors as CcmErrors. A read goes to the next endpoint when one does
 * not answer (within its deadline); a write is sent once — a write whose answer is lost (a dropped connection, a
 * member that does not answer) fails with `timeout`, its outcome unknown, as on ccm's own core — unless it certainly
 * never left (no connection): that one goes to the next endpoint. The endpoint that failed is not asked first again.
 * An https endpoint is reached over TLS (the CA given, and a client certificate when etcd asks for one).
 */
import { credentials, Metadata, type ChannelCredentials, status as grpcStatus, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { CcmError, type ErrorCode } from '../errors/ccm-error.js';
import { etcdServices, type EtcdServiceName } from '../etcd/etcd-proto.js';
import type { Scheduler } from '../time/scheduler.js';

/** How long one endpoint is given to connect before a call tries the next one. */
const CONNECT_ATTEMPT_MS = 1500;
/** A read's attempt on one endpoint: a paused member holds a call until its deadline, so a read moves on after this. */
const READ_ATTEMPT_MS = 2000;

const CHANNEL_OPTIONS = {
  // Reconnect soon after a member comes back (grpc-js backs off up to 2 minutes by default).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  // A dead peer (a killed host, a paused member) is noticed on an idle stream too.
  'grpc.keepalive_time_ms': 5000,
  'grpc.keepalive_timeout_ms': 2000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** TLS for https endpoints: PEM contents (the CA that signed the members' certificates; a client key pair, optional). */
export interface EtcdTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** host:port of an endpoint given as a URL (http://host:port) or as host:port. */
export function endpointTarget(endpoint: string): string {
  const m = /^(?:https?:\/\/)?([^/]+?)\/?$/.exec(endpoint.trim());
  if (!m || !/:\d+$/.test(m[1])) throw new CcmError('invalid_argument', `etcd endpoint ${JSON.stringify(endpoint)} must be host:port or http://host:port`);
  return m[1];
}

type Clients = Record<EtcdServiceName, Client>;

type UnaryMethod = (req: unknown, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: unknown) => void) => void;

/** etcd's answer to a failed call, as a CcmError with etcd's own message. */
export function ccmErrorOf(err: unknown, endpoint: string): CcmError {
  if (err instanceof CcmError) return err;
  const e = err as Partial<ServiceError>;
  const message = (e.details || e.message || String(err)).replace(/^\d+ [A-Z_]+: /, '');
  const code = codeOf(e.code, message);
  return new CcmError(code, `etcd ${endpoint}: ${message}`, { grpcCode: e.code, etcd: message });
}

function codeOf(code: number | undefined, message: string): ErrorCode {
  // etcd sends a failed authentication as INVALID_ARGUMENT: the message says what it is.
  if (/authentication failed|invalid auth token|user name is empty|user name not found/.test(message)) return 'unauthenticated';
  if (/permission denied/.test(message)) return 'permission_denied';
  switch (code) {
    case grpcStatus.DEADLINE_EXCEEDED:
      return 'timeout';
    case grpcStatus.UNAVAILABLE:
    case grpcStatus.CANCELLED:
      // "request timed out": the proposal may yet commit (ccm's timeout: the outcome is unknown).
      return /no leader/.test(message) ? 'no_leader' : /timed out/.test(message) ? 'timeout' : 'unavailable';
    case grpcStatus.NOT_FOUND:
      return 'not_found';
    case grpcStatus.OUT_OF_RANGE:
      return /compacted/.test(message) ? 'compacted' : 'invalid_argument';
    case grpcStatus.INVALID_ARGUMENT:
      return 'invalid_argument';
    case grpcStatus.FAILED_PRECONDITION:
      return /lease already exists/.test(message) ? 'already_exists' : 'failed_precondition';
    case grpcStatus.ALREADY_EXISTS:
      return 'already_exists';
    case grpcStatus.PERMISSION_DENIED:
      return 'permission_denied';
    case grpcStatus.UNAUTHENTICATED:
      return 'unauthenticated';
    case grpcStatus.RESOURCE_EXHAUSTED:
      return 'resource_exhausted';
    default:
      return 'internal';
  }
}

/** Whether a failed call may be sent to another endpoint: the member did not answer (a read is safe to repeat). */
function isUnreachable(err: CcmError): boolean {
  return err.code === 'unavailable' || err.code === 'timeout' || err.code === 'no_leader';
}

/**
 * Whether a failed call certainly never reached etcd: grpc-js had no connection to send it on, or the server refused
 * the stream before reading it (REFUSED_STREAM). A write that failed so may go to another endpoint; any other failure
 * of a write (a connection dropped under it, no answer before its deadline) leaves its outcome unknown.
 */
export function isNeverSent(err: unknown): boolean {
  const e = err as Partial<ServiceError>;
  return e.code === grpcStatus.UNAVAILABLE && /^(?:\d+ UNAVAILABLE: )?(?:No connection established|Stream refused by server)/.test(e.details || e.message || '');
}

/** A write whose answer was lost, as ccm's own core says it: `timeout`, the write may or may not have happened. */
function outcomeUnknown(e: CcmError, method: string): CcmError {
  if (e.code !== 'unavailable' && e.code !== 'timeout') return e;
  return new CcmError('timeout', `${e.message} (${method} was sent; it may or may not have happened)`, { ...(e.details ?? {}), outcomeUnknown: true });
}

export class EtcdRpc {
  readonly targets: string[];
  private readonly clients: Clients[];
  /** The endpoint asked first; moved on when it fails. */
  private current = 0;
  private readonly metadata = new Metadata();
  private authenticating: Promise<void> | null = null;
  private isClosed = false;

  constructor(
    endpoints: string[],
    private readonly scheduler: Scheduler,
    private readonly auth?: { username: string; password: string },
    private readonly tls?: EtcdTls,
  ) {
    if (endpoints.length === 0) throw new CcmError('invalid_argument', 'no etcd endpoints given');
    this.targets = endpoints.map(endpointTarget);
    this.clients = endpoints.map((e, i) => clientsFor(this.targets[i], channelCredentials(e, tls)));
  }

  get currentTarget(): string {
    return this.targets[this.current];
  }

  /** Authenticates (when a user is configured) against the first endpoint that answers. */
  async connect(deadline: number): Promise<void> {
    await this.firstReady(deadline);
    if (this.auth) await this.authenticate(deadline);
  }

  /**
   * One unary call. `idempotent` (reads, keep-alives, revokes): sent again to the next endpoint when one does not
   * answer, until the deadline. Otherwise sent once, to an endpoint that is connected.
   */
  async call<T>(service: EtcdServiceName, method: string, request: unknown, deadline: number, idempotent: boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.checkOpen();
      const remaining = deadline - this.scheduler.now();
      if (remaining <= 0) throw new CcmError('timeout', `etcd ${this.targets.join(', ')}: no answer to ${method} before the deadline`);
      const at = await this.firstReady(deadline);
      const attemptMs = idempotent && this.targets.length > 1 ? Math.min(deadline - this.scheduler.now(), READ_ATTEMPT_MS) : deadline - this.scheduler.now();
      try {
        return await this.unary<T>(at, service, method, request, attemptMs);
      } catch (err) {
        const e = ccmErrorOf(err, this.targets[at]);
        if (e.code === 'unauthenticated' && this.auth && attempt === 0) {
          await this.authenticate(deadline);
          continue;
        }
        if (!isUnreachable(e)) throw e;
        // Not asked first again: the next call (or this read's next attempt) starts at another member.
        if (this.current === at) this.current = (at + 1) % this.targets.length;
        if (!idempotent && !isNeverSent(err)) throw outcomeUnknown(e, method);
        if (attempt >= this.targets.length * 3) throw idempotent ? e : outcomeUnknown(e, method);
      }
    }
  }

  /** A call to one named endpoint (URL or host:port; Maintenance Status of a member): no failover. */
  unaryAt<T>(endpoint: string, service: EtcdServiceName, method: string, request: unknown, timeoutMs: number): Promise<T> {
    const target = endpointTarget(endpoint);
    const i = this.targets.indexOf(target);
    const clients = i >= 0 ? this.clients[i] : clientsFor(target, channelCredentials(endpoint, this.tls));
    const call = new Promise<T>((resolve, reject) => {
      const fn = (clients[service] as unknown as Record<string, UnaryMethod>)[method];
      fn.call(clients[service], request, this.metadata, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(ccmErrorOf(err, target)) : resolve(res as T)));
    });
    if (i < 0) return call.finally(() => clients.KV.close());
    return call;
  }

  /** A bidirectional stream (Watch, LeaseKeepAlive) on the endpoint asked first; `deadline` absent: none. */
  stream(service: 'Watch' | 'Lease', method: string, deadline?: number): { stream: ClientDuplexStream<unknown, unknown>; target: string } {
    this.checkOpen();
    const at = this.current;
    const client = this.clients[at][service] as unknown as Record<string, (md: Metadata, opts: { deadline?: number }) => ClientDuplexStream<unknown, unknown>>;
    const opts = deadline === undefined ? {} : { deadline: Date.now() + Math.max(0, deadline - this.scheduler.now()) };
    return { stream: client[method].call(this.clients[at][service], this.metadata, opts), target: this.targets[at] };
  }

  /** The next endpoint is asked first from now on (a stream broke on this one). */
  moveOn(target: string): void {
    if (this.targets[this.current] === target) this.current = (this.current + 1) % this.targets.length;
  }

  close(): void {
    this.isClosed = true;
    // The services share one channel per endpoint: closing the KV client closes it.
    for (const c of this.clients) for (const client of Object.values(c)) client.close();
  }

  private checkOpen(): void {
    if (this.isClosed) throw new CcmError('unavailable', 'the etcd client is closed');
  }

  private unary<T>(at: number, service: EtcdServiceName, method: string, request: unknown, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const client = this.clients[at][service];
      const fn = (client as unknown as Record<string, UnaryMethod>)[method];
      fn.call(client, request, this.metadata, { deadline: Date.now() + Math.max(1, timeoutMs) }, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** The first endpoint, from the current one on, whose channel connects within a bounded time. */
  private async firstReady(deadline: number): Promise<number> {
    const n = this.targets.length;
    for (let round = 0; ; round++) {
      for (let k = 0; k < n; k++) {
        const at = (this.current + k) % n;
        const remaining = deadline - this.scheduler.now();
        if (remaining <= 0) break;
        const ok = await new Promise<boolean>((resolve) => {
          this.clients[at].KV.waitForReady(Date.now() + Math.min(remaining, CONNECT_ATTEMPT_MS), (err) => resolve(!err));
        });
        if (ok) {
          this.current = at;
          return at;
        }
      }
      if (deadline - this.scheduler.now() <= 0 || round > 100) {
        throw new CcmError('unavailable', `etcd unreachable: none of ${this.targets.join(', ')} answered in time`, { endpoints: this.targets });
      }
    }
  }

  private authenticate(deadline: number): Promise<void> {
    if (!this.auth) return Promise.resolve();
    this.authenticating ??= (async () => {
      try {
        this.metadata.remove('token');
        const r = await this.unary<{ token: string }>(this.current, 'Auth', 'Authenticate', { name: this.auth!.username, password: this.auth!.password }, deadline - this.scheduler.now());
        this.metadata.set('token', r.token);
      } catch (err) {
        throw ccmErrorOf(err, this.currentTarget);
      } finally {
        this.authenticating = null;
      }
    })();
    return this.authenticating;
  }
}

/** Plain for http endpoints; TLS for https ones, which need the CA (a clear error before any connection otherwise). */
function channelCredentials(endpoint: string, tls: EtcdTls | undefined): ChannelCredentials {
  if (!/^https:\/\//i.test(endpoint.trim())) return credentials.createInsecure();
  if (!tls) throw new CcmError('invalid_argument', `etcd endpoint ${endpoint} is https: give the CA that signed its certificate (--etcd-cacert)`);
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
}

/** A client per etcd service, all on one channel. */
function clientsFor(target: string, creds: ChannelCredentials): Clients {
  const services = etcdServices();
  const kv = new services.KV(target, creds, CHANNEL_OPTIONS);
  const channelOverride = kv.getChannel();
  const make = (name: EtcdServiceName): Client => (name === 'KV' ? kv : new services[name](target, creds, { ...CHANNEL_OPTIONS, channelOverride }));
  return { KV: kv, Watch: make('Watch'), Lease: make('Lease'), Cluster: make('Cluster'), Maintenance: make('Maintenance'), Auth: make('Auth') };
}
