/**
 * RawNode: the synchronous, single-threaded Raft core the node runtime drives (etcd-io/raft's RawNode).
 * It does no I/O and keeps no timers: time is tick(), randomness is the injected Random.
 *
 * ## Driving it: the Ready loop (the caller's contract, in this order)
 *
 *   - Call tick() at a fixed interval (ccm: every 50 ms). Feed every message from a peer to step(). Client
 *     requests go through propose(), proposeConfChange(), readIndex() and transferLeader() on the leader;
 *     they throw NotLeaderError (with the leader hint) elsewhere. None of these send anything themselves.
 *   - After handling a batch of inputs, while hasReady(): take `rd = ready()` and
 *       0. send rd.immediateMessages whenever you like, even before step 1 (a leader's appends go out while it
 *          writes its own copy: Raft thesis §10.2.1);
 *       1. persist, atomically and durably (one fsync'd transaction): rd.snapshot (if any: it replaces the log
 *          up to its index), then rd.entries (appending; entries[0].index may replace a conflicting suffix),
 *          then rd.hardState (if present);
 *       2. only then send rd.messagesAfterPersist: each depends on step 1 (a vote grant on the saved vote, an
 *          append ack on the saved entries). Sending them earlier breaks Raft's safety;
 *       3. if rd.snapshot: load it into the state machine. Apply rd.committedEntries in order; for a
 *          'conf-change' entry, call applyConfChange(decodeConfChange(e.data)) and keep the returned ConfState
 *          with the applied index. An empty-data 'normal' entry is the leader's no-op: skip it;
 *          Acknowledge a client's write only once its entry is applied here (so its commit is durable);
 *       4. answer rd.readStates: serve each read once the applied index is >= its index. A 'reads-aborted'
 *          event lists reads that will never be answered (leadership lost): fail them (not_leader);
 *       5. log/show rd.events and rd.softState;
 *       6. call advance(rd). ready() may not be called again before that; step(), tick() and proposals may.
 *   - Everything proposed between two ready() calls reaches each follower in one append message (up to
 *     maxSizePerMsgBytes), so handling a burst of client requests and then draining Ready is group commit.
 *   - Compact the log yourself (after a snapshot of applied state), and make RaftStorage.snapshot() return a
 *     snapshot that includes any follower added since (build one at the applied index on demand).
 *   - Call reportUnreachable(id) when a send to `id` fails, and reportSnapshot(id, ok) once a MsgSnap ('snap')
 *     is delivered or fails: until then that follower gets no appends.
 *   - A brand-new cluster calls bootstrap(voters) on every initial voter (same list); a node joining later starts
 *     with empty storage, no bootstrap, and learns the configuration from the log or a snapshot.
 *   - A node removed from the configuration must keep running until every remaining voter has applied its
 *     removal: a voter that has not yet learned that the removal committed still counts the removed node and
 *     may need its vote. A removed leader leads on as a lame duck (dropping proposals) until a voter holds its
 *     whole log, then hands over with TimeoutNow; a removed node holding entries no voter has may campaign
 *     once more to do the same (see Raft.canCampaign). Watch status().confState to know when to stop it.
 *   - On restart pass RaftConfig.applied = the applied index you persisted, with the ConfState as of that index
 *     returned by storage.initialState().
 */
import { RaftArgumentError, RaftInvariantError } from './errors.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Role } from './messages.js';
import { encodeConfChange, isResponseMessage } from './messages.js';
import { resolveRaftConfig, type RaftConfig } from './raft-config.js';
import { Raft } from './raft.js';
import type { BasicStatus, RaftStatus, Ready, SoftState } from './ready.js';
import type { RaftStorage } from './storage.js';
import type { Random } from '../random/random.js';

export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** The Ready handed out and not yet advanced. */
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig, storage: RaftStorage, random: Random) {
    this.raft = new Raft(resolveRaftConfig(config), storage, random);
    this.prevSoft = { leaderId: this.raft.leaderId, role: this.raft.role };
    this.prevHard = this.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /**
   * Seeds a brand-new cluster: appends one committed add-voter entry per voter (sorted, term 1), exactly as
   * every other initial voter does, so all logs start identical and a node replaying the log from index 1
   * (a later joiner) rebuilds the configuration. Only on empty storage.
   */
  bootstrap(voters: readonly NodeId[]): void {
    const r = this.raft;
    if (r.log.lastIndex() !== 0 || r.term !== 0) throw new RaftArgumentError('bootstrap: storage is not empty');
    const ids = [...new Set(voters)].sort();
    if (ids.length === 0) throw new RaftArgumentError('bootstrap: at least one voter is required');
    r.becomeFollower(1, null, 'restart');
    const ents: Entry[] = ids.map((id, i) => ({
      index: i + 1,
      term: 1,
      kind: 'conf-change',
      data: encodeConfChange({ type: 'add-voter', nodeId: id }),
    }));
    r.log.append(ents);
    r.log.committed = ents.length;
    // The configuration takes effect now; the application applies the same entries again from the first
    // Ready (re-applying an add-voter is a no-op), which is when their events appear.
    for (const id of ids) r.tracker.apply({ type: 'add-voter', nodeId: id }, 1);
    r.isLearner = false;
  }

  /** Advances logical time by one tick: election timeouts on followers, heartbeats and check-quorum on leaders. */
  tick(): void {
    this.raft.tick();
  }

  /**
   * A message from a peer. Messages addressed elsewhere are ignored, and so are responses from nodes the
   * configuration does not hold (etcd's ErrStepPeerNotFound). Messages are trusted to be well-formed: the
   * transport validates them.
   */
  step(msg: Message): void {
    if (msg.to !== this.raft.id) return;
    if (isResponseMessage(msg) && !this.raft.tracker.isMember(msg.from)) return;
    this.raft.step(msg);
  }

  /** Proposes application data (leader only). Throws NotLeaderError or ProposalDroppedError. */
  propose(data: string): { index: number; term: number } {
    return this.raft.propose('normal', data);
  }

  /** Proposes a membership change (leader only, one pending at a time). Throws NotLeaderError, ProposalDroppedError, RaftArgumentError. */
  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.raft.proposeConfChange(cc);
  }

  /** Call when applying a committed conf-change entry; returns the new configuration (persist it with the applied index). */
  applyConfChange(cc: ConfChange): ConfState {
    const cs = this.raft.applyConfChange(cc);
    this.raft.settle();
    return cs;
  }

  /** Linearizable read (thesis §6.4), leader only; answered in a later Ready.readStates with `requestCtx` (must be unique). */
  readIndex(requestCtx: string): void {
    this.raft.readIndex(requestCtx);
  }

  /** Hands leadership to voter `to` (thesis §3.10); proposals are dropped until it completes or aborts after an election timeout. */
  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }

  /** Starts an election now (pre-vote first if configured). Ignored on a leader or a non-voter. */
  campaign(): void {
    this.raft.campaignNow();
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(id, ok);
  }

  /** Whether ready() would return anything. O(1). */
  hasReady(): boolean {
    const r = this.raft;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.readStates.length > 0 || r.events.length > 0) return true;
    if (r.hasPendingSends()) return true;
    if (r.leaderId !== this.prevSoft.leaderId || r.role !== this.prevSoft.role) return true;
    if (r.term !== this.prevHard.term || r.vote !== this.prevHard.vote || r.log.committed !== this.prevHard.commit) return true;
    if (r.log.unstable.nextSnapshot() !== undefined) return true;
    if (r.log.unstable.hasNextEntries()) return true;
    return r.log.hasNextCommittedEntries();
  }

  /** The next batch of work (see the contract above). Must be followed by advance() before the next ready(). */
  ready(): Ready {
    if (this.outstanding !== undefined) throw new RaftInvariantError('ready() called again before advance()');
    const r = this.raft;
    r.flushPendingSends();
    const log = r.log;
    const rd: Ready = {
      entries: log.unstable.nextEntries(),
      committedEntries: log.nextCommittedEntries(),
      immediateMessages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      readStates: r.readStates,
      events: r.events,
    };
    if (r.leaderId !== this.prevSoft.leaderId || r.role !== this.prevSoft.role) {
      this.prevSoft = { leaderId: r.leaderId, role: r.role };
      rd.softState = { ...this.prevSoft };
    }
    if (r.term !== this.prevHard.term || r.vote !== this.prevHard.vote || log.committed !== this.prevHard.commit) {
      this.prevHard = this.hardState();
      rd.hardState = { ...this.prevHard };
    }
    const snapshot = log.unstable.nextSnapshot();
    if (snapshot !== undefined) rd.snapshot = snapshot;

    log.unstable.acceptInProgress();
    if (rd.committedEntries.length > 0) {
      log.applying = rd.committedEntries[rd.committedEntries.length - 1].index;
      r.reduceUncommittedSize(rd.committedEntries);
    }
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    r.events = [];
    this.outstanding = rd;
    return rd;
  }

  /** The application has persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    if (rd !== this.outstanding) throw new RaftInvariantError('advance() must be given the Ready from the last ready()');
    this.outstanding = undefined;
    const log = this.raft.log;
    if (rd.snapshot !== undefined) {
      log.stableSnapTo(rd.snapshot.meta.index);
      if (rd.snapshot.meta.index > log.applied && rd.snapshot.meta.index <= log.committed) log.appliedTo(rd.snapshot.meta.index);
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      log.stableTo(last.index, last.term);
    }
    if (rd.committedEntries.length > 0) log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
    if (rd.hardState !== undefined) this.raft.durableTerm = rd.hardState.term;
    this.raft.onPersisted();
    this.raft.onApplied();
    this.raft.settle();
  }

  /** Cheap status for hot paths (no per-peer data). */
  basicStatus(): BasicStatus {
    return this.raft.basicStatus();
  }

  /** Full status: configuration and, on the leader, each peer's progress. */
  status(): RaftStatus {
    return this.raft.status();
  }

  /** The role, without building a status object. */
  get role(): Role {
    return this.raft.role;
  }

  /** The term at `index` in this node's log, or undefined if compacted or beyond the end (for checkers and tools). */
  logTerm(index: number): number | undefined {
    return this.raft.log.term(index);
  }

  /** Entries [lo, hi) of this node's log, stable and unstable (throws CompactedError below firstIndex). */
  logEntries(lo: number, hi: number): Entry[] {
    return this.raft.log.slice(lo, hi);
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }
}
