/**
 * Raft's safety properties (Raft paper Figure 3) checked as a simulation runs, kept apart from the simulator
 * (as TigerBeetle's state_checker): the simulator reports what it observes, the checker remembers what the
 * cluster has ever done and flags the first contradiction. Every check is incremental (O(new data) per
 * observation) so it can run after every step.
 */
import type { Entry, NodeId } from '../../raft/index.js';

export type RaftViolationKind =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'read-linearizability'
  | 'liveness'
  | 'node-error';

export interface RaftViolation {
  step: number;
  timeMs: number;
  kind: RaftViolationKind;
  description: string;
}

/** Read access to one node's log (stable and unstable). */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  /** undefined when compacted or beyond the end */
  term(index: number): number | undefined;
}

interface EntryRecord {
  node: NodeId;
  kind: Entry['kind'];
  data: string;
  prevTerm: number | undefined;
}

export class RaftInvariantChecker {
  readonly violations: RaftViolation[] = [];
  private step = 0;
  private timeMs = 0;
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** (index, term) -> the entry's content and its predecessor's term, as first seen durable anywhere. */
  private readonly entries = new Map<string, EntryRecord>();
  /** index -> term of the committed entry there. */
  private readonly committedTerm: number[] = [];
  /**
   * term -> the highest index seen committed by a node in that term. A node's commit index comes from a leader
   * of its term or an earlier one (or from its own hard state, saved with a term no lower), so the lowest term
   * an index is seen committed in is the term of the leader that committed it: the committing leader itself is
   * seen in the step it commits.
   */
  private readonly highestCommittedInTerm = new Map<number, number>();
  private readonly commitSeen = new Map<NodeId, number>();
  /** index -> the state hash after applying it, and who first applied it. */
  private readonly appliedAt: ({ term: number; hash: number; node: NodeId } | undefined)[] = [];
  /** Each pending read's lower bound: the highest commit index anywhere when it was requested. */
  private readonly readBound = new Map<string, number>();
  /** Highest commit index known committed by any node (in memory). */
  maxCommitted = 0;
  /** Highest commit index any node has made durable (a client can have seen everything up to it). */
  maxPersistedCommit = 0;

  /** The simulator's position, stamped on violations. */
  setClock(step: number, timeMs: number): void {
    this.step = step;
    this.timeMs = timeMs;
  }

  report(kind: RaftViolationKind, description: string): void {
    this.violations.push({ step: this.step, timeMs: this.timeMs, kind, description });
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  /**
   * Election safety (§5.2): at most one leader per term, ever. With `log`, also leader completeness (§5.4): the
   * leader of a term holds every entry committed in an earlier term (check it when the node has just become
   * leader). Entries committed in later terms are not its concern: a leader elected late, after a higher term
   * committed more, need not hold them.
   */
  observeLeader(node: NodeId, term: number, log?: LogView): void {
    const known = this.leaderOfTerm.get(term);
    if (known !== undefined && known !== node) {
      this.report('election-safety', `two leaders in term ${term}: ${known} and ${node}`);
      return;
    }
    const isNew = known === undefined;
    this.leaderOfTerm.set(term, node);
    if (!isNew || log === undefined) return;
    const mustHold = this.committedBeforeTerm(term);
    if (log.lastIndex() < mustHold.index) {
      this.report(
        'leader-completeness',
        `${node} became leader of term ${term} with last index ${log.lastIndex()}, below index ${mustHold.index} committed in term ${mustHold.term}`,
      );
      return;
    }
    for (let i = Math.max(1, log.firstIndex() - 1); i <= mustHold.index; i++) {
      const want = this.committedTerm[i];
      if (want === undefined) continue;
      const have = log.term(i);
      if (have !== undefined && have !== want) {
        this.report(
          'leader-completeness',
          `${node} became leader of term ${term} but holds term ${have} at index ${i}, where an entry of term ${want} was committed`,
        );
        return;
      }
    }
  }

  /** The highest index committed in a term before `term`, and that term (index 0 if none). */
  committedBeforeTerm(term: number): { index: number; term: number } {
    let best = { index: 0, term: 0 };
    for (const [t, index] of this.highestCommittedInTerm) if (t < term && index > best.index) best = { index, term: t };
    return best;
  }

  /** Whether `node` was already recorded as leader of `term`. */
  isKnownLeader(node: NodeId, term: number): boolean {
    return this.leaderOfTerm.get(term) === node;
  }

  get leadersElected(): number {
    return this.leaderOfTerm.size;
  }

  /**
   * Log matching (§5.3): an (index, term) pair names one entry everywhere, with the same predecessor term. By
   * induction two logs that share an (index, term) are then identical up to it. Call for each entry made durable.
   */
  observeAppended(node: NodeId, e: Entry, prevTerm: number | undefined): void {
    const key = `${e.index}:${e.term}`;
    const rec = this.entries.get(key);
    if (rec === undefined) {
      this.entries.set(key, { node, kind: e.kind, data: e.data, prevTerm });
      return;
    }
    if (rec.data !== e.data || rec.kind !== e.kind) {
      this.report(
        'log-matching',
        `entry ${e.index}/${e.term} differs: ${rec.node} holds ${JSON.stringify(rec.data)}, ${node} holds ${JSON.stringify(e.data)}`,
      );
    } else if (prevTerm !== undefined && rec.prevTerm !== undefined && prevTerm !== rec.prevTerm) {
      this.report(
        'log-matching',
        `entry ${e.index}/${e.term} follows term ${rec.prevTerm} on ${rec.node} but term ${prevTerm} on ${node}`,
      );
    } else if (rec.prevTerm === undefined && prevTerm !== undefined) {
      rec.prevTerm = prevTerm;
    }
  }

  /**
   * A node in `term` has commit index `commit`: entries up to it are committed for ever. Records their terms; a
   * different term at an index committed before means two nodes committed different entries there.
   */
  observeCommit(node: NodeId, term: number, commit: number, log: LogView): void {
    if (commit > (this.highestCommittedInTerm.get(term) ?? 0)) this.highestCommittedInTerm.set(term, commit);
    const seen = this.commitSeen.get(node) ?? 0;
    if (commit <= seen) return;
    const from = Math.max(seen + 1, log.firstIndex() - 1, 1);
    for (let i = from; i <= commit; i++) {
      const t = log.term(i);
      if (t === undefined) continue;
      const want = this.committedTerm[i];
      if (want === undefined) this.committedTerm[i] = t;
      else if (want !== t) {
        this.report('state-machine-safety', `${node} committed term ${t} at index ${i}, where term ${want} was committed before`);
        return;
      }
    }
    this.commitSeen.set(node, commit);
    if (commit > this.maxCommitted) this.maxCommitted = commit;
  }

  /** After a restart the node's commit index starts over from its hard state. */
  resetCommitSeen(node: NodeId, commit: number): void {
    this.commitSeen.set(node, commit);
  }

  /** A node persisted a hard state with this commit index. */
  observePersistedCommit(commit: number): void {
    if (commit > this.maxPersistedCommit) this.maxPersistedCommit = commit;
  }

  /** State machine safety (§5.4.3): every node applies the same entry at each index, reaching the same state. */
  observeApplied(node: NodeId, e: Entry, hashAfter: number): void {
    const rec = this.appliedAt[e.index];
    if (rec === undefined) {
      this.appliedAt[e.index] = { term: e.term, hash: hashAfter, node };
      return;
    }
    if (rec.term !== e.term || rec.hash !== hashAfter) {
      this.report(
        'state-machine-safety',
        `${node} applied ${e.index}/${e.term} reaching state ${hashAfter}, but ${rec.node} applied ${e.index}/${rec.term} reaching ${rec.hash}`,
      );
    }
  }

  /** A node loaded a snapshot: its state must equal what appliers reached at that index. */
  observeSnapshotLoaded(node: NodeId, index: number, term: number, hash: number): void {
    const rec = this.appliedAt[index];
    if (rec === undefined) return;
    if (rec.term !== term || rec.hash !== hash) {
      this.report(
        'state-machine-safety',
        `${node} loaded a snapshot at ${index}/${term} with state ${hash}, but ${rec.node} applied ${index}/${rec.term} reaching ${rec.hash}`,
      );
    }
  }

  /** The term of the entry applied at `index`, if anyone applied it. */
  appliedTermAt(index: number): number | undefined {
    return this.appliedAt[index]?.term;
  }

  /**
   * A ReadIndex request is being made now: its answer must cover every index any node knows committed (in
   * memory or durable), so it reflects every write that could have been acknowledged before it.
   */
  observeReadRequested(requestCtx: string): void {
    this.readBound.set(requestCtx, Math.max(this.maxCommitted, this.maxPersistedCommit));
  }

  /** The request was refused at once (not leader): no answer is expected. */
  forgetRead(requestCtx: string): void {
    this.readBound.delete(requestCtx);
  }

  /** Read linearizability (thesis §6.4): the read index is at least the commit index at request time. */
  observeReadAnswered(node: NodeId, requestCtx: string, index: number): void {
    const bound = this.readBound.get(requestCtx);
    if (bound === undefined) {
      this.report('read-linearizability', `${node} answered read ${requestCtx} that is not pending (answered twice?)`);
      return;
    }
    this.readBound.delete(requestCtx);
    if (index < bound) {
      this.report(
        'read-linearizability',
        `${node} answered read ${requestCtx} at index ${index}, but index ${bound} was known committed when it was requested`,
      );
    }
  }
}
