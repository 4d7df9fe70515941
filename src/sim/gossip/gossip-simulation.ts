import { SeededRandom } from '../../random/random.js';
import type { ManualClock } from '../../time/clock.js';
import { Roster, type MemberMeta, type MemberView } from '../../swim/membership-table.js';
import type { SwimPacket } from '../../swim/messages.js';
import type { PushPullState } from '../../swim/push-pull.js';
import type { SwimConfig } from '../../swim/swim-config.js';
import { SwimNode, type MemberEvent } from '../../swim/swim-node.js';
import { isCut, type LinkFault } from '../kernel/link-faults.js';
import { SimKernel } from '../kernel/sim-kernel.js';
import { SimNetwork, type Latency } from '../kernel/sim-network.js';

/** The links' latency unless told: a LAN, 1-5 ms one way. */
export const DEFAULT_LATENCY: Latency = { kind: 'uniform', minMs: 1, maxMs: 5 };

/** One simulated process running the SwimNode that ships. */
export interface SimProcess {
  readonly id: string;
  readonly swim: SwimNode;
  isUp: boolean;
  /** Extra delay before this process handles each inbound datagram or TCP message (an overloaded event loop). */
  slowMs: number;
  /** Time of the pending valid wake event, or Infinity. */
  wakeAtMs: number;
  /** When a slow process's inbox is next free (FIFO). */
  inboxFreeAtMs: number;
  /** While now < pausedUntilMs the process is stalled (SIGSTOP, a long GC): nothing runs, input waits in `backlog`. */
  pausedUntilMs: number;
  backlog: (() => void)[];
  /** Whether some push-pull got through to or from it (until then a joining node retries, as the gossip driver does). */
  isJoined: boolean;
}

/** Join retries as the node's gossip driver makes them: from 500 ms, doubling, up to 5 s, until a seed answers. */
const JOIN_RETRY_MIN_MS = 500;
const JOIN_RETRY_MAX_MS = 5000;

type SimEvent =
  | { kind: 'wake'; proc: SimProcess }
  | { kind: 'udp'; to: string; from: string; packet: SwimPacket; bytes: number; isQueued: boolean; proc?: SimProcess }
  | { kind: 'tcp-request'; to: string; initiator: SimProcess; state: PushPullState; isQueued: boolean; proc?: SimProcess }
  | { kind: 'tcp-reply'; to: SimProcess; from: string; state: PushPullState; isQueued: boolean }
  | { kind: 'call'; fn: () => void }
  | { kind: 'resume'; proc: SimProcess };

export interface GossipSimulationOptions {
  seed: number;
  config: SwimConfig;
  /** The links' one-way latency (default uniform 1-5 ms, a LAN). */
  latency?: Latency;
  /** Faults in force from the start, in `ccm chaos`'s words (loss on every link, say; see faultsOnEveryLink). */
  faults?: LinkFault[];
  /**
   * Run on this network and its kernel, shared with other simulations (then `latency` is the network's own).
   * Default: a kernel and network of the simulation's own.
   */
  network?: SimNetwork;
  /** 'json' passes every packet and push-pull through JSON.stringify/parse, as the wire would; 'object' shares them (faster). */
  wire?: 'object' | 'json';
}

/** Running totals of the simulated network. */
export interface SimTotals {
  packetsSent: number;
  packetsLost: number;
  packetsDelivered: number;
  bytesSent: number;
  pushPulls: number;
  pushPullsFailed: number;
  events: number;
}

/** A period during which a node was down. */
interface DownPeriod {
  startMs: number;
  endMs: number;
}

/**
 * A deterministic many-node gossip simulation: virtual time driven by the simulation kernel's agenda, one seed for everything
 * (network and every node's Random), the kernel's simulated network (UDP datagrams unordered, TCP push-pull legs in
 * order, both under `ccm chaos`'s link faults: partitions, loss, delay, duplication), crashes, restarts and slow
 * nodes. The nodes are the production SwimNode, driven exactly as the node runtime drives it:
 * tick at nextDeadlineMs(), feed packets in, drain and send.
 */
export class GossipSimulation {
  readonly kernel: SimKernel;
  readonly clock: ManualClock;
  readonly network: SimNetwork;
  readonly config: SwimConfig;
  readonly totals: SimTotals = { packetsSent: 0, packetsLost: 0, packetsDelivered: 0, bytesSent: 0, pushPulls: 0, pushPullsFailed: 0, events: 0 };
  private readonly random: SeededRandom;
  private readonly procs = new Map<string, SimProcess>();
  private readonly downPeriods = new Map<string, DownPeriod[]>();
  private readonly listeners: ((observer: string, event: MemberEvent) => void)[] = [];
  private readonly isJsonWire: boolean;
  private joinOrder = 0;

  constructor(opts: GossipSimulationOptions) {
    this.random = new SeededRandom(opts.seed);
    const networkRandom = this.random.fork(); // drawn even for a shared network, so a seed means the same alone or not
    this.network = opts.network ?? new SimNetwork(new SimKernel(), networkRandom, opts.latency ?? DEFAULT_LATENCY);
    this.kernel = this.network.kernel;
    this.clock = this.kernel.clock;
    for (const f of opts.faults ?? []) this.network.add(f);
    this.config = opts.config;
    this.isJsonWire = opts.wire === 'json';
  }

  /** Virtual now (ms). */
  now(): number {
    return this.clock.monotonicMs();
  }

  /** Starts n nodes that already know each other (a shared roster): the converged start for big runs. Ids n1…nN. */
  startConverged(ids: readonly string[]): void {
    const epoch = this.clock.nowMs();
    const roster = Roster.alive(
      ids.map((id, i) => ({ id, address: id, meta: { joinedAtMs: epoch + i, tags: {} } })),
      this.now(),
    );
    for (const r of roster.records) this.spawn(r.id, r.meta, roster);
    this.joinOrder = ids.length;
  }

  /** Starts a node that knows nobody; call join() to introduce it. */
  addNode(id: string, meta?: MemberMeta): SimProcess {
    return this.spawn(id, meta ?? { joinedAtMs: this.clock.nowMs() + this.joinOrder++, tags: {} }, undefined);
  }

  /** Starts nodes one by one, each joining through the first: the realistic start for small runs. */
  startByJoining(ids: readonly string[]): void {
    const seed = ids[0];
    for (const id of ids) {
      this.addNode(id);
      if (id !== seed) this.join(id, [seed]);
    }
  }

  /** Joins through the seeds (a push-pull with each), and tries again until one answers: a lost push-pull is not the end. */
  join(id: string, seeds: readonly string[]): void {
    const p = this.process(id);
    const attempt = (n: number): void => {
      if (!p.isUp || p.isJoined || this.procs.get(id) !== p || p.swim.hasLeft()) return;
      p.swim.join(seeds.map((s) => ({ id: s, address: s })));
      this.flush(p);
      this.at(this.now() + Math.min(JOIN_RETRY_MAX_MS, JOIN_RETRY_MIN_MS * 2 ** Math.min(n, 4)), () => attempt(n + 1));
    };
    p.isJoined = false;
    attempt(0);
  }

  /** Calls into a node from outside (an operator action: set tags, leave) and sends what it produced. */
  act(id: string, action: (swim: SwimNode) => void): void {
    const p = this.process(id);
    if (!p.isUp) throw new RangeError(`simulated node ${id} is down`);
    action(p.swim);
    this.flush(p);
  }

  /** Crash: the process stops at once; packets to it are lost. */
  kill(id: string): void {
    const p = this.process(id);
    if (!p.isUp) return;
    p.isUp = false;
    const periods = this.downPeriods.get(id) ?? [];
    periods.push({ startMs: this.now(), endMs: Infinity });
    this.downPeriods.set(id, periods);
  }

  /** A new process under the same id and address: incarnation 0, new join time, joins through `seeds`. */
  restart(id: string, seeds: readonly string[]): SimProcess {
    const old = this.process(id);
    if (old.isUp) this.kill(id);
    const periods = this.downPeriods.get(id)!;
    periods[periods.length - 1].endMs = this.now();
    const p = this.spawn(id, { joinedAtMs: this.clock.nowMs() + this.joinOrder++, tags: {} }, undefined);
    this.join(id, seeds);
    return p;
  }

  /** Makes a node slow: every inbound datagram/TCP message waits `ms` more before it is handled (FIFO). 0 = normal. */
  setSlow(id: string, ms: number): void {
    this.process(id).slowMs = ms;
  }

  /**
   * Stalls a process for `ms` (SIGSTOP then SIGCONT, or a long GC pause): its timers and input wait. On resume its
   * timers run first, then the input backlog in arrival order, as Node's event loop does after a block: so its probes
   * time out although the acks are already waiting, which is the situation Lifeguard is for.
   */
  pause(id: string, ms: number): void {
    const p = this.process(id);
    if (!p.isUp || ms <= 0) return;
    const until = Math.max(p.pausedUntilMs, this.now() + ms);
    p.pausedUntilMs = until;
    this.schedule(until, { kind: 'resume', proc: p });
  }

  /**
   * A slow node: random stalls from now on, each lasting [minMs, maxMs], separated by running gaps drawn from an
   * exponential distribution with mean meanGapMs (so stalls never merge into one long outage).
   */
  setStalls(id: string, stalls: { meanGapMs: number; minMs: number; maxMs: number }): void {
    const p = this.process(id);
    const random = this.random.fork();
    const gap = (): number => -Math.log(1 - random.next()) * stalls.meanGapMs;
    const next = (): void => {
      if (!p.isUp || this.procs.get(id) !== p) return;
      const ms = stalls.minMs + random.next() * (stalls.maxMs - stalls.minMs);
      this.pause(id, ms);
      this.at(this.now() + ms + gap(), next);
    };
    this.at(this.now() + gap(), next);
  }

  /** Splits the cluster (ending any cut before): nodes in different groups cannot reach each other; nodes in no group reach everyone. */
  partition(groups: readonly (readonly string[])[]): void {
    this.heal();
    this.network.add({ kind: 'partition', groups: groups.map((g) => [...g]) });
  }

  /** Ends every cut on the network. */
  heal(): void {
    this.network.heal(isCut);
  }

  /** Runs `fn` at virtual time `atMs`. */
  at(atMs: number, fn: () => void): void {
    this.schedule(atMs, { kind: 'call', fn });
  }

  onEvent(listener: (observer: string, event: MemberEvent) => void): void {
    this.listeners.push(listener);
  }

  process(id: string): SimProcess {
    const p = this.procs.get(id);
    if (p === undefined) throw new RangeError(`no simulated node ${id}`);
    return p;
  }

  processes(): SimProcess[] {
    return [...this.procs.values()];
  }

  isUp(id: string): boolean {
    return this.procs.get(id)?.isUp ?? false;
  }

  upIds(): string[] {
    return [...this.procs.values()].filter((p) => p.isUp).map((p) => p.id);
  }

  /** Whether `id` was down at any time in [fromMs, toMs]. */
  wasDown(id: string, fromMs: number, toMs: number): boolean {
    return (this.downPeriods.get(id) ?? []).some((d) => d.startMs <= toMs && d.endMs >= fromMs);
  }

  /** `observer`'s view of `member`. */
  view(observer: string, member: string): MemberView | undefined {
    return this.process(observer).swim.member(member);
  }

  /** Processes events up to and including virtual time `tMs`. */
  runUntil(tMs: number): void {
    this.kernel.runUntil(tMs);
  }

  /** Runs until `done()` holds (checked every `checkEveryMs`) or `maxMs` of virtual time pass. Returns whether it held. */
  runUntilTrue(done: () => boolean, maxMs: number, checkEveryMs = 50): boolean {
    const end = this.now() + maxMs;
    while (this.now() < end) {
      if (done()) return true;
      this.runUntil(Math.min(end, this.now() + checkEveryMs));
    }
    return done();
  }

  /** Processes the kernel's next event. Returns false when there is nothing left to do. */
  step(): boolean {
    return this.kernel.runNext();
  }

  private schedule(atMs: number, ev: SimEvent): void {
    const at = Math.max(atMs, this.now());
    this.kernel.at(at, () => this.handle(ev, at));
  }

  private handle(ev: SimEvent, atMs: number): void {
    switch (ev.kind) {
      case 'call':
        ev.fn();
        return;
      case 'wake': {
        const p = ev.proc;
        if (!p.isUp || atMs !== p.wakeAtMs || p.pausedUntilMs > atMs) return;
        p.wakeAtMs = Infinity;
        p.swim.tick();
        this.flush(p);
        return;
      }
      case 'resume': {
        const p = ev.proc;
        if (!p.isUp || p.pausedUntilMs !== atMs) return;
        // Timers first, then the backlog in order (Node runs expired timers before polled I/O).
        p.wakeAtMs = Infinity;
        p.swim.tick();
        this.flush(p);
        const backlog = p.backlog;
        p.backlog = [];
        for (const deliver of backlog) deliver();
        return;
      }
      case 'udp': {
        const p = ev.proc ?? this.procs.get(ev.to);
        if (p === undefined || !p.isUp) return;
        if (!ev.isQueued && p.slowMs > 0) {
          this.schedule(this.inboxSlot(p), { ...ev, isQueued: true, proc: p });
          return;
        }
        this.whenRunning(p, () => {
          this.totals.packetsDelivered++;
          p.swim.receivePacket(ev.from, this.isJsonWire ? JSON.parse(JSON.stringify(ev.packet)) : ev.packet, ev.bytes);
          this.flush(p);
        });
        return;
      }
      case 'tcp-request': {
        const p = ev.proc ?? this.procs.get(ev.to);
        if (p === undefined || !p.isUp || !this.network.canReach(ev.initiator.id, ev.to)) {
          this.totals.pushPullsFailed++;
          return;
        }
        if (!ev.isQueued && p.slowMs > 0) {
          this.schedule(this.inboxSlot(p), { ...ev, isQueued: true, proc: p });
          return;
        }
        this.whenRunning(p, () => {
          p.isJoined = true; // as the driver: someone exchanged full state with us
          const reply = p.swim.receivePushPull(ev.initiator.id, this.wire(ev.state));
          this.flush(p);
          this.sendTcp(p.id, ev.initiator.id, { kind: 'tcp-reply', to: ev.initiator, from: p.id, state: reply, isQueued: false });
        });
        return;
      }
      case 'tcp-reply': {
        const p = ev.to;
        if (!p.isUp || this.procs.get(p.id) !== p || !this.network.canReach(ev.from, p.id)) {
          this.totals.pushPullsFailed++;
          return;
        }
        if (!ev.isQueued && p.slowMs > 0) {
          this.schedule(this.inboxSlot(p), { ...ev, isQueued: true });
          return;
        }
        this.whenRunning(p, () => {
          p.swim.receivePushPullReply(ev.from, this.wire(ev.state));
          p.isJoined = true;
          this.flush(p);
        });
        return;
      }
    }
  }

  /** One leg of a push-pull, on the link's TCP connection (in order); it fails if lost or cut off. */
  private sendTcp(from: string, to: string, ev: SimEvent): void {
    const copies = this.network.send(from, to, true, (arrived) => {
      if (arrived) this.handle(ev, this.now());
      else this.totals.pushPullsFailed++;
    });
    if (copies === 0) this.totals.pushPullsFailed++;
  }

  /** Runs input handling now, or after the process's stall (in arrival order). */
  private whenRunning(p: SimProcess, deliver: () => void): void {
    if (p.pausedUntilMs > this.now()) {
      p.backlog.push(() => {
        if (p.isUp) deliver();
      });
      return;
    }
    deliver();
  }

  private wire<T>(value: T): T {
    return this.isJsonWire ? (JSON.parse(JSON.stringify(value)) as T) : value;
  }

  private inboxSlot(p: SimProcess): number {
    const at = Math.max(this.now() + p.slowMs, p.inboxFreeAtMs);
    p.inboxFreeAtMs = at;
    return at;
  }

  private spawn(id: string, meta: MemberMeta, roster: Roster | undefined): SimProcess {
    const swim = new SwimNode({ id, address: id, meta, config: this.config, clock: this.clock, random: this.random.fork(), roster });
    const p: SimProcess = { id, swim, isUp: true, slowMs: 0, wakeAtMs: Infinity, inboxFreeAtMs: 0, pausedUntilMs: 0, backlog: [], isJoined: true };
    this.procs.set(id, p);
    this.reschedule(p);
    return p;
  }

  /** Sends what the node produced, hands its events to the listeners, and schedules its next wake. */
  private flush(p: SimProcess): void {
    const ready = p.swim.drain();
    for (const out of ready.packets) {
      this.totals.packetsSent++;
      this.totals.bytesSent += out.bytes;
      const ev: SimEvent = { kind: 'udp', to: out.to, from: p.id, packet: out.packet, bytes: out.bytes, isQueued: false };
      const copies = this.network.send(p.id, out.to, false, (arrived) => {
        if (arrived) this.handle(ev, this.now());
        else this.totals.packetsLost++;
      });
      if (copies === 0) this.totals.packetsLost++;
    }
    for (const pp of ready.pushPulls) {
      this.totals.pushPulls++;
      this.sendTcp(p.id, pp.to, { kind: 'tcp-request', to: pp.to, initiator: p, state: pp.state, isQueued: false });
    }
    if (ready.events.length > 0 && this.listeners.length > 0) {
      this.totals.events += ready.events.length;
      for (const ev of ready.events) for (const l of this.listeners) l(p.id, ev);
    }
    this.reschedule(p);
  }

  private reschedule(p: SimProcess): void {
    if (!p.isUp || p.pausedUntilMs > this.now()) return;
    const next = Math.max(p.swim.nextDeadlineMs(), this.now());
    if (next < p.wakeAtMs) {
      p.wakeAtMs = next;
      this.schedule(next, { kind: 'wake', proc: p });
    }
  }
}
