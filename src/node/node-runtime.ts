import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { NodeStatus } from '../api/api-types.js';
import { HttpServer } from '../net/http-server.js';
import { InputRejections, type InputPort, type RejectFn } from '../net/input-rejections.js';
import { LinkFilter, type LinkFilterConfig } from '../net/link-filter.js';
import type { Envelope, EnvelopeKind } from '../net/envelope.js';
import { PeerRpc } from '../net/peer-rpc.js';
import type { Message as RaftMessage } from '../raft/index.js';
import type { Static } from '@sinclair/typebox';
import { compileSchema } from '../schema/compiled-schema.js';
import { TcpTransport } from '../net/tcp-transport.js';
import { UdpTransport } from '../net/udp-transport.js';
import type { Keyring } from '../net/keyring.js';
import { plainCodec, sealedCodec } from '../net/sealed-frame.js';
import { PeerAuthMonitor } from './peer-auth.js';
import { loadNodeKeyring } from '../cluster/keyring-file.js';
import { createApiGuard } from './http/http-guard.js';
import { nodeCertPaths, readTokens } from '../cluster/cluster-secrets.js';
import { SeededRandom } from '../random/random.js';
import { nodeDbPath } from '../cluster/cluster-dir.js';
import { openDatabase, type SqliteDatabase } from '../storage/database.js';
import { recordStart, type NodeIdentity } from '../storage/node-identity.js';
import { SystemClock } from '../time/clock.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { registerClientRoutes } from './http/client-routes.js';
import { EventLog } from './event-log.js';
import { MemoryGovernor } from './memory-governor.js';
import type { NodeConfig } from './node-config.js';
import { raftBodyProblem, ReachPingSchema } from './peer-schemas.js';
import { snapshotBodyProblem, type SnapshotWire } from './raft/snapshot-transfer.js';
import type { PeerAddress } from '../net/tcp-transport.js';
import fs from 'node:fs';
import path from 'node:path';
import { selfRotatingStdout } from '../cluster/log-rotation.js';

const REACH_NONCES_KEPT = 8;
const reachPingCheck = compileSchema(ReachPingSchema);

/** Envelope kinds a subsystem takes (onEnvelope), with the schema of each one's body. */
export interface EnvelopeBodies {
  raft: RaftMessage;
  swim: unknown;
  snapshot: SnapshotWire;
}
/** Why a body may not reach its handler (undefined: it may); swim packets are checked by the SWIM core itself. */
const BODY_PROBLEMS: { [K in keyof EnvelopeBodies]: (body: unknown) => string | undefined } = {
  raft: raftBodyProblem,
  swim: () => undefined,
  snapshot: snapshotBodyProblem,
};

/**
 * A part of the node (consistent core, gossip, health monitor, ...): it registers its routes, envelope
 * handlers and rpc methods when made, and adds its own fields to /v1/status.
 */
export interface NodeSubsystem {
  /** Before the node listens (open state, recover). */
  start?(): Promise<void> | void;
  /** Once the node listens (start timers, join). */
  afterListen?(): void;
  stop?(): Promise<void>;
  /** Fields merged into /v1/status (e.g. `raft`, `gossip`). */
  status?(): Partial<NodeStatus>;
}

/**
 * One node process: wires the transports, the database and the HTTP API together. It holds no protocol
 * logic of its own; each subsystem gets what it needs from here.
 */
export class NodeRuntime {
  readonly clock = new SystemClock();
  readonly random = new SeededRandom(randomBytes(4).readUInt32LE(0));
  readonly log: EventLog;
  readonly filter: LinkFilter;
  readonly tcp: TcpTransport;
  readonly udp: UdpTransport;
  readonly rpc: PeerRpc;
  readonly http: HttpServer;
  /** Every input refused, by port and reason (ccm_rejected_inputs_total), logged once per source per interval. */
  readonly rejections: InputRejections;
  /**
   * TEST-ONLY SWITCH, read from CCM_UNSAFE_SKIP_VALIDATION=1 in the node's environment: peer messages, RPC params,
   * request bodies and commands are believed unchecked, so the fuzz suite can show that it finds what the checks
   * stop (test/fuzz). Never set in normal use; the node says so loudly at start.
   */
  readonly unsafeSkipValidation = process.env.CCM_UNSAFE_SKIP_VALIDATION === '1';
  /** Keeps resident memory near its target while large values churn through the heap. */
  readonly memory = new MemoryGovernor();
  /** The peer keys every frame and datagram is sealed with (null only when the cluster runs without, for the bench). */
  readonly keyring: Keyring | null;
  readonly peerAuth: PeerAuthMonitor;
  db!: SqliteDatabase;
  identity!: NodeIdentity;
  private readonly startedAtMono = performance.now();
  /** Per peer, the last few reach-ping nonces heard (several `ccm status` may probe at once). */
  private readonly reachHeard = new Map<string, string[]>();
  /** Coarse (1 s): a fine resolution wakes an idle node 50 times a second. The health monitor reads finer lag from gossip's timer. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 1000 });
  private isStopping = false;
  /** How a subsystem ends the process when it cannot go on (an agent that cannot join); main.ts sets it. */
  requestExit: (code: number, why: string) => void = (code, why) => {
    this.log.error(why);
    void this.stop(why).finally(() => process.exit(code));
  };
  private readonly envelopeHandlers = new Map<string, (e: Envelope<any>) => void>();
  private readonly peerListeners = new Set<(change: { added: PeerAddress[]; removed: string[] }) => void>();
  private readonly subsystems: NodeSubsystem[] = [];

  constructor(readonly config: NodeConfig) {
    this.log = new EventLog(config.id, () => this.clock.nowMs(), selfRotatingStdout(path.join(config.dataDir, 'node.log'), config.settings.logMaxBytes));
    this.rejections = new InputRejections((message, fields) => this.log.warn(message, fields), () => this.clock.monotonicMs());
    const rejectOn =
      (port: InputPort): RejectFn =>
      (reason, source, detail, error) =>
        this.rejections.reject(port, reason, source, detail, error);
    this.http = new HttpServer({ onReject: rejectOn('http'), unsafeSkipSchemas: this.unsafeSkipValidation });
    this.filter = new LinkFilter(this.random);
    this.filter.set(config.linkFilter);
    this.keyring = config.security.peerEncryption ? loadNodeKeyring(config.secrets.keyring, config.dataDir) : null;
    const codec = this.keyring ? sealedCodec(this.keyring, config.cluster) : plainCodec;
    this.peerAuth = new PeerAuthMonitor(config.id, this.log, () => this.clock.monotonicMs(), () => this.keyring);
    const onAuthFailure = (f: import('../net/tcp-transport.js').PeerAuthFailure): void => this.peerAuth.failed(f);
    this.tcp = new TcpTransport({
      selfId: config.id,
      host: config.host,
      port: config.ports.peer,
      filter: this.filter,
      onMessage: (e) => this.dispatch(e),
      onError: (message, detail) => this.log.warn(message, detail),
      onPeerLost: (peer) => this.rpc.peerLost(peer),
      onReject: rejectOn('peer'),
      codec,
      onAuthFailure,
      acceptsUnknownPeers: config.agent !== undefined,
    });
    this.udp = new UdpTransport({
      selfId: config.id,
      host: config.host,
      port: config.ports.gossip,
      filter: this.filter,
      onMessage: (e) => this.dispatch(e),
      onReject: rejectOn('gossip'),
      codec,
      onAuthFailure,
    });
    this.rpc = new PeerRpc(config.id, (e, onNotSent) => this.tcp.send(e, onNotSent), { onReject: rejectOn('peer'), unsafeSkipChecks: this.unsafeSkipValidation });
    const tokens = readTokens(config.secrets);
    if (!tokens) throw new Error(`cannot read the cluster's tokens in ${config.secrets.dir} (ccm up creates them)`);
    this.http.guard = createApiGuard({ clientToken: tokens.client, adminToken: tokens.admin, host: config.host, scheme: config.security.tls ? 'https' : 'http' });
    this.tcp.setPeers(config.peers);
    this.udp.setPeers(config.peers);
  }

  /** Routes envelopes of one kind (other than rpc and reach-ping) to a subsystem; their bodies are checked first. */
  onEnvelope<K extends keyof EnvelopeBodies>(kind: K, handler: (e: Envelope<EnvelopeBodies[K]>) => void): void {
    this.envelopeHandlers.set(kind, handler);
  }

  /**
   * Opens the database, then has `compose` make the node's parts (node/compose.ts), starts them in order, listens, and
   * runs them; `stop` stops them in reverse order.
   */
  async start(compose: (node: NodeRuntime) => NodeSubsystem[] = () => []): Promise<void> {
    fs.mkdirSync(this.config.dataDir, { recursive: true });
    this.db = openDatabase(nodeDbPath(this.config.dataDir));
    this.identity = recordStart(this.db, this.config.id, this.config.cluster, this.clock.nowMs());
    registerClientRoutes(this.http, this);
    registerAdminRoutes(this.http, this);
    this.subsystems.push(...compose(this));
    for (const s of this.subsystems) await s.start?.();
    await this.listen('peer (TCP)', this.config.ports.peer, () => this.tcp.listen());
    await this.listen('gossip (UDP)', this.config.ports.gossip, () => this.udp.listen());
    await this.listen('HTTP', this.config.ports.http, () => this.http.listen(this.config.ports.http, this.config.host, this.tlsCertificate()));
    for (const s of this.subsystems) s.afterListen?.();
    this.memory.start();
    this.loopDelay.enable();
    if (this.unsafeSkipValidation) this.log.warn('TEST-ONLY: CCM_UNSAFE_SKIP_VALIDATION=1: this node does not validate its inputs; never use it outside tests');
    this.log.event('node-started', `${this.config.id} started (start #${this.identity.startCount}, pid ${process.pid})`, {
      pid: process.pid,
      startCount: this.identity.startCount,
      ports: this.config.ports,
    });
  }

  async stop(reason: string): Promise<void> {
    if (this.isStopping) return;
    this.isStopping = true;
    this.log.event('node-stopping', `${this.config.id} stopping: ${reason}`, { reason });
    this.loopDelay.disable();
    this.memory.stop();
    for (const s of [...this.subsystems].reverse()) await Promise.resolve(s.stop?.()).catch(() => undefined);
    this.rpc.close();
    await Promise.allSettled([this.http.close(), this.tcp.close(), this.udp.close()]);
    this.db?.close();
  }

  /** With `ccm up --tls`: this node's certificate and key, issued by the cluster's CA. */
  private tlsCertificate(): { cert: string; key: string } | undefined {
    if (!this.config.security.tls) return undefined;
    const files = nodeCertPaths(this.config.secrets, this.config.id);
    try {
      return { cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8') };
    } catch (err) {
      throw new Error(`the cluster serves HTTPS but this node's certificate cannot be read: ${(err as Error).message}`);
    }
  }

  setLinkFilter(config: LinkFilterConfig): void {
    this.filter.set(config);
    const peers = Object.keys(config.peers);
    this.log.event('link-filter-set', peers.length === 0 ? 'link filter cleared' : `link filter set for ${peers.join(', ')}`, { linkFilter: config });
  }

  /**
   * The cluster's membership changed (ccm node add / remove): `peers` is every other node now. Transports learn the
   * new addresses and forget the removed ones; subsystems that keep their own address book (gossip) are told.
   */
  updatePeers(peers: PeerAddress[]): { added: string[]; removed: string[] } {
    const self = this.config.id;
    const next = peers.filter((p) => p.id !== self);
    const before = new Map(this.config.peers.map((p) => [p.id, p]));
    const added = next.filter((p) => {
      const old = before.get(p.id);
      return !old || old.host !== p.host || old.peerPort !== p.peerPort || old.gossipPort !== p.gossipPort;
    });
    const removed = [...before.keys()].filter((id) => !next.some((p) => p.id === id));
    this.tcp.setPeers(next);
    this.udp.setPeers(next);
    for (const id of removed) {
      this.tcp.removePeer(id);
      this.udp.removePeer(id);
    }
    this.config.peers = next;
    if (added.length > 0 || removed.length > 0) {
      this.log.event('peers-changed', `peers changed:${added.length ? ` added ${added.map((p) => p.id).join(',')}` : ''}${removed.length ? ` removed ${removed.join(',')}` : ''}`, {
        added: added.map((p) => p.id),
        removed,
      });
      for (const l of this.peerListeners) l({ added, removed });
    }
    return { added: added.map((p) => p.id), removed };
  }

  /** Called after updatePeers changed anything. */
  onPeersChanged(listener: (change: { added: PeerAddress[]; removed: string[] }) => void): void {
    this.peerListeners.add(listener);
  }

  setClockSkew(offsetMs: number): void {
    this.clock.skewMs = offsetMs;
    this.log.event('clock-skew-set', `clock offset set to ${offsetMs} ms`, { offsetMs });
  }

  /** Runs this node's monotonic clock, its timers and its lease TTLs at `rate` times real time (chaos clock-rate). */
  setClockRate(rate: number): void {
    this.clock.setRate(rate);
    this.log.event('clock-rate-set', rate === 1 ? 'clock rate back to real time' : `clock runs at ${rate}x real time (timers, lease TTLs)`, { rate });
  }

  /** One-way probes to every peer; each records the nonce, and the CLI reads them back to build the matrix. */
  sendReachPings(nonce: string): number {
    const peers = this.tcp.peerIds();
    for (const peer of peers) this.tcp.send({ kind: 'reach-ping', from: this.config.id, to: peer, body: { nonce } });
    return peers.length;
  }

  status(): NodeStatus {
    const extensions: Partial<NodeStatus> = Object.assign({}, ...this.subsystems.map((s) => s.status?.() ?? {}));
    return {
      ...extensions,
      id: this.config.id,
      cluster: this.config.cluster,
      pid: process.pid,
      kind: extensions.kind ?? (this.config.core.includes(this.config.id) ? 'core' : 'member'),
      startCount: this.identity.startCount,
      startedAtMs: this.identity.lastStartMs,
      uptimeMs: Math.round(performance.now() - this.startedAtMono),
      ports: this.config.ports,
      reachHeard: Object.fromEntries(this.reachHeard),
      linkFilter: this.filter.get(),
      memoryRssBytes: process.memoryUsage.rss(),
      eventLoopLagMs: Number.isNaN(this.loopDelay.mean) ? 0 : Math.round(this.loopDelay.mean / 1e4) / 100,
      clockSkewMs: this.clock.skewMs,
      clockRate: this.clock.rate,
      peerAuth: this.peerAuth.view(),
    };
  }

  /**
   * Every peer message that passed its transport's checks (a well-formed envelope from a known peer) comes here.
   * Its body is checked against its kind's schema before any handler reads it, and no handler may throw into the
   * transport: an unexpected error is counted and logged, and the message is dropped.
   */
  private dispatch(envelope: Envelope): void {
    this.peerAuth.accepted();
    const port: InputPort = envelope.kind === 'swim' ? 'gossip' : 'peer';
    try {
      switch (envelope.kind) {
        case 'reach-ping': {
          const body = envelope.body as Static<typeof ReachPingSchema>;
          if (!this.unsafeSkipValidation && !reachPingCheck.check(body)) return this.rejections.reject(port, 'bad_body', envelope.from, `reach-ping ${reachPingCheck.problem(body)}`);
          const heard = this.reachHeard.get(envelope.from) ?? [];
          heard.push(body.nonce);
          if (heard.length > REACH_NONCES_KEPT) heard.shift();
          this.reachHeard.set(envelope.from, heard);
          return;
        }
        case 'rpc-req':
        case 'rpc-res':
          this.rpc.receive(envelope).catch((err) => this.handlerFailed(port, envelope, err));
          return;
        case 'raft':
        case 'swim':
        case 'snapshot': {
          const problem = this.unsafeSkipValidation ? undefined : BODY_PROBLEMS[envelope.kind](envelope.body);
          if (problem !== undefined) return this.rejections.reject(port, 'bad_body', envelope.from, `${envelope.kind}: ${problem}`);
          this.envelopeHandlers.get(envelope.kind)?.(envelope);
          return;
        }
        default:
          this.rejections.reject(port, 'unknown_kind', envelope.from, `${(envelope as { kind: EnvelopeKind }).kind} is not handled here`);
      }
    } catch (err) {
      this.handlerFailed(port, envelope, err);
    }
  }

  private handlerFailed(port: InputPort, envelope: Envelope, err: unknown): void {
    this.rejections.reject(port, 'handler_error', envelope.from, `${envelope.kind} (dropped): ${(err as Error)?.message ?? String(err)}`, err);
  }

  private async listen(what: string, port: number, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `port ${port} is already in use` : (err as Error).message;
      throw new Error(`cannot listen for ${what} on ${this.config.host}:${port}: ${why}`);
    }
  }
}
