import type { Random } from '../../random/random.js';

/** The simulated network's fault vocabulary (TigerBeetle packet_simulator style), for UDP gossip and TCP push-pull. */
export interface SimNetworkOptions {
  /** One-way delay, drawn uniformly from [delayMsMin, delayMsMax] for each datagram and each TCP leg. */
  delayMsMin: number;
  delayMsMax: number;
  /** Probability that a datagram is lost, on every link (TCP is reliable unless partitioned or the peer is down). */
  loss: number;
  /** Probability that a delivered datagram is delivered twice (the copy with its own delay). */
  duplicate: number;
}

export const DEFAULT_SIM_NETWORK: SimNetworkOptions = { delayMsMin: 1, delayMsMax: 5, loss: 0, duplicate: 0 };

/** A period during which the cluster was split into groups. */
export interface PartitionPeriod {
  startMs: number;
  /** Infinity while the partition lasts. */
  endMs: number;
  groupOf: ReadonlyMap<string, number>;
}

/** Links between simulated nodes: delay, loss, duplication, partitions (with their history, for the checkers). */
export class SimNetwork {
  readonly options: SimNetworkOptions;
  private current: PartitionPeriod | undefined;
  private readonly history: PartitionPeriod[] = [];

  constructor(options: Partial<SimNetworkOptions>, private readonly random: Random) {
    this.options = { ...DEFAULT_SIM_NETWORK, ...options };
    const o = this.options;
    if (!(o.loss >= 0 && o.loss < 1)) throw new RangeError(`loss must be in [0, 1) (got ${o.loss})`);
    if (!(o.duplicate >= 0 && o.duplicate < 1)) throw new RangeError(`duplicate must be in [0, 1) (got ${o.duplicate})`);
    if (!(o.delayMsMin >= 0 && o.delayMsMax >= o.delayMsMin)) throw new RangeError(`need 0 <= delayMsMin <= delayMsMax`);
  }

  /** Splits the cluster: nodes in different groups cannot reach each other; nodes in no group form one more group. */
  partition(groups: readonly (readonly string[])[], nowMs: number): void {
    this.heal(nowMs);
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    this.current = { startMs: nowMs, endMs: Infinity, groupOf };
    this.history.push(this.current);
  }

  heal(nowMs: number): void {
    if (this.current !== undefined) this.current.endMs = nowMs;
    this.current = undefined;
  }

  isPartitioned(a: string, b: string): boolean {
    return this.current !== undefined && separates(this.current, a, b);
  }

  /** Whether a and b were on different sides of a partition at any time in [fromMs, toMs]. */
  wereSeparated(a: string, b: string, fromMs: number, toMs: number): boolean {
    return this.history.some((p) => p.startMs <= toMs && p.endMs >= fromMs && separates(p, a, b));
  }

  /** Whether any partition was in force at some time in [fromMs, toMs]. */
  wasPartitioned(fromMs: number, toMs: number): boolean {
    return this.history.some((p) => p.startMs <= toMs && p.endMs >= fromMs);
  }

  partitions(): readonly PartitionPeriod[] {
    return this.history;
  }

  /** The delay of a datagram from a to b, or undefined if it is lost or cut off. */
  udpDelay(from: string, to: string): number | undefined {
    if (this.isPartitioned(from, to)) return undefined;
    if (this.options.loss > 0 && this.random.next() < this.options.loss) return undefined;
    return this.delay();
  }

  isDuplicated(): boolean {
    return this.options.duplicate > 0 && this.random.next() < this.options.duplicate;
  }

  /** One leg of a TCP exchange: its delay, or undefined if the peer cannot be reached. */
  tcpDelay(from: string, to: string): number | undefined {
    if (this.isPartitioned(from, to)) return undefined;
    return this.delay();
  }

  private delay(): number {
    const { delayMsMin, delayMsMax } = this.options;
    return delayMsMin + this.random.next() * (delayMsMax - delayMsMin);
  }
}

function separates(p: PartitionPeriod, a: string, b: string): boolean {
  const rest = Number.MAX_SAFE_INTEGER;
  return (p.groupOf.get(a) ?? rest) !== (p.groupOf.get(b) ?? rest);
}
