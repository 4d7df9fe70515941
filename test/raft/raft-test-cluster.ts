/**
 * A scripted environment for Raft interaction tests (etcd's rafttest InteractionEnv, in TypeScript): the
 * nodes, their MemoryStorage, and the messages in flight. Nothing moves unless the test says so.
 */
import {
  MemoryStorage,
  RawNode,
  decodeConfChange,
  type ConfState,
  type Entry,
  type Message,
  type MessageType,
  type NodeId,
  type RaftConfig,
  type RaftEvent,
  type ReadState,
  type Ready,
} from '../../src/raft/index.js';
import type { Random } from '../../src/random/random.js';

/** A Random that always draws the minimum: randomized election timeouts equal electionTicks. */
export const minRandom: Random = { next: () => 0, int: (min: number) => min };

/** A Random that always draws the maximum: randomized election timeouts equal 2*electionTicks - 1. */
export const maxRandom: Random = { next: () => 0.999999, int: (_min: number, max: number) => max };

export interface TestNode {
  id: NodeId;
  storage: MemoryStorage;
  raw: RawNode;
  config: RaftConfig;
  /** Entries applied, in order (including no-ops and conf changes). */
  applied: Entry[];
  confState: ConfState;
  readStates: ReadState[];
  events: RaftEvent[];
  /** Every Ready processed, newest last. */
  readies: Ready[];
}

export interface ClusterOptions {
  /** Initial voters (a MemoryStorage with this ConfState at index 0); default the ids given. */
  voters?: NodeId[];
  learners?: NodeId[];
  config?: Partial<RaftConfig>;
  random?: Random;
  /**
   * Start from empty storage and bootstrap() the voters (the configuration lives in log entries 1..n, as in a
   * real cluster) instead of seeding MemoryStorage with a ConfState at index 0.
   */
  bootstrap?: boolean;
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered, in send order. */
  inFlight: Message[] = [];
  /** Nodes cut off from everyone: messages to and from them are dropped on delivery. */
  readonly isolated = new Set<NodeId>();

  constructor(ids: NodeId[], private readonly opts: ClusterOptions = {}) {
    const cs: ConfState = { voters: opts.voters ?? ids, learners: opts.learners ?? [] };
    for (const id of ids) {
      if (opts.bootstrap === true) {
        const n = this.addNode(id, new MemoryStorage());
        n.raw.bootstrap(cs.voters);
        this.processReady(id);
      } else {
        this.addNode(id, new MemoryStorage(cs));
      }
    }
  }

  /** Adds a node over the given storage (a fresh, empty one for a joiner). */
  addNode(id: NodeId, storage = new MemoryStorage(), config: Partial<RaftConfig> = {}, random?: Random): TestNode {
    const cfg: RaftConfig = { electionTicks: 10, heartbeatTicks: 1, ...this.opts.config, ...config, id };
    const raw = new RawNode(cfg, storage, random ?? this.opts.random ?? minRandom);
    const node: TestNode = {
      id,
      storage,
      raw,
      config: cfg,
      applied: [],
      confState: storage.initialState().confState,
      readStates: [],
      events: [],
      readies: [],
    };
    this.nodes.set(id, node);
    return node;
  }

  /** Replaces a node's RawNode over its durable storage (unstable state is lost), as after a crash. */
  restart(id: NodeId, config: Partial<RaftConfig> = {}): TestNode {
    const old = this.node(id);
    const applied = old.storage.snapshot().meta.index;
    const n = this.addNode(id, old.storage, { ...old.config, ...config, applied });
    n.confState = old.storage.initialState().confState;
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
    return n;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: NodeId): RawNode {
    return this.node(id).raw;
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.raw(id).tick();
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const id of this.nodes.keys()) this.raw(id).tick();
  }

  /** Runs the Ready loop once on `id` in contract order; messages go in flight. Returns the Ready (or undefined). */
  processReady(id: NodeId): Ready | undefined {
    const n = this.node(id);
    if (!n.raw.hasReady()) return undefined;
    const rd = n.raw.ready();
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      n.confState = rd.snapshot.meta.confState;
      // The test state machine is the list of applied data; a snapshot carries it whole.
      const data = rd.snapshot.data === '' ? [] : (JSON.parse(rd.snapshot.data) as string[]);
      n.applied = data.map((d) => ({ index: 0, term: 0, kind: 'normal' as const, data: d }));
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const m of sentBy(rd)) this.inFlight.push(m);
    for (const e of rd.committedEntries) {
      if (e.kind === 'conf-change') n.confState = n.raw.applyConfChange(decodeConfChange(e.data));
      n.applied.push(e);
    }
    n.readStates.push(...rd.readStates);
    n.events.push(...rd.events);
    n.readies.push(rd);
    n.raw.advance(rd);
    return rd;
  }

  /** Processes Ready on every node until none has one. */
  processAll(): void {
    for (let round = 0; round < 100; round++) {
      let any = false;
      for (const id of this.nodes.keys()) if (this.processReady(id) !== undefined) any = true;
      if (!any) return;
    }
    throw new Error('processAll did not settle');
  }

  /** Takes in-flight messages matching `filter` out of flight, without delivering them. */
  take(filter: (m: Message) => boolean = () => true): Message[] {
    const taken = this.inFlight.filter(filter);
    this.inFlight = this.inFlight.filter((m) => !filter(m));
    return taken;
  }

  /** Takes messages of the given types (optionally only from/to a node). */
  takeType(type: MessageType | MessageType[], opts: { from?: NodeId; to?: NodeId } = {}): Message[] {
    const types = Array.isArray(type) ? type : [type];
    return this.take((m) => types.includes(m.type) && (opts.from === undefined || m.from === opts.from) && (opts.to === undefined || m.to === opts.to));
  }

  /** Delivers (steps) the in-flight messages matching `filter`; returns them. Isolated endpoints drop. */
  deliver(filter: (m: Message) => boolean = () => true): Message[] {
    const msgs = this.take(filter);
    for (const m of msgs) this.stepOne(m);
    return msgs;
  }

  stepOne(m: Message): void {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return;
    const n = this.nodes.get(m.to);
    if (n !== undefined) n.raw.step(m);
  }

  /** Alternates Ready processing and delivery until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      this.processAll();
      if (this.inFlight.length === 0) return;
      this.deliver();
    }
    throw new Error('stabilize did not settle');
  }

  /** Campaigns on `id` and stabilizes; returns the leader's id. */
  elect(id: NodeId): NodeId {
    this.raw(id).campaign();
    this.stabilize();
    const leader = this.leader();
    if (leader !== id) throw new Error(`expected ${id} to win, leader is ${leader}`);
    return id;
  }

  /** The unique node whose role is leader in the highest term, or undefined. */
  leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const [id, n] of this.nodes) {
      const st = n.raw.basicStatus();
      if (st.role === 'leader' && (best === undefined || st.term > best.term)) best = { id, term: st.term };
    }
    return best?.id;
  }

  /** Proposes on `id` and stabilizes; returns the entry's index. */
  proposeAndCommit(id: NodeId, data: string): number {
    const { index } = this.raw(id).propose(data);
    this.stabilize();
    return index;
  }

  /** Data of the normal, non-empty entries `id` applied. */
  appliedData(id: NodeId): string[] {
    return this.node(id).applied.filter((e) => e.kind === 'normal' && e.data !== '').map((e) => e.data);
  }

  /** Takes a snapshot of `id`'s applied state at its applied index and compacts its log up to `compactTo` (default the same). */
  snapshotAndCompact(id: NodeId, compactTo?: number): void {
    const n = this.node(id);
    const appliedIndex = n.raw.basicStatus().applied;
    n.storage.createSnapshot(appliedIndex, n.confState, JSON.stringify(this.appliedData(id)));
    n.storage.compact(compactTo ?? appliedIndex);
  }
}

/** Everything a Ready sends: what may leave at once, then what waited for the write (this harness persists first). */
export function sentBy(rd: Ready | undefined): Message[] {
  return rd === undefined ? [] : [...rd.immediateMessages, ...rd.messagesAfterPersist];
}

/** Messages in `msgs` of one type. */
export function ofType<T extends MessageType>(msgs: readonly Message[], type: T): (Message & { type: T })[] {
  return msgs.filter((m): m is Message & { type: T } => m.type === type);
}
