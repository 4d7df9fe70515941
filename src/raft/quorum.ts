/**
 * Majority quorums over a set of voters (etcd's quorum/majority.go): the committed index and vote tallies.
 * Learners never appear here. Configurations are small (at most a handful of voters), so sorting is cheap.
 */
import type { NodeId } from './messages.js';

export type VoteResult = 'won' | 'lost' | 'pending';

/** The size of a majority of `n` voters. */
export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The highest index acknowledged by a majority: with matches sorted descending, the quorum-th one.
 * An empty configuration returns 0.
 */
export function committedIndex(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const n = voters.size;
  if (n === 0) return 0;
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  matches.sort((a, b) => b - a);
  return matches[quorumSize(n) - 1];
}

/** Tallies votes: won with a majority of grants, lost once a majority is out of reach, pending otherwise. */
export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const n = voters.size;
  if (n === 0) return 'won'; // as etcd: an empty configuration wins trivially (it never happens for a promotable node)
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = quorumSize(n);
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

/** Whether a majority of voters satisfy `isActive`. */
export function hasQuorum(voters: ReadonlySet<NodeId>, isActive: (id: NodeId) => boolean): boolean {
  let active = 0;
  for (const id of voters) if (isActive(id)) active++;
  return active >= quorumSize(voters.size);
}
