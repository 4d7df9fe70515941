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

/**
 * Why removing voter `id` would be unsafe now, or null if it is safe (etcd's strict reconfiguration check): the
 * core must keep a voter, and the voters that remain must include a quorum of their own number that the leader
 * hears from (`isActive`), or the core stops making progress the moment the change commits.
 */
export function voterRemovalProblem(id: NodeId, voters: readonly NodeId[], isActive: (voter: NodeId) => boolean): string | null {
  if (!voters.includes(id)) return null;
  const remaining = voters.filter((v) => v !== id);
  if (remaining.length === 0) return `${id} is the last voter: removing it would leave the core with no voter, and its data with no one to serve it`;
  const active = remaining.filter(isActive);
  const needed = quorumSize(remaining.length);
  if (active.length < needed) {
    const silent = remaining.filter((v) => !isActive(v));
    return (
      `removing ${id} would leave ${remaining.length} voter${remaining.length === 1 ? '' : 's'} (${remaining.join(', ')}) of which only ${active.length} ` +
      `answer${active.length === 1 ? 's' : ''} the leader (${active.join(', ') || 'none'}): a quorum needs ${needed}. Bring ${silent.join(', ')} back first`
    );
  }
  return null;
}
