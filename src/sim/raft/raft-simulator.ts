/**
 * Deterministic simulation of a Raft cluster (FoundationDB / TigerBeetle VOPR style): N RawNodes in one process,
 * one seeded Random driving virtual time, the network, faults and the client workload. A run has two phases:
 *
 *  1. faults — for `steps` events: crashes and restarts, partitions (split, isolate, one-way), loss bursts,
 *     duplication, late (reordered) and clogged paths, while clients propose, read (ReadIndex), transfer
 *     leadership, change membership (add a learner, promote it, remove a voter or learner) and force elections;
 *  2. heal — faults stop, every node restarts, and a fresh proposal must commit on every voter in time (liveness).
 *
 * After every step the invariant checker sees what changed; the first violation ends the run. The same seed
 * replays the same run bit for bit: `npx ccm sim raft --seed N`.
 */
import {
  NotLeaderError,
  ProposalDroppedError,
  RaftArgumentError,
  RaftError,
  describeRaftEvent,
  type ConfChange,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftEvent,
} from '../../raft/index.js';
import { SeededRandom, shuffle } from '../../random/random.js';
import { EventQueue } from './event-queue.js';
import { RaftInvariantChecker, type RaftViolation } from './raft-invariants.js';
import { SimNetwork } from './sim-network.js';
import { SimRaftNode, type RaftSimBug, type SimNodeHost } from './sim-node.js';
import { formatTraceLine, TRACE_HEADER } from './trace-line.js';

export type { RaftSimBug } from './sim-node.js';
export type { RaftViolation, RaftViolationKind } from './raft-invariants.js';

export interface RaftSimOptions {
  seed: number;
  /** Initial voters, 1..9. Default 5. */
  nodes?: number;
  /** Events in the fault phase. Default DEFAULT_RAFT_SIM_STEPS. */
  steps?: number;
  /** Virtual time the heal phase may take to show liveness. Default 10 000 ms. */
  livenessTimeoutMs?: number;
  /** Receives the trace, one line per event (header first). */
  trace?: (line: string) => void;
  /** Inject a durability defect (tests of the checkers only). */
  bug?: RaftSimBug;
}

export interface RaftSimStats {
  leadersElected: number;
  entriesCommitted: number;
  proposalsAccepted: number;
  proposalsRejected: number;
  snapshotsSent: number;
  snapshotsRestored: number;
  confChangesProposed: number;
  confChangesApplied: number;
  readsRequested: number;
  readsAnswered: number;
  transfersRequested: number;
  forcedElections: number;
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  faults: {
    crashes: number;
    restarts: number;
    partitions: number;
    oneWayPartitions: number;
    isolations: number;
    lossBursts: number;
    duplicationBursts: number;
    reorderBursts: number;
    clogs: number;
    total: number;
  };
}

/** The per-seed parameters drawn at the start (shown in the summary, so a run is understood without its trace). */
export interface RaftSimParams {
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  maxCommittedSizePerReadyBytes: number;
  maxUncommittedEntriesBytes: number;
  snapshotEveryEntries: number;
  snapshotKeepEntries: number;
  delayMsMean: number;
}

export interface RaftSimReport {
  seed: number;
  nodes: number;
  ok: boolean;
  violations: RaftViolation[];
  /** Steps (events) executed in both phases. */
  steps: number;
  /** Virtual time at the end. */
  timeMs: number;
  /** Whether the heal phase reached a committed fresh proposal on every voter. */
  livenessReached: boolean;
  params: RaftSimParams;
  stats: RaftSimStats;
  bug?: RaftSimBug;
}

export const DEFAULT_RAFT_SIM_NODES = 5;
export const DEFAULT_RAFT_SIM_STEPS = 8000;
const TICK_MS = 10;
const MAX_NODES = 9;

type SimEvent =
  | { kind: 'tick'; node: SimRaftNode; incarnation: number }
  | { kind: 'deliver'; msg: Message; lost: boolean }
  | { kind: 'ready'; node: SimRaftNode; incarnation: number }
  | { kind: 'client' }
  | { kind: 'fault' }
  | { kind: 'restart'; node: SimRaftNode }
  | { kind: 'decommission'; node: SimRaftNode }
  | { kind: 'heal-partition'; epoch: number }
  | { kind: 'restore-network' }
  | { kind: 'liveness-check' };

/** Runs one seed and returns the report; never throws for a protocol failure (it becomes a violation). */
export function runRaftSimulation(options: RaftSimOptions): RaftSimReport {
  return new RaftSimulation(options).run();
}

class RaftSimulation implements SimNodeHost {
  readonly checker = new RaftInvariantChecker();
  private readonly rng: SeededRandom;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly network: SimNetwork;
  private readonly nodes = new Map<NodeId, SimRaftNode>();
  private readonly tickIntervalMs = new Map<NodeId, number>();
  private readonly dirty = new Set<SimRaftNode>();
  private readonly params: RaftSimParams;
  private readonly baseConfig: Omit<RaftConfig, 'id'>;
  private readonly stats: RaftSimStats = emptyStats();
  private readonly nodeCount: number;
  private readonly stepsLimit: number;
  private step = 0;
  private nowMs = 0;
  private phase: 'faults' | 'heal' = 'faults';
  private seq = 0;
  private partitionEpoch = 0;
  private nextNodeNumber: number;
  private readonly baselineFaults: { lossProbability: number; duplicateProbability: number; lateProbability: number };
  private liveness: { index: number; term: number; proposedAtMs: number } | undefined;
  private livenessReached = false;
  private readonly decommissionScheduled = new Set<NodeId>();
  private readonly confChangeIndexes = new Set<number>();
  /** Nodes whose removal some node applied (committed). */
  private readonly removed = new Set<NodeId>();

  constructor(private readonly options: RaftSimOptions) {
    this.nodeCount = options.nodes ?? DEFAULT_RAFT_SIM_NODES;
    if (!Number.isInteger(this.nodeCount) || this.nodeCount < 1 || this.nodeCount > MAX_NODES) {
      throw new RangeError(`nodes must be an integer in [1, ${MAX_NODES}] (got ${this.nodeCount})`);
    }
    this.stepsLimit = options.steps ?? DEFAULT_RAFT_SIM_STEPS;
    if (!Number.isInteger(this.stepsLimit) || this.stepsLimit < 0) throw new RangeError(`steps must be a non-negative integer (got ${this.stepsLimit})`);
    this.rng = new SeededRandom(options.seed);
    this.nextNodeNumber = this.nodeCount + 1;
    const r = this.rng;
    const electionTicks = r.int(4, 10);
    this.params = {
      electionTicks,
      heartbeatTicks: r.int(1, Math.min(2, electionTicks - 1)),
      preVote: r.next() < 0.9,
      checkQuorum: r.next() < 0.9,
      maxSizePerMsgBytes: pick(r, [96, 512, 4096, 1024 * 1024]),
      maxInflightMsgs: pick(r, [1, 2, 4, 16, 256]),
      maxCommittedSizePerReadyBytes: pick(r, [64, 1024, 1024 * 1024]),
      maxUncommittedEntriesBytes: pick(r, [400, 64 * 1024 * 1024, 64 * 1024 * 1024]),
      snapshotEveryEntries: r.int(3, 40),
      snapshotKeepEntries: r.int(0, 8),
      delayMsMean: r.int(1, 8),
    };
    this.baseConfig = {
      electionTicks: this.params.electionTicks,
      heartbeatTicks: this.params.heartbeatTicks,
      preVote: this.params.preVote,
      checkQuorum: this.params.checkQuorum,
      maxSizePerMsgBytes: this.params.maxSizePerMsgBytes,
      maxInflightMsgs: this.params.maxInflightMsgs,
      maxCommittedSizePerReadyBytes: this.params.maxCommittedSizePerReadyBytes,
      maxUncommittedEntriesBytes: this.params.maxUncommittedEntriesBytes,
    };
    this.network = new SimNetwork(this.rng.fork(), { delayMsMin: 1, delayMsMean: this.params.delayMsMean, lateDelayMsMax: 40 * TICK_MS });
    this.baselineFaults = {
      lossProbability: r.next() < 0.5 ? 0 : r.next() * 0.03,
      duplicateProbability: r.next() < 0.5 ? 0 : r.next() * 0.03,
      lateProbability: r.next() < 0.5 ? 0 : r.next() * 0.05,
    };
    this.network.faults = { ...this.baselineFaults };
  }

  run(): RaftSimReport {
    this.trace(TRACE_HEADER);
    this.traceCluster(
      `start: ${this.nodeCount} voters, election ${this.params.electionTicks} ticks, heartbeat ${this.params.heartbeatTicks}, ` +
        `pre-vote ${this.params.preVote}, check-quorum ${this.params.checkQuorum}, msg ${this.params.maxSizePerMsgBytes} B, ` +
        `inflight ${this.params.maxInflightMsgs}, snapshot every ${this.params.snapshotEveryEntries}${this.options.bug ? `, BUG ${this.options.bug}` : ''}`,
    );
    const ids: NodeId[] = [];
    for (let i = 1; i <= this.nodeCount; i++) ids.push(`n${i}`);
    for (const id of ids) {
      const node = this.createNode(id);
      const raw = node.start(this.rng.fork());
      raw.bootstrap(ids);
      node.processReady(); // the bootstrap entries are durable before anything can crash
      this.queue.push(this.rng.int(0, TICK_MS), { kind: 'tick', node, incarnation: node.incarnation });
    }
    this.queue.push(this.rng.int(1, 10), { kind: 'client' });
    this.queue.push(this.rng.int(20, 100), { kind: 'fault' });

    try {
      while (this.checker.ok) {
        if (this.phase === 'faults' && this.step >= this.stepsLimit) this.startHealPhase();
        if (this.phase === 'heal' && (this.livenessReached || this.nowMs > this.healDeadlineMs)) break;
        const next = this.queue.pop();
        if (next === undefined) break;
        this.nowMs = next.timeMs;
        this.step++;
        this.checker.setClock(this.step, this.nowMs);
        this.handle(next.item);
        this.checkDirty();
      }
    } catch (err) {
      const e = err as Error;
      this.checker.report('node-error', `${e.name}: ${e.message}`);
    }
    if (this.checker.ok && !this.livenessReached) this.reportLivenessFailure();
    for (const v of this.checker.violations) this.traceCluster(`VIOLATION ${v.kind}: ${v.description}`);
    this.stats.leadersElected = this.checker.leadersElected;
    this.stats.entriesCommitted = this.checker.maxCommitted;
    return {
      seed: this.options.seed,
      nodes: this.nodeCount,
      ok: this.checker.ok,
      violations: [...this.checker.violations],
      steps: this.step,
      timeMs: this.nowMs,
      livenessReached: this.livenessReached,
      params: this.params,
      stats: this.stats,
      ...(this.options.bug ? { bug: this.options.bug } : {}),
    };
  }

  private healDeadlineMs = Number.POSITIVE_INFINITY;

  // ---------------------------------------------------------------------------------------------------------
  // Nodes

  private createNode(id: NodeId): SimRaftNode {
    const node = new SimRaftNode(
      id,
      { ...this.baseConfig, id },
      this,
      { everyEntries: this.params.snapshotEveryEntries, keepEntries: this.params.snapshotKeepEntries },
      this.options.bug,
    );
    this.nodes.set(id, node);
    // Each node's clock runs at its own rate (8-12 ms per 10 ms tick): skew for free.
    this.tickIntervalMs.set(id, this.rng.int(TICK_MS - 2, TICK_MS + 2));
    return node;
  }

  private startNode(node: SimRaftNode): void {
    node.start(this.rng.fork());
    this.queue.push(this.nowMs + this.rng.int(1, TICK_MS), { kind: 'tick', node, incarnation: node.incarnation });
    this.scheduleReady(node);
    this.dirty.add(node);
  }

  private scheduleReady(node: SimRaftNode): void {
    if (node.readyScheduled || node.raw === undefined || !node.raw.hasReady()) return;
    node.readyScheduled = true;
    // Disk latency: inputs that arrive meanwhile join the same Ready (group commit).
    const delay = this.rng.next() < 0.7 ? 0 : this.rng.int(1, 3);
    this.queue.push(this.nowMs + delay, { kind: 'ready', node, incarnation: node.incarnation });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Events

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick': {
        const node = ev.node;
        if (node.raw === undefined || node.incarnation !== ev.incarnation) return;
        const raw = node.raw;
        this.guarded(node, () => raw.tick());
        this.dirty.add(node);
        this.scheduleReady(node);
        this.queue.push(this.nowMs + (this.tickIntervalMs.get(node.id) ?? TICK_MS), ev);
        return;
      }
      case 'ready': {
        const node = ev.node;
        if (node.raw === undefined || node.incarnation !== ev.incarnation) return;
        node.readyScheduled = false;
        this.guarded(node, () => node.processReady());
        this.dirty.add(node);
        this.scheduleReady(node);
        return;
      }
      case 'deliver':
        this.deliver(ev.msg, ev.lost);
        return;
      case 'client':
        this.clientAction();
        this.queue.push(this.nowMs + this.rng.int(1, 12), ev);
        return;
      case 'fault':
        if (this.phase !== 'faults') return;
        this.injectFault();
        this.queue.push(this.nowMs + this.rng.int(20, 120), ev);
        return;
      case 'restart':
        if (ev.node.isUp || ev.node.decommissioned) return;
        this.guarded(ev.node, () => this.startNode(ev.node));
        this.stats.faults.restarts++;
        this.traceNode(ev.node, 'restarted from durable state');
        return;
      case 'decommission':
        if (ev.node.decommissioned) return;
        if (ev.node.isUp) ev.node.crash();
        ev.node.decommissioned = true;
        this.traceNode(ev.node, 'decommissioned (removed from the configuration)');
        return;
      case 'heal-partition':
        if (ev.epoch !== this.partitionEpoch || !this.network.isPartitioned()) return;
        this.network.healPartitions();
        this.traceCluster('partition healed');
        return;
      case 'restore-network':
        if (this.phase !== 'faults') return;
        this.network.faults = { ...this.baselineFaults };
        this.traceCluster('network loss/duplication/reordering back to baseline');
        return;
      case 'liveness-check':
        this.livenessCheck();
        if (!this.livenessReached) this.queue.push(this.nowMs + 20, ev);
        return;
    }
  }

  /** Host: a node's Ready sends a message. */
  send(from: SimRaftNode, m: Message): void {
    this.stats.messagesSent++;
    const to = this.nodes.get(m.to);
    if (to === undefined || to.decommissioned || !this.network.canReach(m.from, m.to)) {
      this.stats.messagesDropped++;
      // A transport notices a dead connection: sometimes the sender hears of it.
      if (m.type === 'snap') from.raw?.reportSnapshot(m.to, false);
      else if (this.rng.next() < 0.3) from.raw?.reportUnreachable(m.to);
      return;
    }
    const delays = this.network.delaysFor(m.from, m.to, this.nowMs);
    if (delays.length === 0) {
      this.stats.messagesDropped++;
      // A lost snapshot is still reported (as a failed stream would be), or the follower would wait forever.
      if (m.type === 'snap') this.queue.push(this.nowMs + 1, { kind: 'deliver', msg: m, lost: true });
      return;
    }
    for (const d of delays) this.queue.push(this.nowMs + d, { kind: 'deliver', msg: m, lost: false });
  }

  private deliver(m: Message, lost: boolean): void {
    const to = this.nodes.get(m.to);
    const from = this.nodes.get(m.from);
    const arrives = !lost && to !== undefined && to.raw !== undefined && this.network.canReach(m.from, m.to);
    if (m.type === 'snap' && from?.raw !== undefined) {
      from.raw.reportSnapshot(m.to, arrives);
      this.dirty.add(from);
      this.scheduleReady(from);
    }
    if (!arrives || to === undefined || to.raw === undefined) {
      if (!lost) this.stats.messagesDropped++;
      return;
    }
    this.stats.messagesDelivered++;
    const raw = to.raw;
    this.guarded(to, () => raw.step(m));
    this.dirty.add(to);
    this.scheduleReady(to);
  }

  /**
   * Runs a node's action. Normally an exception is a bug and ends the run (a 'node-error' violation). With a
   * defect injected, a node tripping its own assertions is expected: like the supervisor, restart it and
   * keep going, so the checkers see what the defect does to the cluster's guarantees.
   */
  private guarded(node: SimRaftNode, action: () => void): void {
    if (this.options.bug === undefined) {
      action();
      return;
    }
    try {
      action();
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      this.traceNode(node, `crashed on ${err.name}: ${err.message} (restarted by the supervisor)`);
      if (node.isUp) node.crash();
      this.queue.push(this.nowMs + 10 * TICK_MS, { kind: 'restart', node });
    }
  }

  /** Host: events from a Ready go to the trace and the stats. */
  onEvents(node: SimRaftNode, events: RaftEvent[]): void {
    for (const e of events) {
      if (e.type === 'snapshot-sent') this.stats.snapshotsSent++;
      else if (e.type === 'snapshot-restored') this.stats.snapshotsRestored++;
      else if (e.type === 'role-changed' && e.to === 'leader') this.checker.observeLeader(node.id, e.term);
      if (this.options.trace !== undefined && e.type !== 'vote-granted' && e.type !== 'vote-refused') this.traceNode(node, describeRaftEvent(e));
    }
  }

  /**
   * Host: a node applied a committed conf change. A removed node is shut down for good, as an operator would,
   * but only once every remaining voter has applied its removal: until then it may still have to vote for
   * a successor (a voter that has not learned the removal committed still counts it).
   */
  onConfChangeApplied(node: SimRaftNode, cc: ConfChange, index: number): void {
    if (!this.confChangeIndexes.has(index)) {
      this.confChangeIndexes.add(index);
      if (index > this.nodeCount) this.stats.confChangesApplied++; // not the bootstrap entries
    }
    if (cc.type === 'remove-node') this.removed.add(cc.nodeId);
    for (const id of this.removed) {
      if (this.decommissionScheduled.has(id)) continue;
      const target = this.nodes.get(id);
      if (target === undefined) continue;
      const voters = node.confState.voters;
      if (voters.includes(id)) continue;
      const allApplied = voters.every((v) => {
        const n = this.nodes.get(v);
        return n !== undefined && !n.confState.voters.includes(id) && !n.confState.learners.includes(id);
      });
      if (!allApplied) continue;
      this.decommissionScheduled.add(id);
      this.queue.push(this.nowMs + this.rng.int(0, 50 * TICK_MS), { kind: 'decommission', node: target });
    }
  }

  onReadAnswered(): void {
    this.stats.readsAnswered++;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Workload

  /** The node a client would find as leader: the leader with the highest term among the nodes up. */
  private currentLeader(): SimRaftNode | undefined {
    let best: SimRaftNode | undefined;
    let bestTerm = -1;
    for (const node of this.nodes.values()) {
      if (node.raw === undefined || node.raw.role !== 'leader') continue;
      const term = node.raw.basicStatus().term;
      if (term > bestTerm) {
        best = node;
        bestTerm = term;
      }
    }
    return best;
  }

  private upNodes(): SimRaftNode[] {
    return [...this.nodes.values()].filter((n) => n.raw !== undefined);
  }

  private clientAction(): void {
    const leader = this.currentLeader();
    // Without a leader, clients mostly wait; now and then one asks a node that is not the leader: it must refuse.
    if (leader === undefined && this.rng.next() < 0.9) return;
    const up = this.upNodes();
    const target = leader === undefined || this.rng.next() < 0.1 ? (up.length > 0 ? up[this.rng.int(0, up.length - 1)] : undefined) : leader;
    if (target?.raw === undefined) return;
    const raw = target.raw;
    const r = this.rng.next();
    const faultPhase = this.phase === 'faults';
    try {
      if (r < 0.72) {
        const seq = ++this.seq;
        const pad = this.rng.next() < 0.1 ? 'x'.repeat(this.rng.int(1, 300)) : '';
        raw.propose(`c${seq}${pad}`);
        this.stats.proposalsAccepted++;
      } else if (r < 0.88) {
        const ctx = `r${++this.seq}`;
        this.checker.observeReadRequested(ctx);
        this.stats.readsRequested++;
        try {
          raw.readIndex(ctx);
        } catch (err) {
          this.checker.forgetRead(ctx);
          this.stats.readsRequested--;
          throw err;
        }
      } else if (faultPhase && r < 0.895) {
        const voters = target.confState.voters.filter((v) => v !== target.id);
        if (voters.length > 0) {
          const to = voters[this.rng.int(0, voters.length - 1)];
          raw.transferLeader(to);
          this.stats.transfersRequested++;
          this.traceNode(target, `client: transfer leadership to ${to}`);
        }
      } else if (faultPhase && r < 0.915) {
        this.proposeConfChange(target);
      } else if (faultPhase && r < 0.92) {
        const node = up[this.rng.int(0, up.length - 1)];
        node.raw?.campaign();
        this.stats.forcedElections++;
        this.traceNode(node, 'client: forced campaign');
        this.dirty.add(node);
        this.scheduleReady(node);
      }
    } catch (err) {
      if (err instanceof NotLeaderError || err instanceof ProposalDroppedError || err instanceof RaftArgumentError) {
        this.stats.proposalsRejected++;
      } else {
        throw err;
      }
    }
    this.dirty.add(target);
    this.scheduleReady(target);
  }

  private proposeConfChange(leader: SimRaftNode): void {
    const raw = leader.raw;
    if (raw === undefined || raw.role !== 'leader') return;
    const cs = raw.status().confState;
    const minVoters = Math.max(1, Math.min(this.nodeCount, 3));
    const options: (() => void)[] = [];
    if (this.nodes.size < Math.min(MAX_NODES, this.nodeCount + 3)) {
      options.push(() => {
        const id = `n${this.nextNodeNumber}`;
        raw.proposeConfChange({ type: 'add-learner', nodeId: id });
        this.nextNodeNumber++;
        const node = this.createNode(id);
        this.startNode(node); // a joiner: empty storage, no bootstrap
        this.onConfChangeProposed(leader, `add-learner ${id}`);
      });
    }
    for (const l of cs.learners) {
      options.push(() => {
        raw.proposeConfChange({ type: 'add-voter', nodeId: l });
        this.onConfChangeProposed(leader, `add-voter ${l} (promote)`);
      });
      options.push(() => {
        raw.proposeConfChange({ type: 'remove-node', nodeId: l });
        this.onConfChangeProposed(leader, `remove-node ${l} (learner)`);
      });
    }
    if (cs.voters.length > minVoters) {
      for (const v of cs.voters) {
        options.push(() => {
          raw.proposeConfChange({ type: 'remove-node', nodeId: v });
          this.onConfChangeProposed(leader, `remove-node ${v}${v === leader.id ? ' (the leader itself)' : ''}`);
        });
      }
    }
    if (options.length > 0) options[this.rng.int(0, options.length - 1)]();
  }

  private onConfChangeProposed(leader: SimRaftNode, what: string): void {
    this.stats.confChangesProposed++;
    this.traceNode(leader, `client: propose conf change ${what}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Faults

  private injectFault(): void {
    const r = this.rng.next();
    const f = this.stats.faults;
    const live = [...this.nodes.values()].filter((n) => !n.decommissioned);
    if (r < 0.25) {
      const up = live.filter((n) => n.isUp);
      const down = live.length - up.length;
      // Mostly keep a majority up; sometimes take down more (safety must hold regardless).
      const maxDown = this.rng.next() < 0.1 ? live.length : Math.floor((live.length - 1) / 2);
      if (up.length === 0 || down >= maxDown) return;
      // Leaders crash more often than others: leader churn is where Raft's subtle cases live (Figure 8).
      const leader = this.currentLeader();
      const victim = leader !== undefined && this.rng.next() < 0.4 ? leader : up[this.rng.int(0, up.length - 1)];
      victim.crash();
      f.crashes++;
      f.total++;
      this.traceNode(victim, 'crashed (volatile state lost)');
      const downtime = this.rng.next() < 0.8 ? this.rng.int(10, 60) * TICK_MS : this.rng.int(60, 300) * TICK_MS;
      this.queue.push(this.nowMs + downtime, { kind: 'restart', node: victim });
    } else if (r < 0.45) {
      if (live.length < 2) return;
      const ids = shuffle(live.map((n) => n.id), this.rng);
      this.partitionEpoch++;
      this.network.healPartitions();
      const kind = this.rng.next();
      if (kind < 0.4) {
        const cut = this.rng.int(1, ids.length - 1);
        this.network.partition(ids.slice(0, cut), ids.slice(cut));
        f.partitions++;
        this.traceCluster(`partition {${ids.slice(0, cut).sort().join(',')}} | {${ids.slice(cut).sort().join(',')}}`);
      } else if (kind < 0.7) {
        this.network.partition([ids[0]], ids.slice(1));
        f.isolations++;
        this.traceCluster(`isolate ${ids[0]}`);
      } else {
        const pairs = this.rng.int(1, ids.length - 1);
        const desc: string[] = [];
        for (let i = 0; i < pairs; i++) {
          const a = ids[this.rng.int(0, ids.length - 1)];
          const b = ids[this.rng.int(0, ids.length - 1)];
          if (a === b) continue;
          this.network.blockOneWay(a, b);
          desc.push(`${a}->${b}`);
        }
        f.oneWayPartitions++;
        this.traceCluster(`one-way partition: ${desc.join(' ') || '(none)'} blocked`);
      }
      f.total++;
      const duration = this.rng.int(5, 150) * TICK_MS;
      this.queue.push(this.nowMs + duration, { kind: 'heal-partition', epoch: this.partitionEpoch });
    } else if (r < 0.55) {
      this.network.faults.lossProbability = 0.05 + this.rng.next() * 0.3;
      f.lossBursts++;
      f.total++;
      this.traceCluster(`loss burst: ${(this.network.faults.lossProbability * 100).toFixed(0)}% of messages lost`);
      this.queue.push(this.nowMs + this.rng.int(5, 100) * TICK_MS, { kind: 'restore-network' });
    } else if (r < 0.63) {
      this.network.faults.duplicateProbability = 0.05 + this.rng.next() * 0.3;
      f.duplicationBursts++;
      f.total++;
      this.traceCluster(`duplication burst: ${(this.network.faults.duplicateProbability * 100).toFixed(0)}% of messages twice`);
      this.queue.push(this.nowMs + this.rng.int(5, 100) * TICK_MS, { kind: 'restore-network' });
    } else if (r < 0.71) {
      this.network.faults.lateProbability = 0.05 + this.rng.next() * 0.3;
      f.reorderBursts++;
      f.total++;
      this.traceCluster(`reorder burst: ${(this.network.faults.lateProbability * 100).toFixed(0)}% of messages late`);
      this.queue.push(this.nowMs + this.rng.int(5, 100) * TICK_MS, { kind: 'restore-network' });
    } else if (r < 0.76) {
      if (live.length < 2) return;
      const a = live[this.rng.int(0, live.length - 1)].id;
      const b = live[this.rng.int(0, live.length - 1)].id;
      if (a === b) return;
      const extra = this.rng.int(5, 60) * TICK_MS;
      this.network.clog(a, b, this.nowMs + this.rng.int(5, 100) * TICK_MS, extra);
      f.clogs++;
      f.total++;
      this.traceCluster(`clog ${a}->${b}: +${extra} ms`);
    }
  }

  private startHealPhase(): void {
    this.phase = 'heal';
    this.network.healAll();
    this.partitionEpoch++;
    this.traceCluster('heal: faults stop, every node restarts; waiting for liveness');
    for (const node of this.nodes.values()) {
      if (!node.isUp && !node.decommissioned) {
        this.startNode(node);
        this.stats.faults.restarts++;
        this.traceNode(node, 'restarted for the heal phase');
      }
    }
    this.healDeadlineMs = this.nowMs + (this.options.livenessTimeoutMs ?? 10_000);
    this.queue.push(this.nowMs + 20, { kind: 'liveness-check' });
  }

  /** Liveness: a leader exists and a fresh proposal is applied by every voter of its configuration. */
  private livenessCheck(): void {
    const leader = this.currentLeader();
    if (leader?.raw === undefined) return;
    const raw = leader.raw;
    if (this.liveness === undefined || this.nowMs - this.liveness.proposedAtMs > 300 * TICK_MS) {
      try {
        const { index, term } = raw.propose(`liveness-${this.options.seed}-${this.nowMs}`);
        this.liveness = { index, term, proposedAtMs: this.nowMs };
        this.traceNode(leader, `heal: liveness proposal at ${index}/${term}`);
        this.dirty.add(leader);
        this.scheduleReady(leader);
      } catch (err) {
        if (!(err instanceof ProposalDroppedError || err instanceof NotLeaderError)) throw err;
      }
      return;
    }
    const { index, term } = this.liveness;
    if (this.checker.appliedTermAt(index) !== term) return;
    const voters = raw.status().confState.voters;
    for (const v of voters) {
      const node = this.nodes.get(v);
      if (node === undefined || node.raw === undefined || node.app.appliedIndex < index) return;
    }
    this.livenessReached = true;
    this.traceNode(leader, `heal: liveness reached, ${index}/${term} applied on voters ${voters.join(',')}`);
  }

  private reportLivenessFailure(): void {
    const lines = [...this.nodes.values()].map((n) => {
      if (n.raw === undefined) return `${n.id} ${n.decommissioned ? 'decommissioned' : 'down'}`;
      const s = n.raw.basicStatus();
      return `${n.id} ${s.role} term ${s.term} commit ${s.commit} applied ${s.applied} last ${s.lastIndex} voters [${n.confState.voters.join(',')}]`;
    });
    this.checker.setClock(this.step, this.nowMs);
    this.checker.report(
      'liveness',
      `no fresh proposal committed on every voter within ${this.options.livenessTimeoutMs ?? 10_000} ms after faults healed: ${lines.join('; ')}`,
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Checks and trace

  /** After each step: election safety and leader completeness for new leaders, committed entries for all. */
  private checkDirty(): void {
    for (const node of this.dirty) {
      const raw = node.raw;
      if (raw === undefined) continue;
      const st = raw.basicStatus();
      if (st.role === 'leader' && !this.checker.isKnownLeader(node.id, st.term)) {
        this.checker.observeLeader(node.id, st.term, node.logView());
      }
      this.checker.observeCommit(node.id, st.commit, node.logView());
    }
    this.dirty.clear();
  }

  private trace(line: string): void {
    this.options.trace?.(line);
  }

  private traceNode(node: SimRaftNode, event: string): void {
    if (this.options.trace === undefined) return;
    const st = node.raw?.basicStatus();
    this.trace(
      formatTraceLine({
        step: this.step,
        timeMs: this.nowMs,
        node: node.id,
        role: st?.role ?? 'down',
        term: st?.term ?? null,
        commit: st?.commit ?? null,
        event,
      }),
    );
  }

  private traceCluster(event: string): void {
    if (this.options.trace === undefined) return;
    this.trace(formatTraceLine({ step: this.step, timeMs: this.nowMs, node: '-', role: '-', term: null, commit: null, event }));
  }
}

function pick<T>(r: SeededRandom, items: readonly T[]): T {
  return items[r.int(0, items.length - 1)];
}

function emptyStats(): RaftSimStats {
  return {
    leadersElected: 0,
    entriesCommitted: 0,
    proposalsAccepted: 0,
    proposalsRejected: 0,
    snapshotsSent: 0,
    snapshotsRestored: 0,
    confChangesProposed: 0,
    confChangesApplied: 0,
    readsRequested: 0,
    readsAnswered: 0,
    transfersRequested: 0,
    forcedElections: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    faults: {
      crashes: 0,
      restarts: 0,
      partitions: 0,
      oneWayPartitions: 0,
      isolations: 0,
      lossBursts: 0,
      duplicationBursts: 0,
      reorderBursts: 0,
      clogs: 0,
      total: 0,
    },
  };
}
