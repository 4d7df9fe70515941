/**
 * The Raft state machine (etcd's raft.go): roles, terms, elections, replication, commit, ReadIndex, leader
 * transfer and membership. Synchronous and pure: inputs are step(message), tick() and the application's
 * requests; outputs pile up in `msgs` and `msgsAfterPersist` (see send()), `readStates` and `events` until
 * RawNode.ready() drains them.
 *
 * Shape, as in etcd: step() applies the term rules common to every role, then dispatches to the role's
 * handler (stepLeader / stepCandidate / stepFollower); becomeX() swaps role and tick behaviour together.
 *
 * Sends to followers are deferred: proposals, commit advances and acks only mark a peer as needing an append,
 * and flushPendingSends() (called by RawNode.ready()) sends each peer one append covering everything new, so
 * all proposals between two ready() calls travel in one message per follower (group commit).
 */
import { NotLeaderError, ProposalDroppedError, RaftArgumentError, assertInvariant } from './errors.js';
import type {
  AppendMessage,
  AppendResponseMessage,
  ConfChange,
  ConfState,
  Entry,
  EntryKind,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  Message,
  NodeId,
  ReadState,
  Role,
  Snapshot,
  SnapshotMessage,
  VoteMessage,
  VoteResponseMessage,
} from './messages.js';
import { encodeConfChange, entryPayloadBytes, entrySizeBytes } from './messages.js';
import type { Progress } from './progress.js';
import { ProgressTracker } from './progress-tracker.js';
import type { ResolvedRaftConfig } from './raft-config.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import type { BasicStatus, PeerProgress, RaftEvent, RaftStatus, RoleChangeReason } from './ready.js';
import type { Random } from '../random/random.js';
import type { RaftStorage } from './storage.js';

type CampaignType = 'pre-election' | 'election' | 'transfer';

/** A follower keeps at most this many appends that arrived ahead of a gap (see Raft.keepEarlyAppend), and bytes. */
const EARLY_APPENDS_MAX = 256;
const EARLY_APPENDS_MAX_BYTES = 4 * 1024 * 1024;

/** How a peer's pending append should be flushed: only if there are entries, or even empty (to carry the commit index). */
const SEND_IF_NONEMPTY = 1;
const SEND_EVEN_IF_EMPTY = 2;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId | null = null;
  role: Role = 'follower';
  leaderId: NodeId | null = null;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  isLearner = false;

  /** Outbox, drained by ready(): messages that may leave before this node's pending writes are durable... */
  msgs: Message[] = [];
  /** ...and those that must wait for them (see send()). */
  msgsAfterPersist: Message[] = [];
  /** The term of the last hard state the application made durable (RawNode.advance keeps it). */
  durableTerm: number;
  readStates: ReadState[] = [];
  events: RaftEvent[] = [];

  leadTransferee: NodeId | null = null;
  /** A TimeoutNow arrived while a committed conf change was still unapplied: campaign once it is applied. */
  private transferCampaignPending = false;
  /** A conf change may be proposed only once this index is applied (one pending change at a time). */
  pendingConfIndex = 0;
  /** Payload bytes of the leader's uncommitted entries (maxUncommittedEntriesBytes). */
  uncommittedSize = 0;
  readonly readOnly = new ReadOnly();
  /**
   * Appends of the current leader that arrived before one they follow (a message overtaken on the way), kept to be
   * attached once the gap is filled, as if the network delivered them again then. They are refused all the same
   * (the leader probes back from our hint as usual); keeping them only spares the leader sending them again.
   */
  private earlyAppends: AppendMessage[] = [];
  private earlyAppendBytes = 0;
  /** Reads that arrived before the leader committed an entry of its term; released by the first such commit. */
  private pendingReadIndexRequests: string[] = [];

  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;

  /** Deferred sends (see the file comment). */
  private appendAllMode = 0;
  private readonly appendPeerMode = new Map<NodeId, number>();
  private heartbeatForReadsPending = false;
  /** The leader last reported in an event, to emit leader-changed once per real change. */
  private reportedLeader: NodeId | null = null;

  constructor(
    config: ResolvedRaftConfig,
    storage: RaftStorage,
    private readonly random: Random,
  ) {
    this.id = config.id;
    this.electionTimeout = config.electionTicks;
    this.heartbeatTimeout = config.heartbeatTicks;
    this.checkQuorum = config.checkQuorum;
    this.preVote = config.preVote;
    this.maxMsgSize = config.maxSizePerMsgBytes;
    this.maxUncommittedSize = config.maxUncommittedEntriesBytes;
    this.log = new RaftLog(storage, config.maxCommittedSizePerReadyBytes);
    this.tracker = new ProgressTracker(config.maxInflightMsgs, config.maxInflightBytes);

    const { hardState, confState } = storage.initialState();
    this.durableTerm = hardState.term;
    this.tracker.restore(confState, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    if (hardState.term !== 0 || hardState.vote !== null || hardState.commit !== 0) {
      if (hardState.commit < this.log.committed || hardState.commit > this.log.lastIndex()) {
        throw new RaftArgumentError(
          `hard state commit ${hardState.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
        );
      }
      this.log.committed = hardState.commit;
      this.term = hardState.term;
    }
    if (config.applied > 0) {
      if (config.applied > this.log.committed) {
        throw new RaftArgumentError(`raft config: applied ${config.applied} is beyond the committed index ${this.log.committed}`);
      }
      this.log.appliedTo(config.applied);
    }
    this.becomeFollower(this.term, null, 'restart');
    this.vote = hardState.vote;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Role transitions

  private reset(term: number): void {
    if (term !== this.term) {
      this.events.push({ type: 'term-changed', from: this.term, to: term });
      this.term = term;
      this.vote = null;
    }
    this.leaderId = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.dropEarlyAppends();
    this.transferCampaignPending = false;
    this.randomizedElectionTimeout = this.electionTimeout + this.random.int(0, this.electionTimeout - 1);
    if (this.leadTransferee !== null) this.abortLeaderTransfer('stepped-down');
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.log.lastIndex() + 1);
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) self.match = this.log.lastPersistedIndex();
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    const aborted = [...this.pendingReadIndexRequests, ...this.readOnly.clear()];
    this.pendingReadIndexRequests = [];
    if (aborted.length > 0) this.events.push({ type: 'reads-aborted', requestCtxs: aborted, term: this.term });
    this.appendAllMode = 0;
    this.appendPeerMode.clear();
    this.heartbeatForReadsPending = false;
  }

  private setRole(role: Role, reason: RoleChangeReason): void {
    if (this.role !== role) this.events.push({ type: 'role-changed', from: this.role, to: role, term: this.term, reason });
    this.role = role;
  }

  becomeFollower(term: number, leaderId: NodeId | null, reason: RoleChangeReason): void {
    this.reset(term);
    this.leaderId = leaderId;
    this.setRole('follower', reason);
  }

  private becomeCandidate(): void {
    assertInvariant(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.setRole('candidate', 'campaign');
  }

  private becomePreCandidate(): void {
    assertInvariant(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // Pre-vote changes neither term nor vote: a failed pre-campaign leaves no trace on the cluster.
    this.tracker.resetVotes();
    this.leaderId = null;
    this.setRole('pre-candidate', 'election-timeout');
  }

  private becomeLeader(): void {
    assertInvariant(this.role !== 'follower', 'a follower cannot become leader without an election');
    this.reset(this.term);
    this.leaderId = this.id;
    this.setRole('leader', 'won-election');
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.match = this.log.lastPersistedIndex();
      self.next = this.log.lastIndex() + 1;
      self.recentActive = true;
    }
    // A conf change may hide anywhere in the uncommitted tail; refuse new ones until it is all applied.
    this.pendingConfIndex = this.log.lastIndex();
    // §5.4.2 / §8: commit an entry of our own term (a no-op) so earlier entries commit and reads can be served.
    this.appendEntries([{ kind: 'normal', data: '' }]);
    this.uncommittedSize = 0; // the no-op is not charged
    this.queueAppendAll(SEND_EVEN_IF_EMPTY);
    if (this.isLameDuck()) this.handOff();
  }

  /** Whether this node is a voter in its configuration. */
  promotable(): boolean {
    return this.tracker.voters.has(this.id);
  }

  /**
   * Whether this node may stand for election: a voter, or a "caretaker" — a node that applied its own removal
   * but still holds entries beyond its commit index. Under single-server changes applied on commit, the
   * remaining voters may not have learned that the removal committed, so they still count this node and need
   * its vote, which it must refuse while its log is longer than theirs: only it can then lead, replicate those
   * entries and hand over. It tallies votes of its own (new) configuration, which overlaps every configuration
   * in use, so election safety holds; as a leader outside its configuration it drops proposals and hands over.
   *
   * This is read from durable state alone, so a caretaker that restarts is one still: a configuration that holds
   * voters but not this node was applied after its removal. A joiner replaying the configurations from before it
   * was added looks the same only while its log ends before its own add-learner entry — and then all of it is
   * committed (whoever replicates to it committed that entry first) — or while that entry is committed but not
   * applied, when hup() refuses to campaign.
   */
  private canCampaign(): boolean {
    if (this.promotable()) return true;
    return !this.tracker.isMember(this.id) && this.tracker.voters.size > 0 && this.log.lastIndex() > this.log.committed;
  }

  /** A leader outside its own configuration (it applied its removal): it only hands leadership over. */
  private isLameDuck(): boolean {
    return this.role === 'leader' && !this.tracker.voters.has(this.id);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ticks

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
    this.noteLeader();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout && this.canCampaign()) {
      this.electionElapsed = 0;
      this.hup(this.preVote ? 'pre-election' : 'election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        if (!this.tracker.quorumActive()) {
          this.becomeFollower(this.term, null, 'check-quorum');
          return;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
      }
      if (this.leadTransferee !== null) this.abortLeaderTransfer('timeout');
      if (this.isLameDuck()) this.handOff();
      if (this.role !== 'leader') return;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastPendingRequestCtx());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Elections

  /** Starts an election if allowed (a voter, not leader, nothing unapplied that could change the configuration). */
  hup(type: CampaignType): void {
    if (this.role === 'leader') return;
    if (!this.canCampaign()) return;
    if (this.log.hasPendingSnapshot() || this.hasUnappliedConfChanges()) {
      // Our configuration may be about to change. A leader transfer is worth waiting for (a removed leader
      // hands over right after its removal commits, often before we applied it): retry once applied.
      if (type === 'transfer') this.transferCampaignPending = true;
      return;
    }
    this.transferCampaignPending = false;
    this.campaign(type);
    this.noteLeader();
  }

  /** The application applied entries (advance): run a leader-transfer campaign that was waiting for them. */
  onApplied(): void {
    if (!this.transferCampaignPending) return;
    if (this.role !== 'follower') {
      this.transferCampaignPending = false;
      return;
    }
    if (this.log.applied >= this.log.committed && !this.log.hasPendingSnapshot()) this.hup('transfer');
  }

  /** An election forced by the application (tests, operators): pre-vote first if configured. */
  campaignNow(): void {
    this.hup(this.preVote ? 'pre-election' : 'election');
  }

  private hasUnappliedConfChanges(): boolean {
    const log = this.log;
    if (log.applied >= log.committed) return false;
    // Paginate so a long unapplied tail does not spike memory.
    let lo = log.applied + 1;
    const hi = log.committed + 1;
    while (lo < hi) {
      const batch = log.slice(lo, hi, 1024 * 1024);
      for (const e of batch) if (e.kind === 'conf-change') return true;
      lo += batch.length;
    }
    return false;
  }

  private campaign(type: CampaignType): void {
    let term: number;
    let voteType: 'vote' | 'pre-vote';
    if (type === 'pre-election') {
      this.becomePreCandidate();
      voteType = 'pre-vote';
      term = this.term + 1; // pre-votes are asked for the term we would campaign in
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      term = this.term;
    }
    this.events.push({ type: 'election-started', term, preVote: type === 'pre-election', leaderTransfer: type === 'transfer' });
    if (this.tracker.recordVote(this.id, true) === 'won') {
      // A single-voter configuration wins at once.
      if (type === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of [...this.tracker.voters].sort()) {
      if (id === this.id) continue;
      const m: VoteMessage = { type: voteType, from: this.id, to: id, term, index, logTerm, isLeaderTransfer: type === 'transfer' };
      this.send(m);
    }
  }

  private handleVoteRequest(m: VoteMessage): void {
    const isPreVote = m.type === 'pre-vote';
    // We can vote if this repeats a vote we cast, or we have not voted and know no leader in this term,
    // or it is a pre-vote for a future term...
    const canVote =
      this.vote === m.from || (this.vote === null && this.leaderId === null) || (isPreVote && m.term > this.term);
    // ...and the candidate's log is at least as up to date as ours (§5.4.1).
    // Learners may vote too: a promoted learner may not know it yet (etcd does the same).
    const respType = isPreVote ? 'pre-vote-resp' : 'vote-resp';
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Answer with the request's term: for pre-votes ours may be lower, and the candidate ignores stale terms.
      const resp: VoteResponseMessage = { type: respType, from: this.id, to: m.from, term: m.term, reject: false };
      this.send(resp);
      if (!isPreVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
      this.events.push({ type: 'vote-granted', candidate: m.from, term: m.term, preVote: isPreVote });
    } else {
      const resp: VoteResponseMessage = { type: respType, from: this.id, to: m.from, term: this.term, reject: true };
      this.send(resp);
      const base = { type: 'vote-refused' as const, candidate: m.from, term: m.term, preVote: isPreVote };
      if (!canVote) {
        this.events.push(this.vote !== null ? { ...base, reason: 'already-voted', other: this.vote } : { ...base, reason: 'knows-leader', other: this.leaderId });
      } else {
        this.events.push({ ...base, reason: 'log-behind', candidateLast: `${m.index}/${m.logTerm}`, ownLast: `${this.log.lastIndex()}/${this.log.lastTerm()}` });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Step: term rules shared by every role, then the role's handler

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        // Leader lease (thesis §4.2.3 / §6.2): having heard from a live leader within the election timeout,
        // ignore the request, neither raising our term nor voting, unless a leader transfer forces it.
        const inLease = this.checkQuorum && this.leaderId !== null && this.electionElapsed < this.electionTimeout;
        if (!m.isLeaderTransfer && inLease) {
          this.events.push({ type: 'vote-refused', candidate: m.from, term: m.term, preVote: m.type === 'pre-vote', reason: 'leader-lease', other: this.leaderId });
          return;
        }
      }
      if (m.type === 'pre-vote') {
        // Never raise our term for a pre-vote.
      } else if (m.type === 'pre-vote-resp' && !m.reject) {
        // A granted pre-vote carries the term we asked for; we raise it only once we win the pre-vote.
      } else {
        const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
        const elapsed = this.electionElapsed;
        this.becomeFollower(m.term, fromLeader ? m.from : null, fromLeader ? 'heard-leader' : 'higher-term');
        // Figure 2: only hearing a leader or granting a vote restarts the election timer. (etcd restarts it on
        // any higher term: then a stale candidate with a fast clock, refused again and again, keeps every
        // up-to-date node from ever timing out when pre-vote is off.)
        if (!fromLeader) this.electionElapsed = Math.min(elapsed, this.electionTimeout);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A leader of an older term: perhaps we raised our term while partitioned and can never win nor rejoin
        // at its term (check-quorum and pre-vote keep our term from spreading). Tell it our term so it steps
        // down and a fresh election can include us.
        this.sendAppendResponse(m.from, 0, false, 0, 0);
      } else if (m.type === 'pre-vote' || m.type === 'vote') {
        // Refuse with our term (Figure 2: RequestVote's reply carries currentTerm), so the candidate steps down to
        // it and can campaign above it next time. Silence would leave a candidate whose configuration still needs
        // our vote (it has not applied the change that made it differ from ours) campaigning below our term for
        // ever, while we may be unable to win without it. etcd answers only pre-votes here.
        const resp: VoteResponseMessage = { type: m.type === 'vote' ? 'vote-resp' : 'pre-vote-resp', from: this.id, to: m.from, term: this.term, reject: true };
        this.send(resp);
        this.events.push({ type: 'vote-refused', candidate: m.from, term: m.term, preVote: m.type === 'pre-vote', reason: 'stale-term' });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'pre-vote') {
      this.handleVoteRequest(m);
    } else if (this.role === 'leader') {
      this.stepLeader(m);
    } else if (this.role === 'follower') {
      this.stepFollower(m);
    } else {
      this.stepCandidate(m);
    }
    this.noteLeader();
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeout-now':
        // A leader transfer: campaign now, without pre-vote (we know we are not coming back from a partition).
        this.hup('transfer');
        return;
      default:
        return; // stale responses from an earlier role
    }
  }

  private stepCandidate(m: Message): void {
    const myResponse = this.role === 'pre-candidate' ? 'pre-vote-resp' : 'vote-resp';
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from, 'heard-leader'); // m.term === this.term: someone won
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from, 'heard-leader');
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from, 'heard-leader');
        this.handleSnapshot(m);
        return;
      case 'vote-resp':
      case 'pre-vote-resp': {
        if (m.type !== myResponse) return; // e.g. a late pre-vote answer after we became a candidate
        const result = this.tracker.recordVote(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'pre-candidate') this.campaign('election');
          else this.becomeLeader();
        } else if (result === 'lost') {
          // A pre-vote answer may carry a future term: stay at ours.
          this.becomeFollower(this.term, null, 'lost-election');
        }
        return;
      }
      default:
        return;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return; // not (or no longer) in the configuration
    switch (m.type) {
      case 'app-resp':
        this.handleAppendResponse(m, pr);
        return;
      case 'heartbeat-resp':
        this.handleHeartbeatResponse(m, pr);
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Replication: follower side

  private sendAppendResponse(to: NodeId, index: number, reject: boolean, rejectHint: number, logTerm: number): void {
    const m: AppendResponseMessage = { type: 'app-resp', from: this.id, to, term: this.term, index, reject, rejectHint, logTerm };
    this.send(m);
  }

  private handleAppend(m: AppendMessage): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index matches any leader's log: tell the leader where we are.
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      this.sendAppendResponse(m.from, this.attachEarlyAppends(lastNew), false, 0, 0);
      return;
    }
    if (m.index > this.log.lastIndex() && m.entries.length > 0) this.keepEarlyAppend(m);
    // Fast backtracking: the highest (index, term) with index <= m.index and term <= m.logTerm is where the
    // logs may still agree; the leader can skip every entry of ours with a term above m.logTerm at once.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.sendAppendResponse(m.from, m.index, true, hint.index, hint.term);
  }

  /** Keeps an append that arrived ahead of a gap in our log (bounded; duplicates once). */
  private keepEarlyAppend(m: AppendMessage): void {
    if (this.earlyAppends.length >= EARLY_APPENDS_MAX) return;
    if (this.earlyAppends.some((e) => e.index === m.index && e.entries.length === m.entries.length)) return;
    let bytes = 0;
    for (const e of m.entries) bytes += entrySizeBytes(e);
    if (this.earlyAppendBytes + bytes > EARLY_APPENDS_MAX_BYTES) return;
    this.earlyAppends.push(m);
    this.earlyAppendBytes += bytes;
  }

  /**
   * Our log now matches the leader's up to `lastNew`: attach the kept appends that follow on from there, in turn,
   * and drop those it already covers. Returns the new last index that matches.
   */
  private attachEarlyAppends(lastNew: number): number {
    for (let i = 0; i < this.earlyAppends.length; ) {
      const e = this.earlyAppends[i];
      if (e.index > lastNew) {
        i++;
        continue;
      }
      this.earlyAppends.splice(i, 1);
      for (const x of e.entries) this.earlyAppendBytes -= entrySizeBytes(x);
      if (e.index + e.entries.length <= lastNew) continue; // covered already
      const attached = this.log.maybeAppend(e.index, e.logTerm, e.commit, e.entries);
      if (attached > lastNew) lastNew = attached;
      i = 0; // it may fill the gap before another one
    }
    return lastNew;
  }

  private dropEarlyAppends(): void {
    if (this.earlyAppends.length === 0) return;
    this.earlyAppends = [];
    this.earlyAppendBytes = 0;
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(m.commit);
    const resp: HeartbeatResponseMessage = { type: 'heartbeat-resp', from: this.id, to: m.from, term: this.term, context: m.context };
    this.send(resp);
  }

  private handleSnapshot(m: SnapshotMessage): void {
    if (this.restore(m.snapshot, m.from)) {
      this.sendAppendResponse(m.from, this.log.lastIndex(), false, 0, 0);
    } else {
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
    }
  }

  /** Installs a snapshot if it brings something new; returns whether it did. */
  private restore(s: Snapshot, from: NodeId): boolean {
    if (s.meta.index <= this.log.committed) return false;
    // Entries handed out in a Ready are still being applied (a step between ready() and advance()): their conf
    // changes would land on the snapshot's configuration. Refuse; the leader sends the snapshot again.
    if (this.log.applying > this.log.applied) return false;
    if (this.role !== 'follower') {
      // Defense in depth (as etcd): only followers install snapshots.
      this.becomeFollower(this.term + 1, null, 'higher-term');
      return false;
    }
    const cs = s.meta.confState;
    if (!cs.voters.includes(this.id) && !cs.learners.includes(this.id)) {
      // The snapshot predates our joining: installing it would leave us outside our own configuration.
      return false;
    }
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We already hold this prefix: just fast-forward the commit index.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.dropEarlyAppends();
    this.tracker.restore(cs, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    this.events.push({ type: 'snapshot-restored', index: s.meta.index, term: s.meta.term, from });
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Replication: leader side

  private handleAppendResponse(m: AppendResponseMessage, pr: Progress): void {
    pr.recentActive = true;
    pr.heardSinceHeartbeat = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) {
        // Skip our entries with terms above the follower's hint term as well: both sides jump a term at a time.
        nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbe)) this.queueAppend(m.from, SEND_EVEN_IF_EMPTY);
      return;
    }
    const wasPaused = pr.isPaused();
    // A probe answered at exactly our match also proves the logs agree: move to replicate.
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      // The follower caught up past our compaction point (from the snapshot or otherwise): replicate from the log.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexRequests();
      this.queueAppendAll(SEND_EVEN_IF_EMPTY);
    } else if (wasPaused) {
      this.queueAppend(m.from, SEND_EVEN_IF_EMPTY); // it may be missing the latest commit index
    } else {
      this.queueAppend(m.from, SEND_IF_NONEMPTY); // the window may have room for more
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
      if (this.isLameDuck()) this.becomeFollower(this.term, null, 'removed');
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponseMessage, pr: Progress): void {
    pr.recentActive = true;
    pr.heardSinceHeartbeat = true;
    pr.msgAppFlowPaused = false;
    const last = this.log.lastIndex();
    if (pr.state === 'probe') {
      this.queueAppend(m.from, SEND_EVEN_IF_EMPTY); // the probe may have been lost: probe again
    } else if (pr.state === 'replicate' && pr.match < last) {
      if (pr.match === pr.matchAtLastHeartbeat) {
        // No ack over a whole heartbeat round: appends may have been lost. An empty append is answered (or
        // refused) at once, which frees the window or walks `next` back to what is missing. (etcd sends one
        // whenever the window is full; while acks keep coming that only adds messages, and where paths reorder
        // it overtakes the appends in flight, is refused, and throws the pipeline back to probing.)
        this.queueAppend(m.from, SEND_EVEN_IF_EMPTY);
      } else if (pr.next <= last) {
        this.queueAppend(m.from, SEND_IF_NONEMPTY);
      }
    }
    pr.matchAtLastHeartbeat = pr.match;
    if (m.context === '') return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || !this.tracker.isQuorum(acks)) return;
    for (const rs of this.readOnly.advance(m.context)) this.readStates.push({ index: rs.index, requestCtx: rs.requestCtx });
  }

  /** Commits the highest index a quorum holds, if it is of the current term. */
  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /**
   * Queues a message for the next Ready, in the list that says when it may leave (etcd-io/raft's msgs and
   * msgsAfterAppend). A message that vouches for this node's unsaved state waits until the Ready's entries,
   * snapshot and hard state are durable: an append ack promises the entries (Raft §5.3, thesis §3.8), a vote or
   * pre-vote answer the vote and the log it compared, and a vote request the candidate's own vote, which it counts
   * at once (etcd counts it only after the append, and so may send its requests early). Everything else may leave
   * at once: a leader's appends, snapshots and heartbeats vouch for nothing on its disk (it counts its own copy
   * only once persisted, at advance: thesis §10.2.1), nor do heartbeat answers, pre-vote requests or TimeoutNow —
   * provided this node's term is durable. Nothing leaves in a term not yet written: a single voter elects itself at
   * once, without a vote request to wait, and if a crash then lost the term it could lead that term again with
   * other entries at the same indexes as the appends it had sent (seed 1004119, with learners in the cluster).
   */
  private send(m: Message): void {
    if (this.term > this.durableTerm) {
      this.msgsAfterPersist.push(m);
      return;
    }
    switch (m.type) {
      case 'app-resp':
      case 'vote':
      case 'vote-resp':
      case 'pre-vote-resp':
        this.msgsAfterPersist.push(m);
        return;
      default:
        this.msgs.push(m);
    }
  }

  private queueAppendAll(mode: number): void {
    if (mode > this.appendAllMode) this.appendAllMode = mode;
  }

  private queueAppend(to: NodeId, mode: number): void {
    const current = this.appendPeerMode.get(to) ?? 0;
    if (mode > current) this.appendPeerMode.set(to, mode);
  }

  hasPendingSends(): boolean {
    return this.appendAllMode > 0 || this.appendPeerMode.size > 0 || this.heartbeatForReadsPending;
  }

  /** Sends what was queued since the last flush: one append round per marked peer, one heartbeat round for reads. */
  flushPendingSends(): void {
    if (this.role !== 'leader') {
      this.appendAllMode = 0;
      this.appendPeerMode.clear();
      this.heartbeatForReadsPending = false;
      return;
    }
    if (this.heartbeatForReadsPending) {
      this.heartbeatForReadsPending = false;
      this.bcastHeartbeat(this.readOnly.lastPendingRequestCtx());
    }
    if (this.appendAllMode === 0 && this.appendPeerMode.size === 0) return;
    for (const id of this.tracker.progress.keys()) {
      if (id === this.id) continue;
      const mode = Math.max(this.appendAllMode, this.appendPeerMode.get(id) ?? 0);
      if (mode === 0) continue;
      if (this.maybeSendAppend(id, mode === SEND_EVEN_IF_EMPTY)) {
        // Fill the window: further size-limited appends, never empty ones.
        while (this.maybeSendAppend(id, false)) {
          /* keep sending */
        }
      }
    }
    this.appendAllMode = 0;
    this.appendPeerMode.clear();
  }

  /** Sends one append (or a snapshot, if the follower needs compacted entries); returns whether it sent anything. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined || pr.next < this.log.firstIndex()) return this.maybeSendSnapshot(to, pr);
    let entries: Entry[] = [];
    // A full window only lets an empty append through: its answer frees the window if every append was lost.
    if (pr.state !== 'replicate' || !pr.inflights.full()) entries = this.log.entriesFrom(pr.next, this.maxMsgSize);
    if (entries.length === 0 && !sendIfEmpty) return false;
    const m: AppendMessage = {
      type: 'app',
      from: this.id,
      to,
      term: this.term,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
    };
    this.send(m);
    let bytes = 0;
    for (const e of entries) bytes += entrySizeBytes(e);
    pr.sentEntries(entries.length, bytes);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false; // do not ship a snapshot to a peer that may be down
    const snapshot = this.log.snapshot();
    assertInvariant(
      snapshot.meta.index >= this.log.firstIndex() - 1,
      () => `storage snapshot at ${snapshot.meta.index} does not cover the compaction point ${this.log.firstIndex() - 1}`,
    );
    pr.becomeSnapshot(snapshot.meta.index);
    const m: SnapshotMessage = { type: 'snap', from: this.id, to, term: this.term, snapshot };
    this.send(m);
    this.events.push({ type: 'snapshot-sent', to, index: snapshot.meta.index, term: snapshot.meta.term });
    return true;
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      // While appends flow both ways, a heartbeat only queues behind them: the follower heard from us since the last
      // round (its election timer restarted, the commit index came along) and we heard from it (check-quorum). If
      // its answers stop — a slow disk holds acks back — heartbeats resume, and their answers do not wait for disks.
      // Heartbeats that confirm reads always go.
      const skip = context === '' && pr.sentAppendSinceHeartbeat && pr.heardSinceHeartbeat;
      pr.sentAppendSinceHeartbeat = false;
      pr.heardSinceHeartbeat = false;
      if (skip) continue;
      // Never tell a follower to commit past what it is known to hold.
      const m: HeartbeatMessage = {
        type: 'heartbeat',
        from: this.id,
        to: id,
        term: this.term,
        commit: Math.min(pr.match, this.log.committed),
        context,
      };
      this.send(m);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeout-now', from: this.id, to, term: this.term });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Proposals, persistence, reads, transfer, membership

  private appendEntries(items: readonly { kind: EntryKind; data: string }[]): Entry[] {
    const last = this.log.lastIndex();
    const ents: Entry[] = items.map((it, i) => ({ index: last + 1 + i, term: this.term, kind: it.kind, data: it.data }));
    this.log.append(ents);
    return ents;
  }

  private requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId);
  }

  /** Appends a proposal on the leader; it goes out with the next flush. */
  propose(kind: EntryKind, data: string): { index: number; term: number } {
    this.requireLeader();
    if (!this.tracker.progress.has(this.id)) throw new ProposalDroppedError('this leader was removed from the configuration');
    if (this.leadTransferee !== null) throw new ProposalDroppedError(`leader transfer to ${this.leadTransferee} in progress`);
    const size = data.length;
    if (this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > this.maxUncommittedSize) {
      throw new ProposalDroppedError(`uncommitted entries exceed maxUncommittedEntriesBytes (${this.maxUncommittedSize})`);
    }
    this.uncommittedSize += size;
    const [e] = this.appendEntries([{ kind, data }]);
    this.queueAppendAll(SEND_IF_NONEMPTY);
    return { index: e.index, term: e.term };
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    this.requireLeader();
    this.validateConfChange(cc);
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError(
        `a configuration change may be pending (index ${this.pendingConfIndex}, applied ${this.log.applied})`,
      );
    }
    const result = this.propose('conf-change', encodeConfChange(cc));
    this.pendingConfIndex = result.index;
    return result;
  }

  private validateConfChange(cc: ConfChange): void {
    if (typeof cc.nodeId !== 'string' || cc.nodeId === '') throw new RaftArgumentError('conf change: nodeId must be a non-empty string');
    const t = this.tracker;
    switch (cc.type) {
      case 'add-voter':
        if (t.voters.has(cc.nodeId)) throw new RaftArgumentError(`conf change: ${cc.nodeId} is already a voter`);
        return;
      case 'add-learner':
        if (t.voters.has(cc.nodeId)) throw new RaftArgumentError(`conf change: ${cc.nodeId} is a voter (demotion is not supported)`);
        if (t.learners.has(cc.nodeId)) throw new RaftArgumentError(`conf change: ${cc.nodeId} is already a learner`);
        return;
      case 'remove-node':
        if (!t.isMember(cc.nodeId)) throw new RaftArgumentError(`conf change: ${cc.nodeId} is not in the configuration`);
        if (t.voters.has(cc.nodeId) && t.voters.size === 1) throw new RaftArgumentError('conf change: cannot remove the last voter');
        return;
      default:
        throw new RaftArgumentError(`conf change: unknown type ${(cc as { type: unknown }).type as string}`);
    }
  }

  /** The application applied a committed conf-change entry: switch to the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    this.tracker.apply(cc, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    const cs = this.tracker.confState();
    this.events.push({ type: 'conf-change-applied', change: { type: cc.type, nodeId: cc.nodeId }, confState: cs });
    if (this.leadTransferee !== null && !this.tracker.voters.has(this.leadTransferee)) this.abortLeaderTransfer('target-removed');
    if (this.role !== 'leader') return cs;
    if (!this.tracker.voters.has(this.id)) {
      // Removed, and the change is committed: lead on as a lame duck (proposals are dropped) until a voter
      // holds our whole log, then hand over with TimeoutNow. Stepping down at once could strand entries the
      // remaining voters lack, with no one able to win an election (see canCampaign).
      if (this.maybeCommit()) this.releasePendingReadIndexRequests(); // the new quorum may commit more at once
      this.queueAppendAll(SEND_EVEN_IF_EMPTY);
      this.handOff();
      this.noteLeader();
      return cs;
    }
    if (this.maybeCommit()) {
      // A smaller quorum may commit more at once.
      this.releasePendingReadIndexRequests();
      this.queueAppendAll(SEND_EVEN_IF_EMPTY);
    } else {
      this.queueAppendAll(SEND_IF_NONEMPTY); // probe new peers now rather than at the next proposal
    }
    return cs;
  }

  /** Entries up to `persistedIndex` are durable: the leader counts them as its own acknowledgement. */
  onPersisted(): void {
    if (this.role !== 'leader') return;
    const self = this.tracker.progress.get(this.id);
    if (self === undefined) return;
    if (self.maybeUpdate(this.log.lastPersistedIndex()) && this.maybeCommit()) {
      this.releasePendingReadIndexRequests();
      this.queueAppendAll(SEND_EVEN_IF_EMPTY);
    }
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of ents) s += entryPayloadBytes(e);
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  readIndex(requestCtx: string): void {
    this.requireLeader();
    if (!this.committedEntryInCurrentTerm()) {
      // Until an entry of our term commits, our commit index may lag what an earlier leader committed
      // (thesis §6.4) — even for a single voter, whose predecessor may have been a lame duck outside the
      // configuration. The read waits for our no-op.
      this.pendingReadIndexRequests.push(requestCtx);
      return;
    }
    this.serveRead(requestCtx);
  }

  private serveRead(requestCtx: string): void {
    if (this.tracker.isSingleton() && this.tracker.voters.has(this.id)) {
      // No one else can commit anything now: our commit index is the latest.
      this.readStates.push({ index: this.log.committed, requestCtx });
      return;
    }
    // Confirm we are still leader: one heartbeat round carrying the newest context answers every read queued.
    this.readOnly.addRequest(this.log.committed, requestCtx, this.id);
    this.heartbeatForReadsPending = true;
  }

  private releasePendingReadIndexRequests(): void {
    if (this.pendingReadIndexRequests.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const ctxs = this.pendingReadIndexRequests;
    this.pendingReadIndexRequests = [];
    for (const ctx of ctxs) this.serveRead(ctx);
  }

  transferLeader(to: NodeId): void {
    this.requireLeader();
    if (to === this.id) return; // already the leader
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isLearner) throw new RaftArgumentError(`leader transfer: ${to} is not a voter`);
    if (this.leadTransferee !== null) {
      if (this.leadTransferee === to) return; // already under way
      this.abortLeaderTransfer('superseded');
    }
    // The transfer must finish within an election timeout (tickHeartbeat aborts it then).
    this.electionElapsed = 0;
    this.leadTransferee = to;
    this.events.push({ type: 'transfer-started', to, term: this.term });
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.queueAppend(to, SEND_EVEN_IF_EMPTY); // catch it up first; the ack that completes it sends TimeoutNow
  }

  /** Lame duck: transfer leadership to the most caught-up voter (at once if it holds our whole log). */
  private handOff(): void {
    if (!this.isLameDuck()) return;
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const id of [...this.tracker.voters].sort()) {
      const pr = this.tracker.progress.get(id);
      if (pr !== undefined && pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best === null) return;
    if (bestMatch === this.log.lastIndex()) {
      this.sendTimeoutNow(best);
      this.becomeFollower(this.term, null, 'removed');
      return;
    }
    if (this.leadTransferee === best) return;
    if (this.leadTransferee !== null) this.abortLeaderTransfer('superseded');
    this.electionElapsed = 0;
    this.leadTransferee = best;
    this.events.push({ type: 'transfer-started', to: best, term: this.term });
    this.queueAppend(best, SEND_EVEN_IF_EMPTY);
  }

  private abortLeaderTransfer(reason: 'timeout' | 'target-removed' | 'superseded' | 'stepped-down'): void {
    if (this.leadTransferee === null) return;
    this.events.push({ type: 'transfer-aborted', to: this.leadTransferee, term: this.term, reason });
    this.leadTransferee = null;
  }

  reportUnreachable(id: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(id);
    // An optimistic pipeline to an unreachable peer has probably lost appends: fall back to probing.
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(id);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0; // probe from match, not from the snapshot that never arrived
    pr.becomeProbe();
    // Wait for the follower's answer (or the next heartbeat reply) before the next append.
    pr.msgAppFlowPaused = true;
  }

  /** Emits leader-changed when the known leader differs from the last one reported. */
  private noteLeader(): void {
    if (this.leaderId !== this.reportedLeader) {
      this.events.push({ type: 'leader-changed', from: this.reportedLeader, to: this.leaderId, term: this.term });
      this.reportedLeader = this.leaderId;
    }
  }

  /** For RawNode: emit any pending leader change after a public call. */
  settle(): void {
    this.noteLeader();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Status

  basicStatus(): BasicStatus {
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leaderId: this.leaderId,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      leadTransferee: this.leadTransferee,
    };
  }

  status(): RaftStatus {
    const progress: Record<NodeId, PeerProgress> = {};
    if (this.role === 'leader') {
      for (const [id, pr] of this.tracker.progress) {
        progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.count,
        };
      }
    }
    return { ...this.basicStatus(), confState: this.tracker.confState(), progress, pendingReads: this.readOnly.pendingCount() + this.pendingReadIndexRequests.length };
  }
}
