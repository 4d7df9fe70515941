/**
 * The engine under every Raft simulation: SimRaftNodes on the simulation kernel's virtual clock and agenda (ticks,
 * Ready turns, message deliveries, and whatever actions the driver schedules), the kernel's simulated network
 * between the nodes, and the invariant checker watching after every step of theirs. It decides nothing on its own: the randomized
 * simulation (raft-simulator.ts) and scripted measurements (catch-up.ts) schedule the workload and the faults.
 * Every random choice draws from the one seeded Random, so a run replays bit for bit.
 */
import { RaftError, describeRaftEvent, type ConfChange, type Message, type NodeId, type RaftConfig, type RaftEvent } from '../../raft/index.js';
import type { SeededRandom } from '../../random/random.js';
import type { SimKernel } from '../kernel/sim-kernel.js';
import type { SimNetwork } from '../kernel/sim-network.js';
import { RaftInvariantChecker } from './raft-invariants.js';
import { SimRaftNode, type RaftSimBug, type SimNodeHost, type SimSnapshotPolicy } from './sim-node.js';
import { formatTraceLine } from './trace-line.js';

/** The nominal tick interval; each node's clock runs a little fast or slow around it. */
export const TICK_MS = 10;

type EngineEvent =
  | { kind: 'tick'; node: SimRaftNode; incarnation: number }
  | { kind: 'ready'; node: SimRaftNode; incarnation: number }
  | { kind: 'written'; node: SimRaftNode; incarnation: number }
  | { kind: 'deliver'; msg: Message; lost: boolean }
  | { kind: 'action'; run: () => void };

export interface SimClusterOptions {
  rng: SeededRandom;
  /** The network between the nodes; the cluster runs on its kernel (which other simulated protocols may share). */
  network: SimNetwork;
  /** Each path delivers in order, as over one TCP connection (default true). */
  orderedPaths?: boolean;
  /** Every node's RaftConfig but its id. */
  config: Omit<RaftConfig, 'id'>;
  snapshotPolicy: SimSnapshotPolicy;
  bug?: RaftSimBug;
  trace?: (line: string) => void;
  /** Called when a node applies a committed conf change (after the node switched configuration). */
  onConfChangeApplied?: (node: SimRaftNode, cc: ConfChange, index: number) => void;
  /** Sees every message a node sends, before the network decides its fate (for measurements). */
  onSend?: (m: Message) => void;
}

export interface SimClusterStats {
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  snapshotsSent: number;
  snapshotsRestored: number;
  readsAnswered: number;
  restarts: number;
}

export class SimCluster implements SimNodeHost {
  readonly checker = new RaftInvariantChecker();
  readonly nodes = new Map<NodeId, SimRaftNode>();
  readonly stats: SimClusterStats = {
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    snapshotsSent: 0,
    snapshotsRestored: 0,
    readsAnswered: 0,
    restarts: 0,
  };
  readonly rng: SeededRandom;
  readonly kernel: SimKernel;
  readonly network: SimNetwork;
  /** Whether messages keep their order on each path (false: connections keep breaking, messages overtake). */
  orderedPaths: boolean;
  private readonly tickIntervalMs = new Map<NodeId, number>();
  private readonly dirty = new Set<SimRaftNode>();

  constructor(private readonly options: SimClusterOptions) {
    this.rng = options.rng;
    this.kernel = options.network.kernel;
    this.network = options.network;
    this.orderedPaths = options.orderedPaths ?? true;
  }

  get nowMs(): number {
    return this.kernel.nowMs;
  }

  /** Events run on the kernel so far (this cluster's and any other's sharing it). */
  get step(): number {
    return this.kernel.steps;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The agenda

  /** Runs `run` at virtual time `timeMs` (after the events already due then). */
  at(timeMs: number, run: () => void): void {
    this.schedule(timeMs, { kind: 'action', run });
  }

  /** Runs the kernel's next event. Returns false when nothing is left to do. */
  runNext(): boolean {
    return this.kernel.runNext();
  }

  /** Puts an event of this cluster on the kernel's agenda: when it runs, the checks of every node it touched follow. */
  private schedule(timeMs: number, ev: EngineEvent): void {
    this.kernel.at(timeMs, () => {
      this.checker.setClock(this.step, this.nowMs);
      this.handle(ev);
      this.checkDirty();
    });
  }

  private handle(ev: EngineEvent): void {
    switch (ev.kind) {
      case 'tick': {
        const node = ev.node;
        if (node.raw === undefined || node.incarnation !== ev.incarnation) return;
        const raw = node.raw;
        this.guarded(node, () => raw.tick());
        this.touched(node);
        this.schedule(this.nowMs + (this.tickIntervalMs.get(node.id) ?? TICK_MS), ev);
        return;
      }
      case 'ready': {
        const node = ev.node;
        if (node.raw === undefined || node.incarnation !== ev.incarnation) return;
        node.readyScheduled = false;
        let started = false;
        this.guarded(node, () => (started = node.startReady()));
        if (started) {
          // The disk write takes a while; the node keeps stepping messages and ticks meanwhile, and may crash.
          const latency = this.rng.next() < 0.4 ? 0 : this.rng.int(1, 4);
          this.schedule(this.nowMs + latency, { kind: 'written', node, incarnation: node.incarnation });
        }
        this.touched(node);
        return;
      }
      case 'written': {
        const node = ev.node;
        if (node.raw === undefined || node.incarnation !== ev.incarnation) return;
        this.guarded(node, () => node.finishReady());
        this.touched(node);
        return;
      }
      case 'deliver':
        this.deliver(ev.msg, ev.lost);
        return;
      case 'action':
        ev.run();
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Nodes

  createNode(id: NodeId): SimRaftNode {
    const node = new SimRaftNode(id, { ...this.options.config, id }, this, this.options.snapshotPolicy, this.options.bug);
    this.nodes.set(id, node);
    // Each node's clock runs at its own rate (8-12 ms per 10 ms tick): skew for free.
    this.tickIntervalMs.set(id, this.rng.int(TICK_MS - 2, TICK_MS + 2));
    return node;
  }

  /** Starts the ticks of a node whose RawNode was just created (at start-up, with its bootstrap done). */
  startTicking(node: SimRaftNode, firstTickMs: number): void {
    this.schedule(firstTickMs, { kind: 'tick', node, incarnation: node.incarnation });
  }

  /** (Re)starts a node from its durable state. */
  startNode(node: SimRaftNode): void {
    node.start(this.rng.fork());
    this.startTicking(node, this.nowMs + this.rng.int(1, TICK_MS));
    this.touched(node);
  }

  /** Restarts a node that is down (and not decommissioned). */
  restartNode(node: SimRaftNode, why: string): void {
    if (node.isUp || node.decommissioned) return;
    this.guarded(node, () => this.startNode(node));
    this.stats.restarts++;
    this.traceNode(node, why);
  }

  /** The node's state changed: check it after this step, and run its Ready loop soon. */
  touched(node: SimRaftNode): void {
    this.dirty.add(node);
    this.scheduleReady(node);
  }

  private scheduleReady(node: SimRaftNode): void {
    if (node.readyScheduled || node.isWriting || node.raw === undefined || !node.raw.hasReady()) return;
    node.readyScheduled = true;
    // The event loop's turn: inputs that arrive meanwhile join the same Ready (group commit).
    const delay = this.rng.next() < 0.7 ? 0 : this.rng.int(1, 3);
    this.schedule(this.nowMs + delay, { kind: 'ready', node, incarnation: node.incarnation });
  }

  /** The leader a client would find: the leader with the highest term among the nodes up. */
  currentLeader(): SimRaftNode | undefined {
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

  upNodes(): SimRaftNode[] {
    return [...this.nodes.values()].filter((n) => n.raw !== undefined);
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
      this.at(this.nowMs + 10 * TICK_MS, () => this.restartNode(node, 'restarted from durable state'));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Network

  /** Host: a node's Ready sends a message. */
  send(from: SimRaftNode, m: Message): void {
    this.stats.messagesSent++;
    this.options.onSend?.(m);
    const to = this.nodes.get(m.to);
    if (to === undefined || to.decommissioned || !this.network.canReach(m.from, m.to)) {
      this.stats.messagesDropped++;
      // A transport notices a dead connection: sometimes the sender hears of it.
      if (m.type === 'snap') from.raw?.reportSnapshot(m.to, false);
      else if (this.rng.next() < 0.3) from.raw?.reportUnreachable(m.to);
      return;
    }
    const copies = this.network.send(m.from, m.to, this.orderedPaths, (arrived) => {
      this.checker.setClock(this.step, this.nowMs);
      this.deliver(m, false, arrived);
      this.checkDirty();
    });
    if (copies === 0) {
      this.stats.messagesDropped++;
      // A lost snapshot is still reported (as a failed stream would be), or the follower would wait forever.
      if (m.type === 'snap') this.schedule(this.nowMs + 1, { kind: 'deliver', msg: m, lost: true });
    }
  }

  /** A message's time to arrive: `lost` if it was lost at sending (counted then), `reachable` false if cut off on the way. */
  private deliver(m: Message, lost: boolean, reachable = true): void {
    const to = this.nodes.get(m.to);
    const from = this.nodes.get(m.from);
    const arrives = !lost && reachable && to !== undefined && to.raw !== undefined;
    if (m.type === 'snap' && from?.raw !== undefined) {
      from.raw.reportSnapshot(m.to, arrives);
      this.touched(from);
    }
    if (!arrives || to === undefined || to.raw === undefined) {
      if (!lost) this.stats.messagesDropped++;
      return;
    }
    this.stats.messagesDelivered++;
    const raw = to.raw;
    this.guarded(to, () => raw.step(m));
    this.touched(to);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Host callbacks from the nodes

  /** Host: events from a Ready go to the checker, the stats and the trace. */
  onEvents(node: SimRaftNode, events: RaftEvent[]): void {
    for (const e of events) {
      if (e.type === 'snapshot-sent') this.stats.snapshotsSent++;
      else if (e.type === 'snapshot-restored') this.stats.snapshotsRestored++;
      else if (e.type === 'role-changed' && e.to === 'leader') this.checker.observeLeader(node.id, e.term);
      if (this.options.trace !== undefined && e.type !== 'vote-granted' && e.type !== 'vote-refused') this.traceNode(node, describeRaftEvent(e));
    }
  }

  onConfChangeApplied(node: SimRaftNode, cc: ConfChange, index: number): void {
    this.options.onConfChangeApplied?.(node, cc, index);
  }

  onReadAnswered(): void {
    this.stats.readsAnswered++;
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
      this.checker.observeCommit(node.id, st.term, st.commit, node.logView());
    }
    this.dirty.clear();
  }

  get tracing(): boolean {
    return this.options.trace !== undefined;
  }

  trace(line: string): void {
    this.options.trace?.(line);
  }

  traceNode(node: SimRaftNode, event: string): void {
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

  traceCluster(event: string): void {
    if (this.options.trace === undefined) return;
    this.trace(formatTraceLine({ step: this.step, timeMs: this.nowMs, node: '-', role: '-', term: null, commit: null, event }));
  }
}
