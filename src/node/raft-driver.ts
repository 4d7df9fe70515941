import { CcmError } from '../client/api-errors.js';
import type { RaftStatusView } from '../client/api-types.js';
import { decodeCommand, encodeCommand, type Command } from '../core/commands.js';
import { LeaseExpiry } from '../core/lease-expiry.js';
import { applyCommand, type ApplyResult, type Applied } from '../core/state-machine.js';
import {
  NotLeaderError,
  ProposalDroppedError,
  RawNode,
  decodeConfChange,
  describeRaftEvent,
  localClusterRaftConfig,
  type ConfChange,
  type Entry,
  type Message,
  type Ready,
  type Snapshot,
} from '../raft/index.js';
import { SqliteStateStore, type StateSnapshot } from '../storage/applied-state.js';
import { SqliteRaftStorage } from '../storage/raft-storage.js';
import { preallocateWal } from '../storage/database.js';
import type { NodeRuntime } from './node-runtime.js';

/** Watch history kept: the leader compacts events older than this many revisions. */
export const EVENT_HISTORY_REVISIONS = 10_000;
/** How often a lease proposed for expiry may be proposed again, if the first proposal was lost. */
const EXPIRY_RETRY_MS = 1000;

interface PendingProposal {
  term: number;
  resolve: (r: ApplyResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  index: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Who hears about applied changes: watches, the lease tracker, metrics. */
export type ApplyListener = (applied: Applied, entry: Entry) => void;

/**
 * Drives a RawNode from the event loop: ticks, peer messages, proposals and reads in; one Ready at a time out.
 * Each Ready is persisted *and* applied in one SQLite transaction (one fsync: group commit), and only then are
 * its messages sent (persist-then-send). Client writes are answered once their entry is applied here.
 */
export class RaftDriver {
  readonly state: SqliteStateStore;
  readonly storage: SqliteRaftStorage;
  readonly raft: RawNode;
  readonly leases = new LeaseExpiry();
  private readonly pendingProposals = new Map<number, PendingProposal>();
  private readonly pendingReads = new Map<string, PendingRead>();
  /** Reads whose index is known, waiting for apply. */
  private readonly readsAwaitingApply: PendingRead[] = [];
  private readonly applyListeners = new Set<ApplyListener>();
  private readonly leaderListeners = new Set<(leaderId: string | null) => void>();
  private tickTimer: NodeJS.Timeout | null = null;
  private isScheduled = false;
  private isStopped = false;
  private nextReadId = 1;
  private applied: number;
  private appliedTerm: number;
  /** First index of the current leader term: expiring leases waits until it is applied (our view is complete). */
  private leaderSinceIndex = Number.POSITIVE_INFINITY;
  private lastCompactProposalMs = 0;
  private lastLeaderContactAt = 0;
  private readonly heldNotices = new Map<string, { timer: NodeJS.Immediate }>();
  private removed = false;
  private wasInConf = false;
  private synchronousMode: 'FULL' | 'NORMAL' = 'FULL';
  /** Term and vote as last written: a Ready that changes either must be synced before its messages go out. */
  private syncedTerm: number;
  private syncedVote: string | null;
  readonly counters = { proposalsCommitted: 0, proposalsFailed: 0, leaderChanges: 0, readsServed: 0, readyCycles: 0, syncs: 0 };
  /** Called with each sync's duration in seconds (metrics). */
  onSync: ((seconds: number) => void) | null = null;

  constructor(private readonly node: NodeRuntime) {
    this.state = new SqliteStateStore(node.db);
    this.storage = new SqliteRaftStorage(node.db, () => this.state.appliedIndex().confState, () => this.buildSnapshot());
    const applied = this.state.appliedIndex();
    this.applied = applied.index;
    this.appliedTerm = applied.term;
    const s = node.config.settings;
    this.raft = new RawNode(
      localClusterRaftConfig(node.config.id, { electionTicks: s.raftElectionTicks, heartbeatTicks: s.raftHeartbeatTicks, applied: applied.index }),
      this.storage,
      node.random,
    );
    const hard = this.storage.getHardState();
    this.syncedTerm = hard.term;
    this.syncedVote = hard.vote;
    this.updateRemoved(applied.confState);
    const isFresh = this.storage.lastIndex() === 0 && this.storage.getHardState().term === 0;
    if (isFresh && node.config.core.includes(node.config.id)) this.raft.bootstrap(node.config.core);
    // A restarted replica cannot know how long ago each lease was renewed: it gives every lease a full TTL.
    const now = node.clock.monotonicMs();
    for (const lease of this.state.leases()) this.leases.touched(lease, now);
    node.onEnvelope('raft', (e) => this.step(e.body as Message));
  }

  start(): void {
    // After the node listens, so a slow disk never delays start-up (the first syncs simply cost a little more).
    setImmediate(() => {
      if (!this.isStopped) preallocateWal(this.node.db);
    });
    this.tickTimer = setInterval(() => this.tick(), this.node.config.settings.raftTickMs);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    for (const held of this.heldNotices.values()) clearImmediate(held.timer);
    this.heldNotices.clear();
    const stopping = new CcmError('unavailable', 'node is shutting down');
    for (const p of this.pendingProposals.values()) {
      clearTimeout(p.timer);
      p.reject(new CcmError('timeout', 'node shut down before the write was known to commit; it may or may not have happened'));
    }
    this.pendingProposals.clear();
    for (const r of this.pendingReads.values()) {
      clearTimeout(r.timer);
      r.reject(stopping);
    }
    this.pendingReads.clear();
  }

  isLeader(): boolean {
    return this.raft.role === 'leader';
  }

  leaderId(): string | null {
    return this.raft.basicStatus().leaderId;
  }

  appliedIndex(): number {
    return this.applied;
  }

  onApply(listener: ApplyListener): () => void {
    this.applyListeners.add(listener);
    return () => this.applyListeners.delete(listener);
  }

  onLeaderChange(listener: (leaderId: string | null) => void): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  /** Proposes a command (leader only) and resolves with its result once applied here. */
  propose(command: Command, timeoutMs: number): Promise<ApplyResult> {
    return this.unsafeFaultSwitch(command, timeoutMs) ?? this.proposeData(encodeCommand(command), timeoutMs);
  }

  proposeConfChange(change: ConfChange, timeoutMs: number): Promise<ApplyResult> {
    return this.track(() => this.raft.proposeConfChange(change), timeoutMs);
  }

  /** Resolves once a read at this moment would be linearizable here (ReadIndex, leader only). */
  readBarrier(timeoutMs: number): Promise<void> {
    if (this.isStopped) return Promise.reject(new CcmError('unavailable', 'node is shutting down'));
    const ctx = `${this.node.config.id}-${this.nextReadId++}`;
    try {
      this.raft.readIndex(ctx);
    } catch (err) {
      return Promise.reject(toCcmError(err));
    }
    this.schedule();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReads.delete(ctx);
        const i = this.readsAwaitingApply.indexOf(read);
        if (i >= 0) this.readsAwaitingApply.splice(i, 1);
        reject(new CcmError('timeout', `read not confirmed by a quorum within ${timeoutMs} ms`));
      }, timeoutMs);
      const read: PendingRead = { index: -1, resolve, reject, timer };
      this.pendingReads.set(ctx, read);
    });
  }

  transferLeader(to: string): void {
    try {
      this.raft.transferLeader(to);
    } catch (err) {
      throw toCcmError(err);
    }
    this.schedule();
  }

  status(): RaftStatusView {
    const s = this.raft.status();
    return {
      id: s.id,
      role: s.role,
      term: s.term,
      leaderId: s.leaderId,
      commit: s.commit,
      applied: this.applied,
      lastIndex: s.lastIndex,
      firstIndex: s.firstIndex,
      voters: s.confState.voters,
      learners: s.confState.learners,
      ...(s.role === 'leader'
        ? {
            progress: Object.fromEntries(
              Object.entries(s.progress).map(([id, p]) => [id, { match: p.match, next: p.next, state: p.state, recentActive: p.recentActive }]),
            ),
          }
        : {}),
    };
  }

  private proposeData(data: string, timeoutMs: number): Promise<ApplyResult> {
    return this.track(() => this.raft.propose(data), timeoutMs);
  }

  private track(proposeFn: () => { index: number; term: number }, timeoutMs: number): Promise<ApplyResult> {
    if (this.isStopped) return Promise.reject(new CcmError('unavailable', 'node is shutting down'));
    let at: { index: number; term: number };
    try {
      at = proposeFn();
    } catch (err) {
      return Promise.reject(toCcmError(err));
    }
    this.schedule();
    return new Promise<ApplyResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingProposals.delete(at.index);
        this.counters.proposalsFailed++;
        reject(new CcmError('timeout', `write not known to commit within ${timeoutMs} ms; it may or may not have happened`));
      }, timeoutMs);
      this.pendingProposals.set(at.index, { term: at.term, resolve, reject, timer });
    });
  }

  /** Feeds one Raft message (the one that caused this replica to be created). */
  deliver(msg: Message): void {
    this.step(msg);
  }

  /** Whether this node has been removed from the configuration (its state is no longer kept current). */
  isRemoved(): boolean {
    return this.removed;
  }

  /** Tracks membership as configurations apply. A new learner replaying the log sees older configurations without itself first: that is not a removal. */
  private updateRemoved(conf: { voters: string[]; learners: string[] }): void {
    const id = this.node.config.id;
    const isIn = conf.voters.includes(id) || conf.learners.includes(id);
    if (this.wasInConf && !isIn) this.node.log.event('core-removed', `${id} was removed from the core; it serves as a member from now on`);
    if (isIn) this.wasInConf = true;
    this.removed = conf.voters.length > 0 && !isIn;
  }

  /** Milliseconds since this follower last heard from its leader (null if it knows none). */
  lastLeaderContactMs(): number | null {
    const leader = this.raft.basicStatus().leaderId;
    if (leader === null || this.lastLeaderContactAt === 0) return null;
    return this.node.clock.monotonicMs() - this.lastLeaderContactAt;
  }

  private step(msg: Message): void {
    if (this.isStopped) return;
    if (msg.from === this.raft.basicStatus().leaderId) this.lastLeaderContactAt = this.node.clock.monotonicMs();
    try {
      this.raft.step(msg);
    } catch (err) {
      this.node.log.warn('raft message rejected', { error: (err as Error).message, type: (msg as { type?: string })?.type, from: (msg as { from?: string })?.from });
      return;
    }
    this.schedule();
  }

  private tick(): void {
    if (this.isStopped) return;
    this.raft.tick();
    if (this.isLeader()) this.leaderHousekeeping();
    this.schedule();
  }

  /** Work only the leader does, on its clock: expire leases, compact the watch history. */
  private leaderHousekeeping(): void {
    if (this.applied < this.leaderSinceIndex) return;
    const now = this.node.clock.monotonicMs();
    for (const { id, renewals } of this.leases.due(now, EXPIRY_RETRY_MS)) {
      this.propose({ op: 'lease-expire', id, renewals }, 5000).catch(() => undefined);
    }
    const revision = this.state.revision();
    if (revision - this.state.compactRevision() > EVENT_HISTORY_REVISIONS * 1.1 && now - this.lastCompactProposalMs > 5000) {
      this.lastCompactProposalMs = now;
      this.propose({ op: 'compact', revision: revision - EVENT_HISTORY_REVISIONS }, 5000).catch(() => undefined);
    }
  }

  /** Handle every input of this turn of the event loop first, then drain Ready once: that is the batching. */
  private schedule(): void {
    if (this.isScheduled || this.isStopped) return;
    this.isScheduled = true;
    setImmediate(() => {
      this.isScheduled = false;
      this.processReady();
    });
  }

  private processReady(): void {
    while (!this.isStopped && this.raft.hasReady()) {
      const rd = this.raft.ready();
      this.counters.readyCycles++;
      // A leader's appends and heartbeats may leave before its own disk write (Raft thesis §10.2.1): the core
      // counts the leader's own copy only once persisted (at advance), so a commit still needs a durable
      // quorum. Everything that acknowledges something (votes, append acks) waits for the sync.
      const early = rd.messages.filter(isSafeBeforePersist);
      if (early.length > 0) {
        this.send(early);
        this.node.tcp.flush();
      }
      const applied = this.persistAndApply(rd);
      this.send(early.length === 0 ? rd.messages : rd.messages.filter((m) => !isSafeBeforePersist(m)));
      this.afterApply(rd, applied);
      this.raft.advance(rd);
    }
  }

  /** Step 1 and 3 of the Ready contract, in one transaction: durable before anything is sent or acknowledged. */
  private persistAndApply(rd: Ready): { entry: Entry; applied: Applied | null }[] {
    const results: { entry: Entry; applied: Applied | null }[] = [];
    const needsSync = rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined || rd.committedEntries.length > 0;
    if (!needsSync) return results;
    // Only what Raft's safety rests on needs an fsync: new entries, a snapshot, a new term or vote. Applying
    // committed entries does not: after a power loss the applied state rolls back with its applied index (WAL
    // order keeps them together) and is rebuilt from the synced log. A process crash loses nothing either way.
    const hs = rd.hardState;
    const durable = rd.snapshot !== undefined || rd.entries.length > 0 || (hs !== undefined && (hs.term !== this.syncedTerm || hs.vote !== this.syncedVote));
    this.setSynchronous(durable ? 'FULL' : 'NORMAL');
    const t0 = performance.now();
    this.node.db.transaction(() => {
      if (rd.snapshot) this.installSnapshot(rd.snapshot);
      this.storage.append(rd.entries);
      if (rd.hardState) this.storage.setHardState(rd.hardState);
      for (const entry of rd.committedEntries) {
        if (entry.index <= this.applied) continue;
        results.push({ entry, applied: this.applyEntry(entry) });
        this.applied = entry.index;
        this.appliedTerm = entry.term;
      }
      if (results.length > 0) this.state.setApplied(this.applied, this.appliedTerm);
      const { raftLogCompactThreshold, raftLogTrailingEntries } = this.node.config.settings;
      if (this.applied - this.storage.firstIndex() > raftLogCompactThreshold) this.storage.compact(this.applied - raftLogTrailingEntries);
    })();
    if (hs) {
      this.syncedTerm = hs.term;
      this.syncedVote = hs.vote;
    }
    if (durable) {
      this.counters.syncs++;
      this.onSync?.((performance.now() - t0) / 1000);
    }
    return results;
  }

  private setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (this.synchronousMode === mode) return;
    this.node.db.pragma(`synchronous = ${mode}`);
    this.synchronousMode = mode;
  }

  private applyEntry(entry: Entry): Applied | null {
    if (entry.kind === 'conf-change') {
      const change = decodeConfChange(entry.data);
      const conf = this.raft.applyConfChange(change);
      this.state.setConfState(conf);
      this.updateRemoved(conf);
      return { result: { op: 'conf-change', voters: conf.voters, learners: conf.learners }, effects: { events: [], leasesTouched: [], leasesRemoved: [] } };
    }
    if (entry.data === '') return null; // a new leader's no-op
    let command: Command;
    try {
      command = decodeCommand(entry.data);
    } catch {
      return { result: { op: 'error', code: 'internal', message: `entry ${entry.index} is not a command` }, effects: { events: [], leasesTouched: [], leasesRemoved: [] } };
    }
    return applyCommand(this.state, command, entry.index);
  }

  private installSnapshot(snap: Snapshot): void {
    const data = JSON.parse(snap.data) as StateSnapshot;
    this.state.restore(data, snap.meta.index, snap.meta.term, snap.meta.confState);
    this.storage.installSnapshot(snap.meta.index, snap.meta.term);
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
    const now = this.node.clock.monotonicMs();
    this.leases.clear();
    for (const lease of data.leases) this.leases.touched(lease, now);
    // Proposals made here and overtaken by the snapshot: their outcome is unknown from here.
    for (const [index, p] of this.pendingProposals) {
      if (index > snap.meta.index) continue;
      clearTimeout(p.timer);
      this.pendingProposals.delete(index);
      p.reject(new CcmError('timeout', 'this node caught up from a snapshot; the write may or may not have happened'));
    }
  }

  /** Proposals in flight when leadership is lost: they may still commit under the next leader, or not. */
  private failPendingProposals(why: string): void {
    for (const [index, p] of this.pendingProposals) {
      clearTimeout(p.timer);
      this.pendingProposals.delete(index);
      this.counters.proposalsFailed++;
      p.reject(new CcmError('timeout', `${why} before the write was known to commit; it may or may not have happened`));
    }
  }

  private buildSnapshot(): Snapshot {
    const applied = this.state.appliedIndex();
    return { meta: { index: applied.index, term: applied.term, confState: applied.confState }, data: JSON.stringify(this.state.dump()) };
  }

  private send(messages: Message[]): void {
    for (const m of messages) {
      if (m.type === 'app' && m.entries.length === 0 && m.commit > 0) {
        this.holdCommitNotice(m);
        continue;
      }
      // Anything newer to that follower carries the commit index too: the held notice is redundant.
      if (m.type === 'app' || m.type === 'heartbeat') this.dropHeldNotice(m.to);
      this.node.tcp.send({ kind: 'raft', from: this.node.config.id, to: m.to, body: m });
      // The transport has no delivery receipts; an undelivered snapshot shows up as a rejected append later.
      if (m.type === 'snap') this.raft.reportSnapshot(m.to, true);
    }
  }

  /**
   * An empty append that only tells a follower the new commit index acknowledges nothing and may be lost without
   * harm (the next append or heartbeat carries the commit). Holding it to the end of this event-loop turn lets a
   * newer append carry it instead under load (two messages and a follower transaction fewer per write), at no cost
   * in latency when idle.
   */
  private holdCommitNotice(m: Message): void {
    const held = this.heldNotices.get(m.to);
    if (held) clearImmediate(held.timer);
    const timer = setImmediate(() => {
      this.heldNotices.delete(m.to);
      if (!this.isStopped) this.node.tcp.send({ kind: 'raft', from: this.node.config.id, to: m.to, body: m });
    });
    this.heldNotices.set(m.to, { timer });
  }

  private dropHeldNotice(to: string): void {
    const held = this.heldNotices.get(to);
    if (!held) return;
    clearImmediate(held.timer);
    this.heldNotices.delete(to);
  }

  private afterApply(rd: Ready, applied: { entry: Entry; applied: Applied | null }[]): void {
    const now = this.node.clock.monotonicMs();
    for (const { entry, applied: a } of applied) {
      if (a) {
        for (const lease of a.effects.leasesTouched) this.leases.touched(lease, now);
        for (const id of a.effects.leasesRemoved) this.leases.removed(id);
        for (const l of this.applyListeners) l(a, entry);
      }
      const pending = this.pendingProposals.get(entry.index);
      if (!pending) continue;
      this.pendingProposals.delete(entry.index);
      clearTimeout(pending.timer);
      if (pending.term !== entry.term) {
        this.counters.proposalsFailed++;
        pending.reject(new CcmError('proposal_dropped', 'leadership changed before the write committed; it did not happen'));
      } else {
        this.counters.proposalsCommitted++;
        pending.resolve(a ? a.result : { op: 'error', code: 'internal', message: `entry ${entry.index} carried no command` });
      }
    }
    for (const rs of rd.readStates) {
      const read = this.pendingReads.get(rs.requestCtx);
      if (!read) continue;
      this.pendingReads.delete(rs.requestCtx);
      read.index = rs.index;
      this.readsAwaitingApply.push(read);
    }
    if (this.readsAwaitingApply.length > 0) {
      for (let i = this.readsAwaitingApply.length - 1; i >= 0; i--) {
        const read = this.readsAwaitingApply[i];
        if (read.index > this.applied) continue;
        this.readsAwaitingApply.splice(i, 1);
        clearTimeout(read.timer);
        this.counters.readsServed++;
        read.resolve();
      }
    }
    for (const e of rd.events) {
      if (e.type === 'reads-aborted') {
        for (const ctx of e.requestCtxs) {
          const read = this.pendingReads.get(ctx);
          if (!read) continue;
          this.pendingReads.delete(ctx);
          clearTimeout(read.timer);
          read.reject(new CcmError('not_leader', 'leadership was lost before the read was confirmed'));
        }
        continue;
      }
      if (e.type === 'leader-changed') {
        this.counters.leaderChanges++;
        for (const l of this.leaderListeners) l(e.to);
      }
      if (e.type === 'role-changed') {
        this.leaderSinceIndex = e.to === 'leader' ? this.raft.basicStatus().lastIndex : Number.POSITIVE_INFINITY;
        if (e.from === 'leader') this.failPendingProposals(`${this.node.config.id} stopped leading (${e.reason})`);
      }
      if (e.type === 'term-changed') continue; // role and leader changes say it
      // Votes are recorded for `ccm explain core`; a refusal repeated (a stuck pre-candidate asks every timeout) once.
      if (e.type === 'vote-refused') {
        const key = `${e.term}/${e.preVote}/${e.reason}/${e.other ?? ''}`;
        if (this.lastRefusal.get(e.candidate) === key) continue;
        if (this.lastRefusal.size > 64) this.lastRefusal.clear();
        this.lastRefusal.set(e.candidate, key);
      }
      this.node.log.event(`raft-${e.type}`, describeRaftEvent(e), { raft: e });
    }
  }

  // ---- TEST-ONLY FAULT SWITCH (chaos) ------------------------------------------------------------------------
  /**
   * A deliberate bug, on only when the cluster was started with `--setting unsafeFaultSwitch=<name>`, so that
   * `ccm chaos run` can be shown to catch one. Never set in normal use.
   * - `ack-before-commit`: a write (a put, or a transaction, claimed to have succeeded) is acknowledged as soon
   *   as it is proposed, before it commits (its revision a guess): an acknowledged write can be lost, be
   *   invisible to a later read, or not have happened at all (a compare that failed);
   * - `grant-without-core`: a lock acquire is granted at once, without consensus: every acquirer gets the resource;
   * - `token-per-leader`: a granted acquire's fencing token comes from a counter in this process, not the log: after a
   *   leader change, tokens start again from 1.
   * Returns the early answer, or null to go the normal way.
   */
  private unsafeFaultSwitch(command: Command, timeoutMs: number): Promise<ApplyResult> | null {
    const fault = this.node.config.settings.unsafeFaultSwitch;
    if (fault === 'ack-before-commit' && (command.op === 'put' || command.op === 'txn')) {
      this.proposeData(encodeCommand(command), timeoutMs).catch(() => undefined);
      const revision = this.state.revision() + 1;
      if (command.op === 'put') return Promise.resolve({ op: 'put', revision });
      const results = command.success.map((op) => (op.op === 'put' ? { op: 'put' as const } : op.op === 'delete' ? { op: 'delete' as const, deleted: 0 } : { op: 'get' as const, kvs: [] }));
      return Promise.resolve({ op: 'txn', succeeded: true, revision, results });
    }
    if (fault === 'grant-without-core' && command.op === 'acquire') {
      const revision = this.state.revision() + 1;
      return Promise.resolve({ op: 'acquire', granted: true, resource: command.resource, holder: command.holder, lease: revision, token: revision, ttlMs: command.ttlMs, revision });
    }
    if (fault === 'token-per-leader' && command.op === 'acquire') {
      return this.proposeData(encodeCommand(command), timeoutMs).then((r) => (r.op === 'acquire' && r.granted ? { ...r, token: ++this.plantedTokens } : r));
    }
    return null;
  }

  /** Candidate → the last refusal logged for it (to log a repeated one once). */
  private readonly lastRefusal = new Map<string, string>();

  /** The counter of `token-per-leader` (test-only fault switch). */
  private plantedTokens = 0;
}

/** Leader-to-follower traffic that acknowledges nothing, so it need not wait for the leader's own sync. */
function isSafeBeforePersist(m: Message): boolean {
  return m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
}

function toCcmError(err: unknown): CcmError {
  if (err instanceof CcmError) return err;
  if (err instanceof NotLeaderError) return new CcmError('not_leader', err.message, { leaderId: err.leaderId });
  if (err instanceof ProposalDroppedError) return new CcmError('proposal_dropped', err.message);
  return new CcmError('invalid_argument', (err as Error).message);
}
