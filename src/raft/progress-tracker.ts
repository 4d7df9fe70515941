/**
 * The configuration (voters, learners), the leader's per-peer Progress and the votes of the current election
 * (etcd's tracker/tracker.go plus the single-server part of confchange/). Changes are applied one at a time,
 * when the application applies the committed conf-change entry (as etcd does without joint consensus).
 */
import type { ConfChange, ConfState, NodeId } from './messages.js';
import { Progress } from './progress.js';
import { committedIndex, hasQuorum, voteResult, type VoteResult } from './quorum.js';

export class ProgressTracker {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  /** One entry per voter and learner (including this node), in a deterministic order. */
  readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();

  constructor(
    private readonly maxInflight: number,
    private readonly maxInflightBytes = 0,
  ) {}

  /** Replaces the configuration (at start and on snapshot restore); progress starts at `nextIndex`. */
  restore(cs: ConfState, nextIndex: number): void {
    this.voters.clear();
    this.learners.clear();
    this.progress.clear();
    for (const id of [...cs.voters].sort()) this.addProgress(id, nextIndex, false);
    for (const id of [...cs.learners].sort()) {
      if (this.voters.has(id)) continue;
      this.addProgress(id, nextIndex, true);
    }
  }

  /** The configuration, sorted. */
  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  /** Whether the configuration holds `id` as a voter or learner. */
  isMember(id: NodeId): boolean {
    return this.progress.has(id);
  }

  /**
   * Applies one change; returns false if it changes nothing (re-applying after a restart is harmless).
   * A new peer starts probing at `nextIndex` and counts as recently active, so check-quorum does not
   * depose the leader before the newcomer had a chance to answer.
   */
  apply(cc: ConfChange, nextIndex: number): boolean {
    const id = cc.nodeId;
    switch (cc.type) {
      case 'add-voter': {
        if (this.voters.has(id)) return false;
        const pr = this.progress.get(id);
        if (pr !== undefined) {
          // promote a learner
          this.learners.delete(id);
          this.voters.add(id);
          pr.isLearner = false;
          return true;
        }
        this.addProgress(id, nextIndex, false);
        return true;
      }
      case 'add-learner': {
        if (this.progress.has(id)) return false; // already a learner, or a voter (demotion is not supported)
        this.addProgress(id, nextIndex, true);
        return true;
      }
      case 'remove-node': {
        if (!this.progress.has(id)) return false;
        this.voters.delete(id);
        this.learners.delete(id);
        this.progress.delete(id);
        this.votes.delete(id);
        return true;
      }
    }
  }

  private addProgress(id: NodeId, nextIndex: number, isLearner: boolean): void {
    const pr = new Progress(nextIndex, this.maxInflight, isLearner, this.maxInflightBytes);
    pr.recentActive = true;
    this.progress.set(id, pr);
    (isLearner ? this.learners : this.voters).add(id);
  }

  /** Resets every progress (a new term): match 0, next = nextIndex, learner flags kept. */
  resetProgress(nextIndex: number): void {
    for (const [id, pr] of this.progress) {
      this.progress.set(id, new Progress(nextIndex, this.maxInflight, pr.isLearner, this.maxInflightBytes));
    }
  }

  /** The highest index a majority of voters hold (Raft §5.3). */
  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** Check-quorum: whether a majority of voters were heard from recently. */
  quorumActive(): boolean {
    return hasQuorum(this.voters, (id) => this.progress.get(id)?.recentActive === true);
  }

  /** Whether `acks` holds a majority of voters. */
  isQuorum(acks: ReadonlySet<NodeId>): boolean {
    return hasQuorum(this.voters, (id) => acks.has(id));
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a vote (the first answer from each voter counts) and returns the tally. */
  recordVote(id: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters, this.votes);
  }
}
