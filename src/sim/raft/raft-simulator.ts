/**
 * Deterministic simulation of a Raft cluster (FoundationDB / TigerBeetle VOPR style): N RawNodes in one process,
 * one seeded Random driving virtual time, the network, faults and the client workload. A run has two phases:
 *
 *  1. faults — for `steps` events: crashes and restarts, and on the kernel's network the faults of `ccm chaos`
 *     (partitions: split, isolate, majority ring, one-way; loss, duplication and delay bursts, reordering, clogged links), while clients propose, read (ReadIndex), transfer
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
  type ConfChange,
  type NodeId,
} from '../../raft/index.js';
import { describeFault } from '../../faults/faults.js';
import { SeededRandom, shuffle } from '../../random/random.js';
import { isCut, type LinkFault } from '../kernel/link-faults.js';
import { SimKernel } from '../kernel/sim-kernel.js';
import { SimNetwork } from '../kernel/sim-network.js';
import type { RaftInvariantChecker, RaftViolation } from './raft-invariants.js';
import { SimCluster, TICK_MS } from './sim-cluster.js';
import type { RaftSimBug, SimRaftNode } from './sim-node.js';
import { TRACE_HEADER } from './trace-line.js';

export type { RaftSimBug } from './sim-node.js';
export type { RaftViolation, RaftViolationKind } from './raft-invariants.js';

export interface RaftSimOptions {
  seed: number;
  /** Initial voters, 1..9. Default 5. */
  nodes?: number;
  /** Events in the fault phase. Default DEFAULT_RAFT_SIM_STEPS. */
  steps?: number;
  /**
   * Virtual time the heal phase may take to show liveness, before the allowance for replicating the backlog at
   * the seed's limits (see catchUpMsPerEntry). Default 10 000 ms.
   */
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
    /** Crashes of a node between sending a Ready's immediate messages and finishing its disk write. */
    crashesDuringWrite: number;
    restarts: number;
    partitions: number;
    oneWayPartitions: number;
    isolations: number;
    majorityRings: number;
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
  /** Each path delivers in order (as TCP does) unless a message is late; otherwise every message reorders freely. */
  orderedPaths: boolean;
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

/** Cluster sizes 1-9 as seed sweeps mix them: mostly 3 and 5, every size in each run of 20 seeds. */
const SWEEP_NODES = [3, 5, 5, 3, 4, 7, 1, 2, 5, 3, 6, 9, 3, 5, 8, 4, 7, 2, 5, 1] as const;

/** The initial voters a seed sweep gives `seed` (so a failing seed names its replay exactly). */
export function sweepNodes(seed: number): number {
  return SWEEP_NODES[seed % SWEEP_NODES.length];
}
const MAX_NODES = 9;

/** Runs one seed and returns the report; never throws for a protocol failure (it becomes a violation). */
export function runRaftSimulation(options: RaftSimOptions): RaftSimReport {
  return new RaftSimulation(options).run();
}

class RaftSimulation {
  private readonly rng: SeededRandom;
  private readonly cluster: SimCluster;
  private readonly network: SimNetwork;
  private readonly checker: RaftInvariantChecker;
  private readonly params: RaftSimParams;
  private readonly stats: RaftSimStats = emptyStats();
  private readonly nodeCount: number;
  private readonly stepsLimit: number;
  private phase: 'faults' | 'heal' = 'faults';
  private seq = 0;
  private partitionEpoch = 0;
  private nextNodeNumber: number;
  /** The seed's background loss, duplication and jitter on every link (chaos faults), in force until the heal. */
  private readonly baselineFaults: LinkFault[] = [];
  /** The faults of the current loss, duplication or reorder burst. */
  private burstFaults: number[] = [];
  /** The heal phase's proposals (index, term); liveness is reached when every voter applied one of them. */
  private readonly livenessProposals: { index: number; term: number }[] = [];
  private lastLivenessProposalMs = Number.NEGATIVE_INFINITY;
  private livenessReached = false;
  private healStartMs = 0;
  private healDeadlineMs = Number.POSITIVE_INFINITY;
  /** The backlog the slowest voter had to replicate when the first liveness proposal was made, and its allowance. */
  private catchUp: { entries: number; allowanceMs: number } | undefined;
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
      orderedPaths: r.next() < 0.8,
    };
    this.network = new SimNetwork(new SimKernel(), this.rng.fork(), { kind: 'exponential', minMs: 1, meanMs: this.params.delayMsMean });
    if (r.next() >= 0.5) this.baselineFaults.push({ kind: 'loss', a: '*', b: '*', rate: r.next() * 0.03 });
    if (r.next() >= 0.5) this.baselineFaults.push({ kind: 'duplicate', a: '*', b: '*', rate: r.next() * 0.03 });
    if (r.next() >= 0.5) this.baselineFaults.push({ kind: 'delay', a: '*', b: '*', delayMs: 0, jitterMs: r.int(1, 2 * this.params.delayMsMean) });
    for (const f of this.baselineFaults) this.network.add(f);
    this.cluster = new SimCluster({
      rng: this.rng,
      network: this.network,
      orderedPaths: this.params.orderedPaths,
      config: {
        electionTicks: this.params.electionTicks,
        heartbeatTicks: this.params.heartbeatTicks,
        preVote: this.params.preVote,
        checkQuorum: this.params.checkQuorum,
        maxSizePerMsgBytes: this.params.maxSizePerMsgBytes,
        maxInflightMsgs: this.params.maxInflightMsgs,
        maxCommittedSizePerReadyBytes: this.params.maxCommittedSizePerReadyBytes,
        maxUncommittedEntriesBytes: this.params.maxUncommittedEntriesBytes,
      },
      snapshotPolicy: { everyEntries: this.params.snapshotEveryEntries, keepEntries: this.params.snapshotKeepEntries },
      bug: options.bug,
      trace: options.trace,
      onConfChangeApplied: (node, cc, index) => this.onConfChangeApplied(node, cc, index),
    });
    this.checker = this.cluster.checker;
  }

  private get nowMs(): number {
    return this.cluster.nowMs;
  }

  run(): RaftSimReport {
    const cluster = this.cluster;
    cluster.trace(TRACE_HEADER);
    cluster.traceCluster(
      `start: ${this.nodeCount} voters, election ${this.params.electionTicks} ticks, heartbeat ${this.params.heartbeatTicks}, ` +
        `pre-vote ${this.params.preVote}, check-quorum ${this.params.checkQuorum}, msg ${this.params.maxSizePerMsgBytes} B, ` +
        `inflight ${this.params.maxInflightMsgs}, snapshot every ${this.params.snapshotEveryEntries}, ` +
        `delay 1+${this.params.delayMsMean} ms, ${this.params.orderedPaths ? 'ordered paths' : 'reordering paths'}` +
        `${this.baselineFaults.map((f) => `, ${describeFault(f)}`).join('')}${this.options.bug ? `, BUG ${this.options.bug}` : ''}`,
    );
    const ids: NodeId[] = [];
    for (let i = 1; i <= this.nodeCount; i++) ids.push(`n${i}`);
    for (const id of ids) {
      const node = cluster.createNode(id);
      const raw = node.start(this.rng.fork());
      raw.bootstrap(ids);
      node.processReady(); // the bootstrap entries are durable before anything can crash
      cluster.startTicking(node, this.rng.int(0, TICK_MS));
    }
    cluster.at(this.rng.int(1, 10), () => this.clientTurn());
    cluster.at(this.rng.int(20, 100), () => this.faultTurn());

    try {
      while (this.checker.ok) {
        if (this.phase === 'faults' && cluster.step >= this.stepsLimit) this.startHealPhase();
        if (this.phase === 'heal' && (this.livenessReached || this.nowMs > this.healDeadlineMs)) break;
        if (!cluster.runNext()) break;
      }
    } catch (err) {
      const e = err as Error;
      this.checker.report('node-error', `${e.name}: ${e.message}`);
    }
    if (this.checker.ok && !this.livenessReached) this.reportLivenessFailure();
    for (const v of this.checker.violations) cluster.traceCluster(`VIOLATION ${v.kind}: ${v.description}`);
    const cs = cluster.stats;
    this.stats.leadersElected = this.checker.leadersElected;
    this.stats.entriesCommitted = this.checker.maxCommitted;
    this.stats.messagesSent = cs.messagesSent;
    this.stats.messagesDelivered = cs.messagesDelivered;
    this.stats.messagesDropped = cs.messagesDropped;
    this.stats.snapshotsSent = cs.snapshotsSent;
    this.stats.snapshotsRestored = cs.snapshotsRestored;
    this.stats.readsAnswered = cs.readsAnswered;
    this.stats.faults.restarts = cs.restarts;
    return {
      seed: this.options.seed,
      nodes: this.nodeCount,
      ok: this.checker.ok,
      violations: [...this.checker.violations],
      steps: cluster.step,
      timeMs: this.nowMs,
      livenessReached: this.livenessReached,
      params: this.params,
      stats: this.stats,
      ...(this.options.bug ? { bug: this.options.bug } : {}),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Membership

  /**
   * A node applied a committed conf change. A removed node is shut down for good, as an operator would,
   * but only once every remaining voter has applied its removal: until then it may still have to vote for
   * a successor (a voter that has not learned the removal committed still counts it).
   */
  private onConfChangeApplied(node: SimRaftNode, cc: ConfChange, index: number): void {
    if (!this.confChangeIndexes.has(index)) {
      this.confChangeIndexes.add(index);
      if (index > this.nodeCount) this.stats.confChangesApplied++; // not the bootstrap entries
    }
    if (cc.type === 'remove-node') this.removed.add(cc.nodeId);
    for (const id of this.removed) {
      if (this.decommissionScheduled.has(id)) continue;
      const target = this.cluster.nodes.get(id);
      if (target === undefined) continue;
      const voters = node.confState.voters;
      if (voters.includes(id)) continue;
      const allApplied = voters.every((v) => {
        const n = this.cluster.nodes.get(v);
        return n !== undefined && !n.confState.voters.includes(id) && !n.confState.learners.includes(id);
      });
      if (!allApplied) continue;
      this.decommissionScheduled.add(id);
      this.cluster.at(this.nowMs + this.rng.int(0, 50 * TICK_MS), () => this.decommission(target));
    }
  }

  private decommission(node: SimRaftNode): void {
    if (node.decommissioned) return;
    if (node.isUp) node.crash();
    node.decommissioned = true;
    this.cluster.traceNode(node, 'decommissioned (removed from the configuration)');
  }

  // ---------------------------------------------------------------------------------------------------------
  // Workload

  private clientTurn(): void {
    this.clientAction();
    this.cluster.at(this.nowMs + this.rng.int(1, 12), () => this.clientTurn());
  }

  private clientAction(): void {
    const cluster = this.cluster;
    const leader = cluster.currentLeader();
    // Without a leader, clients mostly wait; now and then one asks a node that is not the leader: it must refuse.
    if (leader === undefined && this.rng.next() < 0.9) return;
    const up = cluster.upNodes();
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
          cluster.traceNode(target, `client: transfer leadership to ${to}`);
        }
      } else if (faultPhase && r < 0.915) {
        this.proposeConfChange(target);
      } else if (faultPhase && r < 0.92) {
        const node = up[this.rng.int(0, up.length - 1)];
        node.raw?.campaign();
        this.stats.forcedElections++;
        cluster.traceNode(node, 'client: forced campaign');
        cluster.touched(node);
      }
    } catch (err) {
      if (err instanceof NotLeaderError || err instanceof ProposalDroppedError || err instanceof RaftArgumentError) {
        this.stats.proposalsRejected++;
      } else {
        throw err;
      }
    }
    cluster.touched(target);
  }

  private proposeConfChange(leader: SimRaftNode): void {
    const raw = leader.raw;
    if (raw === undefined || raw.role !== 'leader') return;
    const cs = raw.status().confState;
    const minVoters = Math.max(1, Math.min(this.nodeCount, 3));
    const options: (() => void)[] = [];
    if (this.cluster.nodes.size < Math.min(MAX_NODES, this.nodeCount + 3)) {
      options.push(() => {
        const id = `n${this.nextNodeNumber}`;
        raw.proposeConfChange({ type: 'add-learner', nodeId: id });
        this.nextNodeNumber++;
        const node = this.cluster.createNode(id);
        this.cluster.startNode(node); // a joiner: empty storage, no bootstrap
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
    this.cluster.traceNode(leader, `client: propose conf change ${what}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Faults

  private faultTurn(): void {
    if (this.phase !== 'faults') return;
    this.injectFault();
    this.cluster.at(this.nowMs + this.rng.int(20, 120), () => this.faultTurn());
  }

  private injectFault(): void {
    const cluster = this.cluster;
    const r = this.rng.next();
    const f = this.stats.faults;
    const live = [...cluster.nodes.values()].filter((n) => !n.decommissioned);
    if (r < 0.25) {
      const up = live.filter((n) => n.isUp);
      const down = live.length - up.length;
      // Mostly keep a majority up; sometimes take down more (safety must hold regardless).
      const maxDown = this.rng.next() < 0.1 ? live.length : Math.floor((live.length - 1) / 2);
      if (up.length === 0 || down >= maxDown) return;
      // Leaders crash more often than others: leader churn is where Raft's subtle cases live (Figure 8). So do
      // nodes in the middle of a disk write, whose early messages are out while the write is lost.
      const leader = cluster.currentLeader();
      const writing = up.filter((n) => n.isWriting);
      const r2 = this.rng.next();
      const victim =
        writing.length > 0 && r2 < 0.3 ? writing[this.rng.int(0, writing.length - 1)] : leader !== undefined && r2 < 0.6 ? leader : up[this.rng.int(0, up.length - 1)];
      const duringWrite = victim.isWriting;
      victim.crash();
      f.crashes++;
      if (duringWrite) f.crashesDuringWrite++;
      f.total++;
      cluster.traceNode(victim, duringWrite ? 'crashed during a disk write (the write is lost, its early messages are out)' : 'crashed (volatile state lost)');
      const downtime = this.rng.next() < 0.8 ? this.rng.int(10, 60) * TICK_MS : this.rng.int(60, 300) * TICK_MS;
      cluster.at(this.nowMs + downtime, () => cluster.restartNode(victim, 'restarted from durable state'));
    } else if (r < 0.45) {
      if (live.length < 2) return;
      const ids = shuffle(live.map((n) => n.id), this.rng);
      this.partitionEpoch++;
      this.network.heal(isCut);
      const kind = this.rng.next();
      if (kind < 0.4) {
        const cut = this.rng.int(1, ids.length - 1);
        this.network.add({ kind: 'partition', groups: [ids.slice(0, cut), ids.slice(cut)] });
        f.partitions++;
        cluster.traceCluster(`partition {${ids.slice(0, cut).sort().join(',')}} | {${ids.slice(cut).sort().join(',')}}`);
      } else if (kind < 0.6 || (kind < 0.75 && ids.length < 4)) {
        this.network.add({ kind: 'partition', groups: [[ids[0]], ids.slice(1)] });
        f.isolations++;
        cluster.traceCluster(`isolate ${ids[0]}`);
      } else if (kind < 0.75) {
        // Jepsen's majorities ring: every node reaches a majority, and no two see the same one.
        const ring: LinkFault = { kind: 'majority-ring', ring: ids };
        this.network.add(ring);
        f.majorityRings++;
        cluster.traceCluster(describeFault(ring));
      } else {
        const pairs = this.rng.int(1, ids.length - 1);
        const desc: string[] = [];
        for (let i = 0; i < pairs; i++) {
          const a = ids[this.rng.int(0, ids.length - 1)];
          const b = ids[this.rng.int(0, ids.length - 1)];
          if (a === b) continue;
          this.network.add({ kind: 'one-way', from: a, to: b });
          desc.push(`${a}->${b}`);
        }
        f.oneWayPartitions++;
        cluster.traceCluster(`one-way partition: ${desc.join(' ') || '(none)'} blocked`);
      }
      f.total++;
      const duration = this.rng.int(5, 150) * TICK_MS;
      const epoch = this.partitionEpoch;
      cluster.at(this.nowMs + duration, () => this.healPartition(epoch));
    } else if (r < 0.55) {
      this.burst({ kind: 'loss', a: '*', b: '*', rate: 0.05 + this.rng.next() * 0.3 });
      f.lossBursts++;
    } else if (r < 0.63) {
      this.burst({ kind: 'duplicate', a: '*', b: '*', rate: 0.05 + this.rng.next() * 0.3 });
      f.duplicationBursts++;
    } else if (r < 0.71) {
      // Connections break and re-form: paths stop keeping order, and jitter makes messages overtake each other.
      cluster.orderedPaths = false;
      this.burst({ kind: 'delay', a: '*', b: '*', delayMs: 0, jitterMs: this.rng.int(2, 20) * TICK_MS }, 'reorder burst: paths lose their order');
      f.reorderBursts++;
    } else if (r < 0.76) {
      if (live.length < 2) return;
      const a = live[this.rng.int(0, live.length - 1)].id;
      const b = live[this.rng.int(0, live.length - 1)].id;
      if (a === b) return;
      const clog: LinkFault = { kind: 'delay', a, b, delayMs: this.rng.int(5, 60) * TICK_MS, jitterMs: 0 };
      const id = this.network.add(clog);
      cluster.at(this.nowMs + this.rng.int(5, 100) * TICK_MS, () => this.network.remove(id));
      f.clogs++;
      f.total++;
      cluster.traceCluster(`clog: ${describeFault(clog)}`);
    }
  }

  /** A burst of loss, duplication or jitter on every link, until the network returns to the seed's baseline. */
  private burst(fault: LinkFault, why?: string): void {
    this.burstFaults.push(this.network.add(fault));
    this.stats.faults.total++;
    this.cluster.traceCluster(`${why ?? `${fault.kind} burst`}: ${describeFault(fault)}`);
    this.cluster.at(this.nowMs + this.rng.int(5, 100) * TICK_MS, () => {
      if (this.phase !== 'faults' || this.burstFaults.length === 0) return;
      for (const id of this.burstFaults) this.network.remove(id);
      this.burstFaults = [];
      this.cluster.orderedPaths = this.params.orderedPaths;
      this.cluster.traceCluster('network loss/duplication/reordering back to baseline');
    });
  }

  private healPartition(epoch: number): void {
    if (epoch !== this.partitionEpoch || !this.network.isPartitioned()) return;
    this.network.heal(isCut);
    this.cluster.traceCluster('partition healed');
  }

  private startHealPhase(): void {
    const cluster = this.cluster;
    this.phase = 'heal';
    this.network.heal();
    this.burstFaults = [];
    cluster.orderedPaths = this.params.orderedPaths;
    this.partitionEpoch++;
    cluster.traceCluster('heal: faults stop, every node restarts; waiting for liveness');
    for (const node of cluster.nodes.values()) cluster.restartNode(node, 'restarted for the heal phase');
    this.healStartMs = this.nowMs;
    this.healDeadlineMs = this.nowMs + (this.options.livenessTimeoutMs ?? 10_000);
    cluster.at(this.nowMs + 20, () => this.livenessTurn());
  }

  private livenessTurn(): void {
    this.livenessCheck();
    if (!this.livenessReached) this.cluster.at(this.nowMs + 20, () => this.livenessTurn());
  }

  /**
   * Liveness: a leader exists and a proposal made after the heal is applied by every voter of its configuration.
   * The leader proposes one at once and another every 3 s (an earlier one may be lost with its leader); any of
   * them counts. The first stays the target while the clients keep writing: a lagging voter must replicate the
   * backlog up to it, not chase the end of a log that grows as fast as the limits let it replicate.
   */
  private livenessCheck(): void {
    const cluster = this.cluster;
    const leader = cluster.currentLeader();
    if (leader?.raw === undefined) return;
    const raw = leader.raw;
    const voters = raw.status().confState.voters;
    for (const p of this.livenessProposals) {
      if (this.checker.appliedTermAt(p.index) !== p.term) continue;
      const everyVoter = voters.every((v) => {
        const node = cluster.nodes.get(v);
        return node !== undefined && node.raw !== undefined && node.app.appliedIndex >= p.index;
      });
      if (!everyVoter) continue;
      this.livenessReached = true;
      cluster.traceNode(leader, `heal: liveness reached, ${p.index}/${p.term} applied on voters ${voters.join(',')}`);
      return;
    }
    if (this.nowMs - this.lastLivenessProposalMs < 300 * TICK_MS) return;
    try {
      const { index, term } = raw.propose(`liveness-${this.options.seed}-${this.nowMs}`);
      if (this.catchUp === undefined) {
        // The clients wrote on while some voter was away: it must replicate everything up to this proposal.
        const slowest = Math.min(...voters.map((v) => cluster.nodes.get(v)?.app.appliedIndex ?? 0));
        const entries = Math.max(0, index - slowest);
        this.catchUp = { entries, allowanceMs: Math.ceil(entries * catchUpMsPerEntry(this.params)) };
        this.healDeadlineMs = this.healStartMs + (this.options.livenessTimeoutMs ?? 10_000) + this.catchUp.allowanceMs;
      }
      this.livenessProposals.push({ index, term });
      this.lastLivenessProposalMs = this.nowMs;
      cluster.traceNode(leader, `heal: liveness proposal at ${index}/${term}`);
      cluster.touched(leader);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError || err instanceof NotLeaderError)) throw err;
    }
  }

  private reportLivenessFailure(): void {
    const lines = [...this.cluster.nodes.values()].map((n) => {
      if (n.raw === undefined) return `${n.id} ${n.decommissioned ? 'decommissioned' : 'down'}`;
      const s = n.raw.basicStatus();
      return `${n.id} ${s.role} term ${s.term} commit ${s.commit} applied ${s.applied} last ${s.lastIndex} voters [${n.confState.voters.join(',')}]`;
    });
    this.checker.setClock(this.cluster.step, this.nowMs);
    this.checker.report(
      'liveness',
      `no proposal made after faults healed was applied by every voter within ${this.options.livenessTimeoutMs ?? 10_000} ms` +
        `${this.catchUp === undefined ? '' : ` + ${this.catchUp.allowanceMs} ms to replicate a backlog of ${this.catchUp.entries} entries`}` +
        `${this.livenessProposals.length > 0 ? ` (the first at ${this.livenessProposals[0].index}/${this.livenessProposals[0].term})` : ' (no leader to propose one)'}: ${lines.join('; ')}`,
    );
  }
}

/**
 * How long the heal phase allows per entry a lagging voter must replicate: the limits let a leader have
 * maxInflightMsgs appends of maxSizePerMsgBytes in flight per round trip (in probe state, one). With the workload's
 * entries (about 48 bytes with overhead) and a round trip of two one-way delays plus a Ready turn and a disk write
 * on each side, that is a floor on the speed; the allowance is three times slower than that, so only a catch-up
 * well below what the limits allow fails. (Seed 1007683: 96-byte messages, one in flight, 9 ms one-way: 850 entries
 * at about 70 per second took 12 s, more than any fixed 10 s.)
 */
export function catchUpMsPerEntry(p: Pick<RaftSimParams, 'maxSizePerMsgBytes' | 'maxInflightMsgs' | 'delayMsMean'>): number {
  const roundTripMs = 2 * (1 + p.delayMsMean) + 2 * (1 + 3);
  const entriesPerRoundTrip = p.maxInflightMsgs * Math.max(1, Math.floor(p.maxSizePerMsgBytes / 48));
  return (3 * roundTripMs) / entriesPerRoundTrip;
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
      crashesDuringWrite: 0,
      restarts: 0,
      partitions: 0,
      oneWayPartitions: 0,
      isolations: 0,
      majorityRings: 0,
      lossBursts: 0,
      duplicationBursts: 0,
      reorderBursts: 0,
      clogs: 0,
      total: 0,
    },
  };
}
