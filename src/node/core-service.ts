import { CcmError } from '../client/api-errors.js';
import type { Command } from '../core/commands.js';
import type { ConfChange } from '../raft/index.js';
import type { Lease } from '../core/kv-types.js';
import type { KeySpan } from '../core/key-span.js';
import type { LeaseView, LockView, RangeResult } from '../client/api-types.js';
import { LOCK_PREFIX, LOCK_QUEUE_PREFIX } from '../core/kv-types.js';
import { holderOf } from '../core/state-machine.js';
import type { ApplyResult } from '../core/state-machine.js';
import type { NodeRuntime, NodeSubsystem } from './node-runtime.js';
import { RaftDriver } from './raft-driver.js';
import { registerKvRoutes } from './kv-routes.js';
import { registerWatchRoutes } from './watch-routes.js';
import { registerLeaseRoutes } from './lease-routes.js';
import { registerConfigRoutes } from './config-routes.js';
import { registerRegistryRoutes } from './registry-routes.js';
import { registerElectionRoutes } from './election-routes.js';
import { connectCoreToGossip } from './core-gossip.js';

/** A read the core answers from a replica's applied state. */
export type CoreRead =
  /** `liveOnly`: leave out keys whose lease this replica already holds overdue (its expiry is about to commit). */
  | { kind: 'range'; key: string; prefix: boolean; limit?: number; liveOnly?: boolean }
  /** A span (etcd's key and range_end) as of `revision` (absent: now), at most `limit` keys, with the count of all. */
  | { kind: 'span'; span: KeySpan; revision?: number; limit?: number; countOnly?: boolean }
  | { kind: 'leases' }
  | { kind: 'lease'; id: number }
  /** Lease-manager resources (one, or all), with their holders' leases and queues. */
  | { kind: 'locks'; resource?: string };

export type ReadResult = RangeResult | { leases: LeaseView[]; servedBy: string } | { lease: LeaseView; servedBy: string } | { locks: LockView[]; revision: number; servedBy: string };

export interface CallOptions {
  /** Absolute deadline (ms since epoch by this process's Date.now). */
  deadline: number;
  /** Hops so far: a forwarded request is forwarded at most once more. */
  hops: number;
}

/** The longest a request waits for a leader to appear before answering no_leader. */
const WAIT_FOR_LEADER_MS = 1000;
const MAX_HOPS = 2;
/** How long a peer that refused a connection is skipped. */
const UNREACHABLE_BACKOFF_MS = 300;
const RETRY = Symbol('retry');

/**
 * The consistent core as the client API sees it. On a voter it owns the RaftDriver; on any node it routes:
 * writes and linearizable reads go to the leader, serializable reads to any voter, forwarding over peer RPC
 * (and so through the link filter: a partitioned node cannot reach the leader, and says so).
 */
export class CoreService implements NodeSubsystem {
  /** This node's Raft replica, if it is (or was) one; a member gets one when the core adds it as a learner. */
  driver: RaftDriver | null;
  /** The core as gossip shows it (set once gossip is wired): lets a member find the leader and the voters. */
  coreView: (() => { leader: string | null; voters: string[]; term: number }) | null = null;
  /** Called when a driver is created after start (a member made a learner). */
  onDriverCreated: ((driver: RaftDriver) => void) | null = null;
  /** Where a member last found the leader. */
  private leaderHint: string | null = null;
  private voterCursor = 0;
  /** Peers we just failed to connect to, and until when to treat them as down. */
  private readonly unreachableUntil = new Map<string, number>();

  constructor(private readonly node: NodeRuntime) {
    this.driver = node.config.core.includes(node.config.id) || this.hasRaftState() ? new RaftDriver(node) : null;
    if (!this.driver) {
      // A member runs no Raft until the leader adds it as a learner: its first Raft message starts a replica.
      node.onEnvelope('raft', (e) => {
        if (this.driver) return;
        node.log.event('core-replica-started', `${node.config.id} starts a Raft replica (added to the core by ${e.from})`, { from: e.from });
        const driver = new RaftDriver(node);
        this.driver = driver;
        this.onDriverCreated?.(driver);
        driver.start();
        driver.deliver(e.body as import('../raft/index.js').Message);
      });
    }
    node.rpc.handle('core.write', (p) => {
      const { command, deadline, hops } = p as { command: Command; deadline: number; hops: number };
      return this.write(command, { deadline: Math.min(deadline, Date.now() + 60_000), hops: hops + 1 });
    });
    node.rpc.handle('core.read', (p) => {
      const { read, serializable, deadline, hops } = p as { read: CoreRead; serializable: boolean; deadline: number; hops: number };
      return this.read(read, serializable, { deadline: Math.min(deadline, Date.now() + 60_000), hops: hops + 1 });
    });
    node.rpc.handle('core.conf-change', (p) => {
      const { change, deadline, hops } = p as { change: ConfChange; deadline: number; hops: number };
      return this.changeMembership(change, { deadline, hops: hops + 1 });
    });
    node.rpc.handle('core.transfer-leader', (p) => {
      const { to, deadline, hops } = p as { to: string; deadline: number; hops: number };
      return this.transferLeader(to, { deadline, hops: hops + 1 });
    });
  }

  start(): void {
    // nothing before listening
  }

  afterListen(): void {
    this.driver?.start();
  }

  async stop(): Promise<void> {
    await this.driver?.stop();
  }

  status(): { raft?: ReturnType<RaftDriver['status']> } {
    return this.driver ? { raft: this.driver.status() } : {};
  }

  /** Proposes a command on the leader (here or elsewhere) and returns its applied result. */
  async write(command: Command, opts: CallOptions): Promise<ApplyResult> {
    for (;;) {
      const target = await this.leaderTarget(opts);
      if (target === 'local') return unwrap(await this.driver!.propose(command, remaining(opts)));
      const result = await this.forwardOrRetry<ApplyResult>(target, 'core.write', { command }, opts);
      if (result !== RETRY) return result;
    }
  }

  async read(read: CoreRead, serializable: boolean, opts: CallOptions): Promise<ReadResult> {
    // TEST-ONLY FAULT SWITCH (chaos; `ccm up --setting unsafeFaultSwitch=stale-reads`, never in normal use): every
    // read is served from a replica's own state without ReadIndex, so a partitioned or lagging replica answers stale.
    if (this.node.config.settings.unsafeFaultSwitch === 'stale-reads') serializable = true;
    const replica = this.replica();
    if (replica && (serializable || replica.isLeader())) {
      if (!serializable) await replica.readBarrier(remaining(opts));
      return this.readLocal(read, serializable);
    }
    const target = replica ? await this.leaderTarget(opts) : await this.memberTarget(opts);
    if (target === 'local') return this.read(read, serializable, opts);
    const result = await this.forwardOrRetry<ReadResult>(target, 'core.read', { read, serializable }, opts);
    return result === RETRY ? this.read(read, serializable, opts) : result;
  }

  /** Adds a learner, promotes one to voter, or removes a node from the core (one change at a time). */
  async changeMembership(change: ConfChange, opts: CallOptions): Promise<{ voters: string[]; learners: string[] }> {
    const known = [this.node.config.id, ...this.node.config.peers.map((p) => p.id)];
    if (!known.includes(change.nodeId)) throw new CcmError('not_found', `unknown node "${change.nodeId}"`);
    const target = await this.leaderTarget(opts);
    if (target !== 'local') return this.forward(target, 'core.conf-change', { change }, opts);
    const conf = this.driver!.raft.status().confState;
    if (change.type === 'add-learner' && (conf.voters.includes(change.nodeId) || conf.learners.includes(change.nodeId))) {
      throw new CcmError('failed_precondition', `${change.nodeId} is already in the core`);
    }
    if (change.type === 'add-voter' && conf.voters.includes(change.nodeId)) throw new CcmError('failed_precondition', `${change.nodeId} is already a voter`);
    if (change.type === 'remove-node' && !conf.voters.includes(change.nodeId) && !conf.learners.includes(change.nodeId)) {
      throw new CcmError('failed_precondition', `${change.nodeId} is not in the core`);
    }
    if (change.type === 'remove-node' && conf.voters.length === 1 && conf.voters[0] === change.nodeId) {
      throw new CcmError('failed_precondition', 'cannot remove the last voter');
    }
    const r = unwrap(await this.driver!.proposeConfChange(change, remaining(opts)));
    if (r.op !== 'conf-change') throw new CcmError('internal', `unexpected result ${r.op}`);
    this.node.log.event('core-membership-changed', `${change.type} ${change.nodeId}: voters ${r.voters.join(',')}${r.learners.length ? `, learners ${r.learners.join(',')}` : ''}`, { change });
    return { voters: r.voters, learners: r.learners };
  }

  async transferLeader(to: string, opts: CallOptions): Promise<{ from: string; to: string }> {
    const target = await this.leaderTarget(opts);
    if (target !== 'local') return this.forward(target, 'core.transfer-leader', { to }, opts);
    const from = this.node.config.id;
    this.driver!.transferLeader(to);
    // Wait until the transfer shows, so the caller can rely on it.
    while (Date.now() < opts.deadline) {
      const leader = this.driver!.leaderId();
      if (leader === to) return { from, to };
      if (leader !== from && leader !== null) throw new CcmError('conflict', `leadership went to ${leader}, not ${to}`);
      await sleep(20);
    }
    throw new CcmError('timeout', `leadership did not move to ${to} in time`);
  }

  /** Who the leader is, as far as this node knows. */
  knownLeader(): string | null {
    const replica = this.replica();
    return replica ? replica.leaderId() : (this.coreView?.().leader ?? this.leaderHint);
  }

  /** This node's replica, if it is a current member of the core (a removed one's state goes stale). */
  replica(): RaftDriver | null {
    return this.driver && !this.driver.isRemoved() ? this.driver : null;
  }

  /** What this node is in the core: a voter, a learner, or a plain member. */
  kind(): 'core' | 'learner' | 'member' {
    const replica = this.replica();
    if (!replica) return 'member';
    const conf = replica.state.appliedIndex().confState;
    if (conf.learners.includes(this.node.config.id)) return 'learner';
    return conf.voters.length === 0 || conf.voters.includes(this.node.config.id) ? 'core' : 'member';
  }

  readLocal(read: CoreRead, serializable: boolean): ReadResult {
    const state = this.driver!.state;
    const servedBy = this.node.config.id;
    switch (read.kind) {
      case 'range': {
        let all = state.range(read.key, read.prefix);
        if (read.liveOnly) {
          const now = this.node.clock.monotonicMs();
          all = all.filter((kv) => kv.lease === 0 || this.driver!.leases.remainingMs(kv.lease, now) !== 0);
        }
        const kvs = read.limit !== undefined && read.limit > 0 ? all.slice(0, read.limit) : all;
        return { kvs, count: all.length, revision: state.revision(), compactRevision: state.compactRevision(), servedBy, serializable };
      }
      case 'span': {
        const revision = state.revision();
        const compactRevision = state.compactRevision();
        if (read.revision && read.revision > revision) {
          throw new CcmError('invalid_argument', `revision ${read.revision} is in the future (the current revision is ${revision})`, { reason: 'future-revision', revision });
        }
        if (read.revision && read.revision < compactRevision) {
          throw new CcmError('compacted', `revision ${read.revision} was compacted; the oldest revision kept is ${compactRevision}`, { compactRevision, revision });
        }
        const { kvs, count } = state.rangeSpan(read.span, { revision: read.revision, limit: read.limit, countOnly: read.countOnly });
        return { kvs, count, revision, compactRevision, servedBy, serializable };
      }
      case 'leases':
        return { leases: state.leases().map((l) => this.leaseView(l)), servedBy };
      case 'lease': {
        const lease = state.getLease(read.id);
        if (!lease) throw new CcmError('not_found', `lease ${read.id} not found (it expired or was revoked)`);
        return { lease: this.leaseView(lease), servedBy };
      }
      case 'locks': {
        const kvs = read.resource !== undefined ? state.range(LOCK_PREFIX + read.resource, false) : state.range(LOCK_PREFIX, true);
        const locks = kvs.map((kv): LockView => {
          const resource = kv.key.slice(LOCK_PREFIX.length);
          const h = holderOf(kv);
          const lease = state.getLease(h.lease);
          const view = lease ? this.leaseView(lease) : null;
          const waiting = state.range(`${LOCK_QUEUE_PREFIX}${resource}/`, true).map((q) => {
            const w = JSON.parse(q.value) as { holder: string; lease: number };
            return { holder: w.holder, lease: w.lease, queuedAtRevision: q.createRevision };
          });
          return {
            resource,
            holder: h.holder,
            lease: h.lease,
            token: h.token,
            ttlMs: view?.ttlMs ?? 0,
            ttlLeftMs: view?.ttlLeftMs ?? null,
            renewals: view?.renewals ?? 0,
            grantedAtMs: view?.grantedAtMs ?? 0,
            renewedAtMs: view?.renewedAtMs ?? 0,
            waiting,
          };
        });
        return { locks, revision: state.revision(), servedBy };
      }
    }
  }

  private leaseView(lease: Lease): LeaseView {
    const driver = this.driver!;
    return { ...lease, ttlLeftMs: driver.leases.remainingMs(lease.id, this.node.clock.monotonicMs()) ?? null, keys: driver.state.keysWithLease(lease.id) };
  }

  /** 'local' if this node leads; else the leader's id, waiting briefly for an election to finish. */
  private async leaderTarget(opts: CallOptions): Promise<'local' | string> {
    const replica = this.replica();
    if (!replica) return this.memberTarget(opts);
    const waitUntil = Math.min(opts.deadline, Date.now() + WAIT_FOR_LEADER_MS);
    for (;;) {
      if (replica.isLeader()) return 'local';
      const leader = replica.leaderId();
      if (leader !== null && leader !== this.node.config.id && !this.isUnreachable(leader)) {
        if (opts.hops >= MAX_HOPS) throw new CcmError('no_leader', `request forwarded too many times (leader is ${leader})`);
        return leader;
      }
      if (Date.now() >= waitUntil) {
        throw new CcmError('no_leader', `no Raft leader is known to ${this.node.config.id} (an election is running, or this node is cut off from a quorum)`);
      }
      await sleep(10);
    }
  }

  /** A member forwards to the leader it last heard of, else to the voters in turn. */
  private async memberTarget(opts: CallOptions): Promise<string> {
    if (opts.hops >= MAX_HOPS) throw new CcmError('no_leader', 'request forwarded too many times');
    const view = this.coreView?.();
    if (view?.leader && view.leader !== this.node.config.id && !this.isUnreachable(view.leader)) return view.leader;
    if (this.leaderHint && !this.isUnreachable(this.leaderHint)) return this.leaderHint;
    const voters = view && view.voters.length > 0 ? view.voters : this.node.config.core;
    for (let i = 0; i < voters.length; i++) {
      const target = voters[(this.voterCursor + i) % voters.length];
      if (!this.isUnreachable(target)) return target;
    }
    throw new CcmError('no_leader', `no core voter is reachable from ${this.node.config.id}`);
  }

  private isUnreachable(id: string): boolean {
    const until = this.unreachableUntil.get(id);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.unreachableUntil.delete(id);
    return false;
  }

  /** Forwards; if the request certainly never left (connection refused), marks the peer down and says RETRY. */
  private async forwardOrRetry<T>(target: string, method: string, params: Record<string, unknown>, opts: CallOptions): Promise<T | typeof RETRY> {
    try {
      return await this.forward<T>(target, method, params, opts);
    } catch (err) {
      const notSent = err instanceof CcmError && err.code === 'unavailable' && (err.details as { notSent?: boolean } | undefined)?.notSent === true;
      if (!notSent || Date.now() >= opts.deadline - 20) throw err;
      this.unreachableUntil.set(target, Date.now() + UNREACHABLE_BACKOFF_MS);
      return RETRY;
    }
  }

  private async forward<T>(target: string, method: string, params: Record<string, unknown>, opts: CallOptions): Promise<T> {
    const timeoutMs = remaining(opts);
    try {
      const result = await this.node.rpc.call<T>(target, method, { ...params, deadline: opts.deadline, hops: opts.hops }, timeoutMs);
      if (!this.replica()) this.leaderHint = target;
      return result;
    } catch (err) {
      if (!this.replica()) {
        // Try another voter next time: this one is down, cut off, or no longer leads.
        if (this.leaderHint === target) this.leaderHint = null;
        this.voterCursor++;
      }
      if (err instanceof CcmError && err.code === 'timeout') {
        throw new CcmError('timeout', `${target} did not answer in time (down, paused or cut off?); a write may or may not have happened`);
      }
      if (err instanceof CcmError && (err.details as { connectionLost?: boolean } | undefined)?.connectionLost) {
        this.unreachableUntil.set(target, Date.now() + UNREACHABLE_BACKOFF_MS);
        // A read can simply be asked again; a write's fate is unknown (it may have reached the leader).
        if (method === 'core.read') throw new CcmError('unavailable', err.message, { notSent: true });
        throw new CcmError('timeout', `lost the connection to ${target} while forwarding; the write may or may not have happened`);
      }
      throw err;
    }
  }

  private hasRaftState(): boolean {
    const row = this.node.db.prepare('SELECT COUNT(*) AS n FROM raft_log').get() as { n: number };
    const hs = this.node.db.prepare('SELECT term FROM raft_state').get() as { term: number };
    return row.n > 0 || hs.term > 0;
  }
}

function unwrap(result: ApplyResult): ApplyResult {
  if (result.op === 'error') throw new CcmError(result.code, result.message, result.details);
  return result;
}

function remaining(opts: CallOptions): number {
  const ms = opts.deadline - Date.now();
  if (ms <= 0) throw new CcmError('timeout', 'deadline passed');
  return ms;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The core as a node subsystem: the service, its routes, and `node.core` for the subsystems built on it. */
export function createCoreSubsystem(node: NodeRuntime): CoreService {
  const core = new CoreService(node);
  registerKvRoutes(node.http, core);
  registerWatchRoutes(node, core);
  node.leaseManager = registerLeaseRoutes(node.http, node, core);
  registerConfigRoutes(node.http, node, core);
  registerRegistryRoutes(node.http, node, core);
  registerElectionRoutes(node.http, core, node.leaseManager);
  node.core = core;
  connectCoreToGossip(node, core);
  node.http.defaultHeaders = () => ({ 'x-ccm-node': node.config.id, 'x-ccm-leader': core.knownLeader() ?? '' });
  return core;
}
