/**
 * Progress: the leader's view of one follower (etcd's tracker/progress.go).
 *
 * - probe: we do not know where the follower's log matches; send one append at a time and wait for the answer.
 * - replicate: the follower is caught up to `match`; pipeline appends optimistically (next moves on as we send),
 *   bounded by the inflights window.
 * - snapshot: the follower needs compacted entries; a snapshot is on its way and appends are paused.
 */
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round (the leader itself is always active). */
  recentActive = false;
  /** Probe: an append is outstanding. Replicate: the window was full when last sent. Cleared by acks and heartbeat replies. */
  msgAppFlowPaused = false;
  /** `match` when the last heartbeat reply came: unchanged across a heartbeat round means replication stalled. */
  matchAtLastHeartbeat = -1;
  /** Since the last heartbeat round an append went out and an answer came back (see Raft.bcastHeartbeat). */
  sentAppendSinceHeartbeat = false;
  heardSinceHeartbeat = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean, maxInflightBytes = 0) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // Probe after the snapshot: if it was applied the follower holds it, otherwise the reject walks us back.
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** Bookkeeping after sending an append with `entries` entries (last index next-1+entries) of `bytes`. */
  sentEntries(entries: number, bytes: number): void {
    this.sentAppendSinceHeartbeat = true;
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next += entries;
        this.inflights.add(this.next - 1, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (entries > 0) {
      this.msgAppFlowPaused = true; // probe: one append at a time
    }
  }

  /** An ack for `index`: returns false if it is stale (not above match). */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    if (this.next < index + 1) this.next = index + 1;
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * A rejection of the append at `rejected`, with the follower's hint of where the logs may match.
   * Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false; // stale: we already know a higher match
      // Back to probing, from where the follower's log may still agree with ours (etcd restarts from match + 1,
      // resending what the follower may well hold already, e.g. when a late append was refused for a gap).
      const next = Math.max(this.match + 1, Math.min(rejected, matchHint + 1));
      this.becomeProbe();
      this.next = next;
      return true;
    }
    // Probing sends one append at a time, at next-1; a rejection of anything else is stale.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether sending appends is paused (a snapshot in flight, a probe outstanding, or a full window). */
  isPaused(): boolean {
    if (this.state === 'snapshot') return true;
    return this.msgAppFlowPaused;
  }
}
