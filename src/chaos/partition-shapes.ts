/**
 * The shapes of partition Jepsen's nemeses use, as pure functions of the node ids and a Random (so a seed
 * replays them): random halves, one node isolated, a bridge, a majority ring.
 */
import { shuffle, type Random } from '../random/random.js';
import type { Fault } from '../faults/faults.js';

/** The partition shapes a nemesis or `ccm chaos partition` can ask for. */
export type PartitionShape = 'halves' | 'isolate' | 'bridge' | 'majority-ring';

export const PARTITION_SHAPES: readonly PartitionShape[] = ['halves', 'isolate', 'bridge', 'majority-ring'];

function mixed(nodes: readonly string[], random: Random | undefined): string[] {
  const copy = [...nodes];
  return random ? shuffle(copy, random) : copy;
}

/** Two halves (the smaller first): with a Random, shuffled first (Jepsen's random halves). */
export function halves(nodes: readonly string[], random?: Random): string[][] {
  if (nodes.length < 2) throw new RangeError('halves need at least 2 nodes');
  const order = mixed(nodes, random);
  const cut = Math.floor(order.length / 2);
  return [order.slice(0, cut), order.slice(cut)];
}

/** One node alone, the rest together. */
export function isolate(node: string, nodes: readonly string[]): string[][] {
  return [[node], nodes.filter((n) => n !== node)];
}

/**
 * Jepsen's bridge: two halves that cannot reach each other and one node (the bridge) that reaches both.
 * The bridge is in no group (a node named in no group reaches everyone). Returns the groups and the bridge.
 */
export function bridge(nodes: readonly string[], random?: Random): { groups: string[][]; bridge: string } {
  if (nodes.length < 3) throw new RangeError('a bridge needs at least 3 nodes');
  const order = mixed(nodes, random);
  const middle = Math.floor(order.length / 2);
  return { groups: [order.slice(0, middle), order.slice(middle + 1)], bridge: order[middle] };
}

/** A ring order for a majority ring (shuffled with a Random). */
export function majorityRing(nodes: readonly string[], random?: Random): string[] {
  if (nodes.length < 4) throw new RangeError('a majority ring needs at least 4 nodes');
  return mixed(nodes, random);
}

/** The link fault for a shape (for `isolate`, `target` or a random node is cut off). */
export function partitionFault(shape: PartitionShape, nodes: readonly string[], random?: Random, target?: string): Fault {
  switch (shape) {
    case 'halves':
      return { kind: 'partition', groups: halves(nodes, random) };
    case 'isolate': {
      const node = target ?? (random ? nodes[random.int(0, nodes.length - 1)] : nodes[0]);
      return { kind: 'partition', groups: isolate(node, nodes) };
    }
    case 'bridge':
      return { kind: 'partition', groups: bridge(nodes, random).groups };
    case 'majority-ring':
      return { kind: 'majority-ring', ring: majorityRing(nodes, random) };
  }
}
