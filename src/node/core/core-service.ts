import { CcmError } from '../../errors/ccm-error.js';
import { commandProblem } from '../../core/command-schemas.js';
import type { Command } from '../../core/commands.js';
import { prefixSpan } from '../../core/key-span.js';
import { RefusedInput } from '../../net/input-rejections.js';
import type { RpcMethod } from '../../net/peer-rpc.js';
import type { Static, TSchema } from '@sinclair/typebox';
import type { ConfChange } from '../../raft/index.js';
import { voterRemovalProblem } from '../../raft/quorum.js';
import type { KeyValue, Lease } from '../../core/kv-types.js';
import type { LeaseView, NodeStatus } from '../../api/api-types.js';
import type { ApplyResult } from '../../core/state-machine.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';
import { leaseView, lockViews } from '../../services/core-views.js';
import type { CallOptions, CorePort, ReadResult, ReadResultOf, ServiceContext, WatchHandlers, WatchSpec, WriteResult } from '../../services/core-port.js';
import { systemScheduler } from '../../time/scheduler.js';
import { ChangeFeed } from '../watch/change-feed.js';
import { RaftDriver } from '../raft/raft-driver.js';
import { CORE_CONF_CHANGE, CORE_READ, CORE_TRANSFER_LEADER, CORE_WRITE, type CoreRead } from '../peer-schemas.js';

/** A read the core answers from a replica's applied state (its schema: peer-methods.ts). */
export type { CoreRead };

export type { CallOptions, ReadResult };

/** The longest a request waits for a leader to appear before answering no_leader. */
const WAIT_FOR_LEADER_MS = 1000;
const MAX_HOPS = 2;
/** How long a voter removal waits for the remaining voters to show they are active before refusing. */
const REMOVAL_CHECK_MS = 1000;
/** How long a peer that refused a connection is skipped. */
const UNREACHABLE_BACKOFF_MS = 300;
const RETRY = Symbol('retry');

/**
 * The consistent core as the client API sees it. On a voter it owns the RaftDriver; on any node it routes:
 * writes and linearizable reads go to the leader, serializable reads to any voter, forwarding over peer RPC
 * (and so through the link filter: a partitioned node cannot reach the leader, and says so).
 */
export class CoreService implements NodeSubsystem, CorePort {
  /** This node's Raft replica, if it is (or was) one; a member gets one when the core adds it as a learner. */
  driver: RaftDriver | null;
  /** The core as gossip shows it (set once gossip is wired): lets a member find the leader and the voters. */
  coreView: (() => { leader: string | null; voters: string[]; term: number }) | null = null;
  /** Changes as this node sees them (from its own replica, or relayed from the voters). */
  readonly feed: ChangeFeed;
  /** Who wants this node's replica when it has one (it may get one after start: a member made a learner). */
  private readonly replicaListeners: ((driver: RaftDriver) => void)[] = [];
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
        this.startReplica(`added to the core by ${e.from}`, { from: e.from }).deliver(e.body);
      });
    }
    // Forwarded calls: their params were checked against the methods' schemas (peer-methods.ts) before these run;
    // a forwarded command is checked again by write() before this node proposes it.
    const capped = (deadline: number): number => Math.min(deadline, Date.now() + 60_000);
    node.rpc.handle(CORE_WRITE, (p) => this.write(p.command, { deadline: capped(p.deadline), hops: p.hops + 1 }));
    node.rpc.handle(CORE_READ, (p) => this.read(p.read, p.serializable, { deadline: capped(p.deadline), hops: p.hops + 1 }));
    node.rpc.handle(CORE_CONF_CHANGE, (p) => this.changeMembership(p.change, { deadline: capped(p.deadline), hops: p.hops + 1 }));
    node.rpc.handle(CORE_TRANSFER_LEADER, (p) => this.transferLeader(p.to, { deadline: capped(p.deadline), hops: p.hops + 1 }));
    if (this.driver) this.countRejectedEntries(this.driver);
    this.feed = new ChangeFeed(node, this);
    this.whenReplica((driver) => this.feed.attach(driver));
  }

  /**
   * Starts this node's Raft replica after the node started: a member added to the core (its first Raft message), or an
   * agent whose core just formed (bootstrap-expect: node.config.core names the voters, so a fresh replica bootstraps).
   */
  startReplica(why: string, fields: Record<string, unknown> = {}): RaftDriver {
    if (this.driver) return this.driver;
    this.node.log.event('core-replica-started', `${this.node.config.id} starts a Raft replica (${why})`, fields);
    const driver = new RaftDriver(this.node);
    this.driver = driver;
    this.countRejectedEntries(driver);
    for (const listener of this.replicaListeners) listener(driver);
    driver.start();
    return driver;
  }

  /** Calls `listener` with this node's replica: now if it has one, else when it gets one. */
  whenReplica(listener: (driver: RaftDriver) => void): void {
    this.replicaListeners.push(listener);
    if (this.driver) listener(this.driver);
  }

  /** A committed entry that was not a valid command applied as an error result: counted (port "log"). */
  private countRejectedEntries(driver: RaftDriver): void {
    driver.onApply((applied, entry) => {
      if (applied.rejected !== undefined) this.node.rejections.reject('log', 'bad_command', `entry ${entry.index}`, applied.rejected);
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

  status(): Pick<NodeStatus, 'raft' | 'snapshot' | 'kind'> {
    return { kind: this.kind(), ...(this.driver ? { raft: this.driver.status(), snapshot: this.driver.snapshots.status() } : {}) };
  }

  /**
   * Proposes a command on the leader (here or elsewhere) and returns its applied result. The command is checked
   * here, wherever it came from: on the node a client reached, and again on the leader it is forwarded to (a
   * forwarded command is as untrusted as any other input).
   */
  async write<C extends Command>(command: C, opts: CallOptions): Promise<WriteResult<C>> {
    const result = await this.proposeAnywhere(command, opts);
    // Each command applies to a result of its own kind (an error result was thrown by now).
    if (result.op !== command.op) throw new CcmError('internal', `${command.op} applied as ${result.op}`);
    return result as WriteResult<C>;
  }

  private async proposeAnywhere(command: Command, opts: CallOptions): Promise<ApplyResult> {
    const problem = this.node.unsafeSkipValidation ? undefined : commandProblem(command);
    if (problem !== undefined) throw new RefusedInput('bad_body', 'invalid_argument', `not a valid command: ${problem}`);
    for (;;) {
      const target = await this.leaderTarget(opts);
      if (target === 'local') return unwrap(await this.driver!.propose(command, remaining(opts)));
      const result = await this.forwardOrRetry(target, CORE_WRITE, { command }, opts);
      if (result !== RETRY) return result;
    }
  }

  async read<R extends CoreRead>(read: R, serializable: boolean, opts: CallOptions): Promise<ReadResultOf<R>> {
    return (await this.readAny(read, serializable, opts)) as ReadResultOf<R>;
  }

  /** Changes on this node's view of the core (a voter's own hub, or a member's relay from the voters). */
  subscribe(spec: WatchSpec, handlers: WatchHandlers): () => void {
    return this.feed.subscribe(spec, handlers);
  }

  /** What the coordination services on this node run with: this core, the node's clock, the machine's timers. */
  serviceContext(): ServiceContext {
    return { core: this, clock: this.node.clock, scheduler: systemScheduler, nodeId: this.node.config.id, random: () => this.node.random.next() };
  }

  private async readAny(read: CoreRead, serializable: boolean, opts: CallOptions): Promise<ReadResult> {
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
    const result = await this.forwardOrRetry(target, CORE_READ, { read, serializable }, opts);
    return result === RETRY ? this.read(read, serializable, opts) : result;
  }

  /** Adds a learner, promotes one to voter, or removes a node from the core (one change at a time). */
  async changeMembership(change: ConfChange, opts: CallOptions): Promise<{ voters: string[]; learners: string[] }> {
    const known = [this.node.config.id, ...this.node.config.peers.map((p) => p.id)];
    if (!known.includes(change.nodeId)) throw new CcmError('not_found', `unknown node "${change.nodeId}"`);
    const target = await this.leaderTarget(opts);
    if (target !== 'local') return this.forward(target, CORE_CONF_CHANGE, { change }, opts);
    const conf = this.driver!.raft.status().confState;
    if (change.type === 'add-learner' && (conf.voters.includes(change.nodeId) || conf.learners.includes(change.nodeId))) {
      throw new CcmError('failed_precondition', `${change.nodeId} is already in the core`);
    }
    if (change.type === 'add-voter' && conf.voters.includes(change.nodeId)) throw new CcmError('failed_precondition', `${change.nodeId} is already a voter`);
    if (change.type === 'remove-node' && !conf.voters.includes(change.nodeId) && !conf.learners.includes(change.nodeId)) {
      throw new CcmError('failed_precondition', `${change.nodeId} is not in the core`);
    }
    if (change.type === 'remove-node' && conf.voters.includes(change.nodeId)) {
      // The leader forgets who is active at each check-quorum round and relearns it within a heartbeat, so a voter
      // that looks silent is given up to a second to show it is there before the removal is refused.
      const self = this.node.config.id;
      const until = Math.min(opts.deadline, Date.now() + REMOVAL_CHECK_MS);
      for (;;) {
        const progress = this.driver!.raft.status().progress;
        const problem = voterRemovalProblem(change.nodeId, conf.voters, (v) => v === self || progress[v]?.recentActive === true);
        if (!problem) break;
        if (Date.now() >= until) throw new CcmError('failed_precondition', problem);
        await sleep(50);
      }
    }
    const r = unwrap(await this.driver!.proposeConfChange(change, remaining(opts)));
    if (r.op !== 'conf-change') throw new CcmError('internal', `unexpected result ${r.op}`);
    this.node.log.event('core-membership-changed', `${change.type} ${change.nodeId}: voters ${r.voters.join(',')}${r.learners.length ? `, learners ${r.learners.join(',')}` : ''}`, { change });
    return { voters: r.voters, learners: r.learners };
  }

  async transferLeader(to: string, opts: CallOptions): Promise<{ from: string; to: string }> {
    const target = await this.leaderTarget(opts);
    if (target !== 'local') return this.forward(target, CORE_TRANSFER_LEADER, { to }, opts);
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
        let atRevision = read.revision ?? 0;
        if (read.prev) {
          const last = state.lastChangeRevision(read.key);
          if (last === null) throw new CcmError('not_found', `${read.key} has no change in the kept history (oldest revision kept: ${state.compactRevision()})`);
          atRevision = last - 1;
          if (atRevision < 1) throw new CcmError('not_found', `${read.key} had no value before its first change (revision ${last})`);
        }
        let all = atRevision > 0 ? this.rangeInThePast(read.key, read.prefix, atRevision) : state.range(read.key, read.prefix);
        if (read.liveOnly) {
          const now = this.node.clock.monotonicMs();
          all = all.filter((kv) => kv.lease === 0 || this.driver!.leases.remainingMs(kv.lease, now) !== 0);
        }
        const kvs = read.limit !== undefined && read.limit > 0 ? all.slice(0, read.limit) : all;
        return { kvs, count: all.length, revision: state.revision(), compactRevision: state.compactRevision(), servedBy, serializable, ...(atRevision > 0 ? { atRevision } : {}) };
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
        const locks = lockViews(state, read.resource, (id) => this.ttlLeftMs(id));
        return { locks, revision: state.revision(), servedBy };
      }
    }
  }

  /** `kv get --rev`, `--prev`: the keys as of `revision`, from the kept change history (as etcd's Range at a revision). */
  private rangeInThePast(key: string, prefix: boolean, revision: number): KeyValue[] {
    const state = this.driver!.state;
    if (revision > state.revision()) throw new CcmError('invalid_argument', `revision ${revision} is in the future: the current revision is ${state.revision()}`);
    const compactRevision = state.compactRevision();
    if (revision < compactRevision) throw new CcmError('compacted', `revision ${revision} was compacted; the oldest revision kept is ${compactRevision}`, { compactRevision });
    return state.rangeSpan(prefix ? prefixSpan(key) : { key }, { revision }).kvs;
  }

  private leaseView(lease: Lease): LeaseView {
    return leaseView(this.driver!.state, lease, this.ttlLeftMs(lease.id));
  }

  private ttlLeftMs(lease: number): number | null {
    return this.driver!.leases.remainingMs(lease, this.node.clock.monotonicMs()) ?? null;
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
  private async forwardOrRetry<P extends TSchema, R extends TSchema>(
    target: string,
    method: RpcMethod<P, R>,
    params: Omit<Static<P>, 'deadline' | 'hops'>,
    opts: CallOptions,
  ): Promise<Static<R> | typeof RETRY> {
    try {
      return await this.forward(target, method, params, opts);
    } catch (err) {
      const notSent = err instanceof CcmError && err.code === 'unavailable' && (err.details as { notSent?: boolean } | undefined)?.notSent === true;
      if (!notSent || Date.now() >= opts.deadline - 20) throw err;
      this.unreachableUntil.set(target, Date.now() + UNREACHABLE_BACKOFF_MS);
      return RETRY;
    }
  }

  private async forward<P extends TSchema, R extends TSchema>(target: string, method: RpcMethod<P, R>, params: Omit<Static<P>, 'deadline' | 'hops'>, opts: CallOptions): Promise<Static<R>> {
    const timeoutMs = remaining(opts);
    try {
      const result = await this.node.rpc.call(target, method, { ...params, deadline: opts.deadline, hops: opts.hops } as Static<P>, timeoutMs);
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
        if (method.name === CORE_READ.name) throw new CcmError('unavailable', err.message, { notSent: true });
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
