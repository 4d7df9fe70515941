import { CcmError } from '../../errors/ccm-error.js';
import type {
  GossipStatsView,
  GossipSummaryView,
  HealthSummary,
  LeaderView,
  MemberRow,
  MembersView,
  NodeTagsResult,
  SuspicionRow,
} from '../../api/api-types.js';
import { PeerDetectors } from '../../detector/peer-detectors.js';
import { PhiAccrualDetector } from '../../detector/phi-accrual.js';
import { emergentLeader, explainLeader } from '../../leader/emergent-leader.js';
import { loadNodeTags, saveNodeTags } from '../../storage/node-tag-store.js';
import { localConfig, SwimNode, type MemberEvent, type MemberMeta, type MemberView, type SwimConfig } from '../../swim/index.js';
import { jsonEquals } from '../../swim/messages.js';
import type { PushPullState } from '../../swim/push-pull.js';
import { registerGossipRoutes } from '../http/gossip-routes.js';
import { applyTagChange, type TagChange } from '../../api/gossip-tags.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';
import { SWIM_PUSH_PULL } from '../peer-schemas.js';
import { backoffMs, type BackoffPolicy } from '../../time/backoff.js';

/** A push-pull that gets no answer in this long is given up (the periodic one retries). */
const PUSH_PULL_TIMEOUT_MS = 2000;
/** Join retries: from this, doubling, up to the max, until a seed answers a join push-pull. */
const JOIN_RETRY: BackoffPolicy = { firstMs: 500, maxMs: 5000 };
/** Random non-core peers added to the core voters as join seeds on retries (so a node joins even with the core down). */
const EXTRA_SEEDS = 2;
/** How long a graceful leave may keep the node up to gossip its `left` (SIGTERM gives the process 3 s in all). */
const LEAVE_TIMEOUT_MS = 1000;
/** How often dead-member watchers are checked. */
const HOUSEKEEPING_INTERVAL_MS = 250;
/** Member meta budget (UTF-8 bytes of its JSON): tags, health summary, the core's role/term/leader, config version. */
const MAX_META_BYTES = 1024;
/** phi shown for a member silent far beyond its usual gaps (phi is −log10 of a probability; ∞ is not JSON). */
const PHI_DISPLAY_MAX = 99;
/** At most one state exchange per member in this long when it speaks while we hold it dead. */
const REVENANT_EXCHANGE_INTERVAL_MS = 2000;
/** Bound on timer-lateness samples kept between two readings (about 10 a second are taken). */
const MAX_LATENESS_SAMPLES = 4096;
/** Meta keys the driver owns: other subsystems use setMeta for everything else. */
const RESERVED_META_KEYS: ReadonlySet<string> = new Set(['joinedAtMs', 'tags']);

/**
 * The SWIM config for a real cluster: the `local` preset with its periods scaled to the cluster's probe interval
 * (probe timeout and gossip interval at half of it, as the preset has them at 200 ms), and a meta budget big enough
 * for tags plus the health summary and the core's role.
 */
export function gossipConfig(probeIntervalMs: number): SwimConfig {
  return {
    ...localConfig(),
    probeIntervalMs,
    probeTimeoutMs: probeIntervalMs / 2,
    gossipIntervalMs: probeIntervalMs / 2,
    maxMetaBytes: MAX_META_BYTES,
  };
}

/** Passed to onMemberDeadFor listeners. */
export interface DeadMemberNotice {
  id: string;
  incarnation: number;
  /** How long this node's view has held it dead. */
  deadForMs: number;
  /** Its last meta (tags, health, core role...). */
  meta: MemberMeta;
  /**
   * Whether this node is the emergent leader of its view right now: a recovery action that must run once per cluster
   * (replace a voter, deregister instances) runs where this is true, and should still go through the core (a
   * partition can give each side its own emergent leader).
   */
  isLocalLeader: boolean;
}

interface DeadWatcher {
  afterMs: number;
  listener: (notice: DeadMemberNotice) => void;
  /** member → the incarnation at which it was last reported, so one death is reported once. */
  reported: Map<string, number>;
}

/**
 * Runs the pure SwimNode on the real world, following its driver contract (swim-node.ts): datagrams through
 * node.udp (envelope kind 'swim'), push-pull through node.rpc (so chaos rules apply to it too), one timer set to the
 * core's next deadline, and events into the node's event log. Beside SWIM's verdicts it keeps a phi accrual detector
 * per peer, fed by every well-formed datagram from that peer. Every node runs one, voter or not.
 */
export class GossipDriver implements NodeSubsystem {
  readonly swim: SwimNode;
  readonly address: string;
  private readonly config: SwimConfig;
  private readonly detectors: PeerDetectors;
  private readonly addressById = new Map<string, string>();
  private readonly idByAddress = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private timerDueMs = Infinity;
  private joinTimer: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  private isStopped = false;
  private isJoined = false;
  private joinAttempts = 0;
  private pushPullFailures = 0;
  private readonly eventListeners = new Set<(event: MemberEvent) => void>();
  private readonly deadWatchers = new Set<DeadWatcher>();
  /** Member → when we last push-pulled with it because it spoke while we held it dead. */
  private readonly revenantExchanges = new Map<string, number>();
  private revenantExchangeCount = 0;
  /**
   * Agents only (node/agent): a push-pull from a peer this node does not know yet. Given its id and its own record in
   * the state it sent (address, meta), returns its gossip address once the node has learnt it, or undefined to refuse.
   */
  admitUnknownPeer: ((id: string, address: string, meta: unknown) => string | undefined) | null = null;
  /** How late each firing of the driver's timer was, since the last takeTimerLateness(). */
  private lateness: number[] = [];

  constructor(private readonly node: NodeRuntime) {
    const { config } = node;
    this.config = gossipConfig(config.settings.gossipProbeIntervalMs);
    this.address = `${config.host}:${config.ports.gossip}`;
    for (const peer of config.peers) {
      const address = `${peer.host}:${peer.gossipPort}`;
      this.addressById.set(peer.id, address);
      this.idByAddress.set(address, peer.id);
    }
    this.detectors = new PeerDetectors(
      () =>
        new PhiAccrualDetector({
          // A peer's datagrams: its probes of us and its acks to ours (each every ~n probe periods), plus gossip. The
          // window learns the real gaps; the pause allowance of two probe periods lets phi pass 8 about when SWIM's
          // suspicion ends, so the two verdicts can be compared.
          firstHeartbeatEstimateMs: 2 * config.settings.gossipProbeIntervalMs,
          acceptableHeartbeatPauseMs: 2 * config.settings.gossipProbeIntervalMs,
          minStdDeviationMs: config.settings.gossipProbeIntervalMs / 2,
        }),
      config.peers.length + 16,
    );
    const tags = loadNodeTags(node.db);
    this.swim = new SwimNode({
      id: config.id,
      address: this.address,
      // An agent publishes its ports and whether it is a core agent: peers learn its address from gossip (node/agent).
      meta: { joinedAtMs: node.clock.nowMs(), tags, ...(config.agent ? { agent: { ports: { http: config.ports.http, peer: config.ports.peer, etcd: config.ports.etcd }, core: config.agent.isCore } } : {}) },
      config: this.config,
      clock: node.clock,
      random: node.random,
    });
    node.onEnvelope('swim', (e) => this.receiveDatagram(e.from, e.body));
    node.onPeersChanged(({ added, removed }) => {
      for (const id of removed) {
        const address = this.addressById.get(id);
        this.addressById.delete(id);
        if (address !== undefined) this.idByAddress.delete(address);
      }
      for (const peer of added) {
        const address = `${peer.host}:${peer.gossipPort}`;
        const old = this.addressById.get(peer.id);
        if (old !== undefined) this.idByAddress.delete(old);
        this.addressById.set(peer.id, address);
        this.idByAddress.set(address, peer.id);
      }
    });
    node.rpc.handle(SWIM_PUSH_PULL, (params, from) => this.receivePushPull(params, from));
    registerGossipRoutes(node.http, this);
  }

  // ---- NodeSubsystem -------------------------------------------------------------------------------------------

  afterListen(): void {
    this.join();
    this.housekeeping = setInterval(() => this.checkDeadWatchers(), HOUSEKEEPING_INTERVAL_MS);
    this.pump();
  }

  /** Graceful leave: gossip our `left` until it has been sent its retransmit limit, or LEAVE_TIMEOUT_MS. */
  async stop(): Promise<void> {
    if (this.isStopped) return;
    if (this.joinTimer) clearTimeout(this.joinTimer);
    if (this.housekeeping) clearInterval(this.housekeeping);
    if (!this.swim.hasLeft() && this.addressById.size > 0) {
      this.swim.leave();
      this.pump();
      const deadline = performance.now() + LEAVE_TIMEOUT_MS;
      while (this.swim.hasPendingLeave() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  status(): { gossip: GossipSummaryView } {
    return { gossip: this.summary() };
  }

  // ---- for other subsystems ------------------------------------------------------------------------------------

  /**
   * Merges keys into this node's gossip meta (e.g. `{core: {role, term, leader}}`, `{configVersion: 12}`) and spreads
   * it with an incarnation bump. A patch that changes nothing costs nothing, so call it on every change of a slow-moving
   * value, never on a timer with fast-moving ones (commit index...). `null` clears a key's value. Throws invalid_argument
   * when the meta would not fit MAX_META_BYTES, or for the driver's own keys (joinedAtMs, tags: see updateTags).
   * Returns whether the meta changed.
   */
  setMeta(patch: Record<string, unknown>): boolean {
    for (const key of Object.keys(patch)) {
      if (RESERVED_META_KEYS.has(key)) throw new CcmError('invalid_argument', `meta.${key} is set by the gossip driver itself`);
    }
    return this.applyMeta(patch);
  }

  /** Sets and removes tags, stores them (a restart publishes them again) and spreads them. */
  updateTags(change: TagChange): NodeTagsResult {
    const tags = applyTagChange(this.swim.meta().tags, change);
    const changed = this.applyMeta({ tags });
    if (changed) {
      saveNodeTags(this.node.db, tags);
      this.node.log.event('gossip-tags-set', `tags now ${formatTags(tags) || '(none)'}`, { tags, incarnation: this.swim.incarnation() });
    }
    return { node: this.node.config.id, incarnation: this.swim.incarnation(), tags, changed };
  }

  /** Every membership event as it happens (joined, suspect, dead, left, alive, refuted, updated-meta). */
  onMemberEvent(listener: (event: MemberEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /**
   * Calls `listener` once when a member has been dead (not left) in this node's view for `afterMs`, and again if it
   * comes back and dies again. The hook for recovery actions: deregister a dead node's service instances, replace a
   * dead core voter. Returns an unsubscribe function.
   */
  onMemberDeadFor(afterMs: number, listener: (notice: DeadMemberNotice) => void): () => void {
    if (!Number.isFinite(afterMs) || afterMs < 0) throw new CcmError('invalid_argument', 'onMemberDeadFor: afterMs must be >= 0');
    const watcher: DeadWatcher = { afterMs, listener, reported: new Map() };
    this.deadWatchers.add(watcher);
    return () => this.deadWatchers.delete(watcher);
  }

  /** The members this node holds (itself included), as SWIM records. */
  members(): MemberView[] {
    return this.swim.members();
  }

  /** The emergent leader of this node's view: the oldest alive member (earliest joinedAtMs, ties by id). */
  emergentLeader(): string | null {
    return emergentLeader(this.swim.members()) ?? null;
  }

  isLocalLeader(): boolean {
    return this.emergentLeader() === this.node.config.id;
  }

  /**
   * How late the driver's timer fired since the last call (p99 and max, ms), and how many firings. The timer fires
   * several times a probe period, so this is an event-loop lag reading that costs no extra wake-up: the health
   * monitor's event-loop-lag check reads it (a 20 ms histogram timer was a quarter of an idle node's CPU).
   */
  takeTimerLateness(): { samples: number; p99Ms: number; maxMs: number } {
    const xs = this.lateness.sort((a, b) => a - b);
    this.lateness = [];
    if (xs.length === 0) return { samples: 0, p99Ms: 0, maxMs: 0 };
    return { samples: xs.length, p99Ms: xs[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)], maxMs: xs[xs.length - 1] };
  }

  // ---- views ---------------------------------------------------------------------------------------------------

  summary(): GossipSummaryView {
    const counts = { alive: 0, suspect: 0, dead: 0, left: 0 };
    const members = this.swim.members();
    for (const m of members) counts[m.state]++;
    return {
      ...counts,
      incarnation: this.swim.incarnation(),
      healthScore: this.swim.localHealthScore(),
      emergentLeader: emergentLeader(members) ?? null,
    };
  }

  membersView(): MembersView {
    const now = this.node.clock.monotonicMs();
    const selfId = this.node.config.id;
    const members = this.swim.members();
    const rows: MemberRow[] = members
      .map((m) => {
        const { joinedAtMs, tags, health, ...rest } = m.meta;
        const phi = m.id === selfId ? 0 : this.detectors.phi(m.id, now);
        return {
          id: m.id,
          address: m.address,
          state: m.state,
          incarnation: m.incarnation,
          phi: Math.round(Math.min(PHI_DISPLAY_MAX, phi) * 100) / 100,
          stateForMs: Math.max(0, Math.round(now - m.stateChangedAtMs)),
          joinedAtMs,
          tags,
          health: healthSummaryOf(health),
          meta: rest,
          isSelf: m.id === selfId,
        };
      })
      .sort((a, b) => compareNodeIds(a.id, b.id));
    const suspicions: SuspicionRow[] = this.swim.suspicions().map((s) => ({
      member: s.memberId,
      incarnation: s.incarnation,
      accusers: s.accusers,
      confirmations: s.confirmations,
      confirmationsWanted: s.confirmationsWanted,
      deadInMs: Math.max(0, Math.round(s.deadlineMs - now)),
    }));
    return { node: selfId, incarnation: this.swim.incarnation(), emergentLeader: emergentLeader(members) ?? null, members: rows, suspicions };
  }

  leaderView(): LeaderView {
    const explanation = explainLeader(this.swim.members());
    const leader = explanation.leader ?? null;
    return {
      node: this.node.config.id,
      leader,
      isSelf: leader === this.node.config.id,
      rule: 'oldest',
      ranking: explanation.ranking.map((r) => ({ id: r.id, joinedAtMs: r.joinedAtMs })),
      passedOver: explanation.passedOver,
    };
  }

  statsView(): GossipStatsView {
    const stats = this.swim.stats();
    return {
      node: this.node.config.id,
      summary: this.summary(),
      swim: { ...stats },
      udp: { ...this.node.udp.stats },
      malformedPackets: stats.malformedPackets,
      lastMalformedReason: this.swim.lastMalformedReason() ?? null,
      pushPullFailures: this.pushPullFailures,
      revenantExchanges: this.revenantExchangeCount,
      joinAttempts: this.joinAttempts,
      isJoined: this.isJoined,
    };
  }

  // ---- the driver loop -----------------------------------------------------------------------------------------

  /** After any input: run what is due, send what the core produced, and sleep until its next deadline. */
  private pump(): void {
    if (this.isStopped) return;
    this.swim.tick();
    const ready = this.swim.drain();
    for (const p of ready.packets) {
      const to = this.idByAddress.get(p.to);
      if (to !== undefined) this.node.udp.send({ kind: 'swim', from: this.node.config.id, to, body: p.packet });
    }
    for (const pp of ready.pushPulls) this.sendPushPull(pp.to, pp.state);
    for (const e of ready.events) this.onEvent(e);
    this.schedule();
  }

  /**
   * One timer, at the core's next deadline. Moved whenever that deadline moves, later as well as earlier: an ack that
   * ends a probe early pushes the deadline from the probe timeout to the next probe, and a timer left at the old one
   * would wake the process for nothing (at 50 nodes, wake-ups are most of an idle node's CPU).
   */
  private schedule(): void {
    const due = this.swim.nextDeadlineMs();
    if (this.timer !== null && due === this.timerDueMs) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerDueMs = Infinity;
    if (!Number.isFinite(due)) return;
    this.timerDueMs = due;
    this.timer = setTimeout(
      () => {
        this.recordLateness(this.node.clock.realMs(this.node.clock.monotonicMs() - due));
        this.timer = null;
        this.timerDueMs = Infinity;
        this.pump();
      },
      // The deadline is in the node's clock, which chaos may run fast or slow (clock-rate): a timer waits real time.
      Math.max(1, Math.ceil(this.node.clock.realMs(due - this.node.clock.monotonicMs()))),
    );
  }

  private recordLateness(lateMs: number): void {
    if (this.lateness.length < MAX_LATENESS_SAMPLES) this.lateness.push(Math.max(0, lateMs));
  }

  private receiveDatagram(from: string, body: unknown): void {
    const address = this.addressById.get(from);
    if (address === undefined || this.isStopped) return;
    if (this.swim.receivePacket(address, body)) {
      const now = this.node.clock.monotonicMs();
      this.detectors.heartbeat(from, now);
      if (this.swim.member(from)?.state === 'dead') this.exchangeWithRevenant(from, address, now);
    } else {
      this.node.rejections.reject('gossip', 'bad_body', from, `swim packet: ${this.swim.lastMalformedReason() ?? 'malformed'}`);
    }
    this.pump();
  }

  /**
   * A datagram from a member we hold dead: its process lives (a false death under load, or a healed partition), but it
   * may not know it was declared dead, and the dead do not get probed, so nothing would tell it until a periodic
   * push-pull (30 s at 50 nodes). Exchange full state with it now: it sees its own death and refutes with a higher
   * incarnation, which every view then believes. At most once per member per REVENANT_EXCHANGE_INTERVAL_MS.
   */
  private exchangeWithRevenant(id: string, address: string, now: number): void {
    const last = this.revenantExchanges.get(id);
    if (last !== undefined && now - last < REVENANT_EXCHANGE_INTERVAL_MS) return;
    if (this.revenantExchanges.size >= this.addressById.size + 16) this.revenantExchanges.clear();
    this.revenantExchanges.set(id, now);
    this.revenantExchangeCount++;
    this.node.log.info(`heard from ${id}, which this node holds dead: exchanging state so it can refute`, { member: id });
    // join() is the core's way to push-pull with given members (it also re-announces us, which is harmless).
    this.swim.join([{ id, address }]);
  }

  private receivePushPull(params: unknown, from: string): PushPullState {
    const address = this.addressById.get(from) ?? this.admitFromState(from, params);
    if (address === undefined) throw new CcmError('invalid_argument', `push-pull from unknown peer ${from}`);
    const malformedBefore = this.swim.stats().malformedPackets;
    const reply = this.swim.receivePushPull(address, params);
    if (this.swim.stats().malformedPackets > malformedBefore) this.node.rejections.reject('peer', 'bad_body', from, `push-pull: ${this.swim.lastMalformedReason() ?? 'malformed'}`);
    this.pump();
    // Someone exchanged full state with us: we are part of a cluster (the first node up joins this way).
    if (!this.isJoined && !this.isStopped) this.markJoined(from);
    return reply;
  }

  /** An agent's first push-pull: its own record in the state names its address (the state is checked again by SWIM). */
  private admitFromState(from: string, params: unknown): string | undefined {
    if (this.admitUnknownPeer === null) return undefined;
    const members = (params as { members?: unknown } | null)?.members;
    if (!Array.isArray(members) || members.length > 10_000) return undefined;
    const own = members.find((m: unknown) => (m as { id?: unknown } | null)?.id === from) as { address?: unknown; meta?: unknown } | undefined;
    if (typeof own?.address !== 'string') return undefined;
    return this.admitUnknownPeer(from, own.address, own.meta);
  }

  private sendPushPull(toAddress: string, state: PushPullState): void {
    const to = this.idByAddress.get(toAddress);
    if (to === undefined) return;
    this.node.rpc.call(to, SWIM_PUSH_PULL, state, PUSH_PULL_TIMEOUT_MS).then(
      (reply) => {
        if (this.isStopped) return;
        this.swim.receivePushPullReply(toAddress, reply);
        this.pump();
        if (state.join && !this.isJoined) this.markJoined(to);
      },
      () => {
        this.pushPullFailures++;
      },
    );
  }

  // ---- join ----------------------------------------------------------------------------------------------------

  /** Pushes and pulls state with the seeds (core voters and a couple of random peers) until one answers. */
  private join(): void {
    this.joinTimer = null;
    if (this.isStopped || this.isJoined || this.swim.hasLeft()) return;
    if (this.addressById.size === 0) {
      this.isJoined = true;
      return;
    }
    this.joinAttempts++;
    const seeds = this.pickSeeds();
    this.swim.join(seeds.map((id) => ({ id, address: this.addressById.get(id)! })));
    this.pump();
    this.joinTimer = setTimeout(() => this.join(), backoffMs(this.joinAttempts - 1, JOIN_RETRY));
    if (this.joinAttempts > 1 && this.joinAttempts % 5 === 0) {
      this.node.log.warn('still joining: no seed has answered', { attempts: this.joinAttempts, seeds });
    }
  }

  private markJoined(via: string): void {
    this.isJoined = true;
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    const s = this.summary();
    this.node.log.event('gossip-joined', `joined the cluster through ${via} (${s.alive} alive, incarnation ${s.incarnation})`, {
      via,
      attempts: this.joinAttempts,
      incarnation: s.incarnation,
    });
  }

  /**
   * The core voters; from the second attempt on, a couple of random peers too. Every push-pull opens a TCP connection
   * that stays, on an ephemeral port: during `ccm up --nodes 50` those can land on a port allocated to a node still
   * starting, so the first attempt keeps to the few seeds every node shares.
   */
  private pickSeeds(): string[] {
    const self = this.node.config.id;
    const seeds = new Set(this.node.config.core.filter((id) => id !== self && this.addressById.has(id)));
    const others = [...this.addressById.keys()].filter((id) => !seeds.has(id));
    const extra = seeds.size === 0 || this.joinAttempts > 1 ? EXTRA_SEEDS : 0;
    for (let i = 0; i < extra && others.length > 0; i++) {
      const j = this.node.random.int(0, others.length - 1);
      seeds.add(others[j]);
      others.splice(j, 1);
    }
    return [...seeds];
  }

  // ---- meta and events -----------------------------------------------------------------------------------------

  private applyMeta(patch: Record<string, unknown>): boolean {
    if (this.swim.hasLeft()) return false;
    const current = this.swim.meta();
    const next = { ...current, ...patch } as MemberMeta;
    if (jsonEquals(next, current)) return false;
    this.swim.setMeta(patch as Partial<MemberMeta>);
    this.pump();
    return true;
  }

  private onEvent(e: MemberEvent): void {
    // News that a member joined starts its phi clock, so a member that dies before it ever sent us a datagram still
    // shows a rising phi rather than 0 ("never heard").
    if (e.type === 'joined' && e.memberId !== this.node.config.id) this.detectors.heartbeat(e.memberId, this.node.clock.monotonicMs());
    // Our own meta changes are logged by whoever made them (tags, health), in their words.
    if (e.type !== 'updated-meta' || e.memberId !== this.node.config.id) {
      const { type, message, fields } = describeEvent(e, this.node.config.id);
      this.node.log.event(type, message, fields);
    }
    for (const l of this.eventListeners) {
      try {
        l(e);
      } catch (err) {
        this.node.log.error('member event listener failed', { error: (err as Error).message });
      }
    }
  }

  private checkDeadWatchers(): void {
    if (this.deadWatchers.size === 0) return;
    const now = this.node.clock.monotonicMs();
    const members = this.swim.members();
    const isLocalLeader = (emergentLeader(members) ?? null) === this.node.config.id;
    for (const w of this.deadWatchers) {
      for (const m of members) {
        if (m.state !== 'dead') continue;
        const deadForMs = now - m.stateChangedAtMs;
        if (deadForMs < w.afterMs || w.reported.get(m.id) === m.incarnation) continue;
        w.reported.set(m.id, m.incarnation);
        try {
          w.listener({ id: m.id, incarnation: m.incarnation, deadForMs: Math.round(deadForMs), meta: m.meta, isLocalLeader });
        } catch (err) {
          this.node.log.error('dead-member listener failed', { member: m.id, error: (err as Error).message });
        }
      }
    }
  }
}

/** meta.health if it has the HealthSummary shape, else null (meta comes from the network). */
export function healthSummaryOf(value: unknown): HealthSummary | null {
  if (typeof value !== 'object' || value === null) return null;
  const h = value as Record<string, unknown>;
  if (h.status !== 'passing' && h.status !== 'warning' && h.status !== 'critical') return null;
  const failing = Array.isArray(h.failing) ? h.failing.filter((x): x is string => typeof x === 'string') : [];
  return { status: h.status, failing };
}

/** n2 < n10; anything else by string order. */
export function compareNodeIds(a: string, b: string): number {
  const na = /^n\d+$/.test(a) ? Number(a.slice(1)) : NaN;
  const nb = /^n\d+$/.test(b) ? Number(b.slice(1)) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatTags(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A membership event as an event-log entry: type `member-<event>`, a sentence saying why, and the fields. */
export function describeEvent(e: MemberEvent, selfId: string): { type: string; message: string; fields: Record<string, unknown> } {
  const base = { member: e.memberId, incarnation: e.incarnation, via: e.via };
  const who = e.memberId;
  switch (e.type) {
    case 'joined':
      return { type: 'member-joined', message: `${who} joined (incarnation ${e.incarnation}, learnt by ${e.via})`, fields: { ...base, address: e.address } };
    case 'alive':
      return { type: 'member-alive', message: `${who} is alive again: it refuted the suspicion (incarnation ${e.incarnation})`, fields: { ...base, previousState: e.previousState } };
    case 'suspect':
      return {
        type: 'member-suspect',
        message: `${who} suspected by ${e.accuser} (incarnation ${e.incarnation}); dead in ${e.timeoutMinMs}-${e.timeoutMaxMs} ms unless it refutes (${e.confirmationsWanted} confirmation${e.confirmationsWanted === 1 ? '' : 's'} shorten it)`,
        fields: { ...base, accuser: e.accuser, timeoutMinMs: e.timeoutMinMs, timeoutMaxMs: e.timeoutMaxMs, confirmationsWanted: e.confirmationsWanted },
      };
    case 'suspect-confirmed':
      return {
        type: 'member-suspect-confirmed',
        message: `${e.confirmer} also suspects ${who} (${e.confirmations}/${e.confirmationsWanted} confirmations)`,
        fields: { ...base, confirmer: e.confirmer, confirmations: e.confirmations, confirmationsWanted: e.confirmationsWanted },
      };
    case 'dead': {
      const why =
        e.cause === 'suspicion-timeout'
          ? `our suspicion timer ran out after ${Math.round(e.suspectedForMs ?? 0)} ms (accusers ${e.accusers.join(', ')}, ${e.confirmations} confirmation${e.confirmations === 1 ? '' : 's'})`
          : `${e.declaredBy} declared it dead${e.suspectedForMs !== undefined ? ` (we had suspected it for ${Math.round(e.suspectedForMs)} ms)` : ''}`;
      return {
        type: 'member-dead',
        message: `${who} is dead: ${why}`,
        fields: { ...base, declaredBy: e.declaredBy, cause: e.cause, accusers: e.accusers, confirmations: e.confirmations, suspectedForMs: e.suspectedForMs },
      };
    }
    case 'left':
      return { type: 'member-left', message: who === selfId ? `${who} is leaving the cluster` : `${who} left the cluster`, fields: base };
    case 'updated-meta': {
      const keys = [...new Set([...Object.keys(e.meta), ...Object.keys(e.previousMeta)])].filter((k) => !jsonEquals(e.meta[k], e.previousMeta[k]));
      const parts = keys.map((k) => (k === 'tags' ? `tags ${formatTags(e.meta.tags) || '(none)'}` : `${k} ${JSON.stringify(e.meta[k])}`));
      return { type: 'member-updated', message: `${who} updated ${parts.join('; ')} (incarnation ${e.incarnation})`, fields: { ...base, changed: keys } };
    }
    case 'refuted':
      return {
        type: 'member-refuted',
        message: `refuted ${e.accusation === 'alive' ? 'an older self' : `being called ${e.accusation}`}${e.accuser ? ` by ${e.accuser}` : ''}: incarnation ${e.accusedIncarnation} -> ${e.incarnation}`,
        fields: { ...base, accusation: e.accusation, accuser: e.accuser, accusedIncarnation: e.accusedIncarnation },
      };
  }
}
