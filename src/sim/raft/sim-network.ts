/**
 * The simulated network between Raft nodes, with TigerBeetle's packet-simulator vocabulary: one-way delay
 * (a base plus a random tail, occasionally very late, which reorders), loss, replay (duplication), partitions
 * (split, isolate-one, one-way) and clogged paths. Every decision draws from the run's seeded Random.
 *
 * Like ccm's transport (one TCP connection per peer), a path delivers in order: a message never overtakes one
 * sent before it on the same path, unless it is "late" (the chaos link filter's jitter, a reconnect), which is
 * how messages get reordered. `orderedPaths: false` lets every message take its own delay instead.
 */
import type { NodeId } from '../../raft/index.js';
import type { Random } from '../../random/random.js';

export interface NetworkFaults {
  /** Probability that a message is silently lost. */
  lossProbability: number;
  /** Probability that a message is delivered twice. */
  duplicateProbability: number;
  /** Probability that a message takes a long detour (up to lateDelayMsMax), overtaking later ones. */
  lateProbability: number;
}

export interface NetworkOptions {
  delayMsMin: number;
  /** Mean of the random part added to delayMsMin. */
  delayMsMean: number;
  lateDelayMsMax: number;
  /** Deliver each path's messages in the order sent, late ones aside (default true). */
  orderedPaths?: boolean;
}

export class SimNetwork {
  faults: NetworkFaults = { lossProbability: 0, duplicateProbability: 0, lateProbability: 0 };
  /** Blocked directed paths, "from>to". */
  private readonly blocked = new Set<string>();
  /** Extra delay on clogged directed paths until a time. */
  private readonly clogged = new Map<string, { untilMs: number; extraMs: number }>();
  /** The latest in-order delivery time scheduled on each directed path. */
  private readonly lastDeliveryMs = new Map<string, number>();

  constructor(
    private readonly random: Random,
    readonly options: NetworkOptions,
  ) {}

  /** Whether a message from `from` can reach `to` now. */
  canReach(from: NodeId, to: NodeId): boolean {
    return this.blocked.size === 0 || !this.blocked.has(`${from}>${to}`);
  }

  /**
   * The delivery delays for one message: [] if lost, one delay normally, two if duplicated.
   * Partitions are checked by the caller at send and at delivery time.
   */
  delaysFor(from: NodeId, to: NodeId, nowMs: number): number[] {
    const f = this.faults;
    if (f.lossProbability > 0 && this.random.next() < f.lossProbability) return [];
    const first = this.oneDelay(from, to, nowMs);
    if (f.duplicateProbability > 0 && this.random.next() < f.duplicateProbability) return [first, this.oneDelay(from, to, nowMs)];
    return [first];
  }

  private oneDelay(from: NodeId, to: NodeId, nowMs: number): number {
    const o = this.options;
    const path = `${from}>${to}`;
    let d = o.delayMsMin + Math.floor(-Math.log(1 - this.random.next()) * o.delayMsMean);
    if (this.clogged.size > 0) {
      const c = this.clogged.get(path);
      if (c !== undefined) {
        if (c.untilMs <= nowMs) this.clogged.delete(path);
        else d += c.extraMs;
      }
    }
    if (o.orderedPaths !== false) {
      // Head-of-line: not before the message sent ahead of this one on the same path.
      const last = this.lastDeliveryMs.get(path) ?? 0;
      if (nowMs + d < last) d = last - nowMs;
      this.lastDeliveryMs.set(path, nowMs + d);
    }
    if (this.faults.lateProbability > 0 && this.random.next() < this.faults.lateProbability) d += this.random.int(0, o.lateDelayMsMax);
    return d;
  }

  /** Blocks both directions between the two groups. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.blocked.add(`${x}>${y}`);
        this.blocked.add(`${y}>${x}`);
      }
    }
  }

  /** Blocks one direction only: `from` can no longer reach `to` (but hears from it). */
  blockOneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  clog(from: NodeId, to: NodeId, untilMs: number, extraMs: number): void {
    this.clogged.set(`${from}>${to}`, { untilMs, extraMs });
  }

  isPartitioned(): boolean {
    return this.blocked.size > 0;
  }

  /** Removes every partition and clog, and resets loss, duplication and lateness. */
  healAll(): void {
    this.blocked.clear();
    this.clogged.clear();
    this.faults = { lossProbability: 0, duplicateProbability: 0, lateProbability: 0 };
  }

  healPartitions(): void {
    this.blocked.clear();
  }

  describePartition(): string {
    return [...this.blocked].sort().join(' ');
  }
}
