import { CcmError } from '../../errors/ccm-error.js';
import type { RaftStatusView } from '../../api/api-types.js';
import { encodeCommand, type Command } from '../../core/commands.js';
import { LeaseExpiry } from '../../core/lease-expiry.js';
import { applyCommandData, type ApplyResult, type Applied } from '../../core/state-machine.js';
import {
  NotLeaderError,
  ProposalDroppedError,
  RawNode,
  decodeConfChange,
  describeRaftEvent,
  localClusterRaftConfig,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type Ready,
  type Snapshot,
  type SnapshotMessage,
} from '../../raft/index.js';
import { ReplicaLoop, type ReadyWrite } from '../../replica/replica-loop.js';
import { SqliteStateStore } from '../../storage/applied-state.js';
import type { LogCompactionPolicy, RaftLogStorage } from '../../storage/raft-storage.js';
import { openRaftLogStorage } from '../../storage/raft-log-store.js';
import { preallocateWal } from '../../storage/database.js';
import { SnapshotStaging } from '../../storage/snapshot-staging.js';
import { readSnapshotFile, RESTORE_FILE_NAME } from '../../cluster/snapshot-file.js';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeRuntime } from '../node-runtime.js';
import { SnapshotTransfer } from './snapshot-transfer.js';
import { withFaultSwitch, type ProposeCommand } from './unsafe-fault-switch.js';
import { CORE_LEASES_DUE } from '../peer-schemas.js';

/** Watch history kept: the leader compacts events older than this many revisions (and past watchHistoryBytes). */
export const EVENT_HISTORY_REVISIONS = 10_000;
/**
 * Ready cycles run back to back for at most this long before the driver yields to the event loop, so timers
 * (heartbeats, elections) and incoming messages are served between them even while large entries are written.
 */
const READY_SLICE_MS = 20;
/**
 * Bytes of proposals that go into one Ready at most (one proposal always fits): however many large writes arrive
 * at once, each Ready's transaction and the appends it sends stay a few MiB, so no single write blocks the loop long.
 */
const MAX_PROPOSAL_BYTES_PER_READY = 4 * 1024 * 1024;
/** A transaction this slow is logged (with what it wrote): the disk or the batch is holding up the event loop. */
const SLOW_TRANSACTION_MS = 200;
/**
 * How often the leader asks again about a lease it holds overdue: the followers apply a grant or renewal a few ms
 * after it, so their first answer is often "not yet"; a short retry ends the lease soon after its TTL on a majority
 * of clocks (a holder paused past its lease is replaced promptly), and costs one small RPC per voter per retry.
 */
const EXPIRY_RETRY_MS = 200;
/** How long the leader waits for the followers to confirm that leases are overdue. */
const LEASE_CONFIRM_TIMEOUT_MS = 500;
/** Leases a follower looks at per confirmation request (the leader's `due` batches are at most 1000). */
const MAX_LEASES_CONFIRMED = 1000;

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
 * Drives a RawNode from the event loop: ticks, peer messages, proposals and reads in; one Ready at a time out,
 * through the replica loop (replica/replica-loop.ts) the simulator runs too. Its ports here: storage is one
 * SQLite transaction per Ready (fsync'd when Raft's safety rests on it: group commit), the transport is the
 * peer TCP connections, and the applier applies committed entries in a second transaction (not synced) and then
 * answers clients. Client writes are answered once their entry is applied here.
 */
export class RaftDriver {
  readonly state: SqliteStateStore;
  readonly storage: RaftLogStorage;
  readonly raft: RawNode;
  private readonly loop: ReplicaLoop;
  /** Proposes through the test-only fault switch when one is set (unsafe-fault-switch.ts), else directly. */
  private readonly proposeCommand: ProposeCommand;
  /** Snapshots streamed to lagging followers, and from the leader when this replica lags. */
  readonly snapshots: SnapshotTransfer;
  private readonly staging: SnapshotStaging;
  /** A completely staged snapshot stepped into Raft: installed by the next Ready, or refused. */
  private stagedOfferStepped: { leader: string; index: number; term: number } | null = null;
  private isHistoryCompactionPending = false;
  readonly leases = new LeaseExpiry();
  private readonly pendingProposals = new Map<number, PendingProposal>();
  /** Proposals over this Ready's byte budget, in arrival order: proposed before the next Ready. */
  private readonly waitingProposals: { data: string; deadline: number; resolve: (r: ApplyResult) => void; reject: (e: Error) => void }[] = [];
  private proposedBytesSinceReady = 0;
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
  private lastTickAt = performance.now();
  private lastLateTickWarnAt = 0;
  private lastLeaderContactAt = 0;
  private readonly heldNotices = new Map<string, { timer: NodeJS.Immediate }>();
  private removed = false;
  private wasInConf = false;
  private synchronousMode: 'FULL' | 'NORMAL' = 'FULL';
  /** Prepared once: a Ready that persists and applies switches twice. */
  private readonly synchronousPragma: Record<'FULL' | 'NORMAL', { run(): unknown }>;
  /** Term and vote as last written: a Ready that changes either must be synced before its messages go out. */
  private syncedTerm: number;
  private syncedVote: string | null;
  /** A Ready's hard state that only moved the commit index, left by persist() for the apply's transaction. */
  private commitOnlyHardState: HardState | null = null;
  readonly counters = { proposalsCommitted: 0, proposalsFailed: 0, leaderChanges: 0, readsServed: 0, readyCycles: 0, syncs: 0 };
  /** Called with each sync's duration in seconds (metrics). */
  onSync: ((seconds: number) => void) | null = null;

  constructor(private readonly node: NodeRuntime) {
    this.state = new SqliteStateStore(node.db);
    this.synchronousPragma = { FULL: node.db.prepare('PRAGMA synchronous = FULL'), NORMAL: node.db.prepare('PRAGMA synchronous = NORMAL') };
    this.storage = openRaftLogStorage({
      kind: node.config.settings.raftLogStore,
      db: node.db,
      dataDir: node.config.dataDir,
      appliedConf: () => this.state.appliedIndex().confState,
      buildSnapshot: () => this.buildSnapshot(),
      appliedIndex: this.state.appliedIndex().index,
      onBackgroundError: (err) => node.log.warn('preparing the next Raft log segment failed', { error: err.message }),
    });
    this.seedFromRestoreFile();
    const applied = this.state.appliedIndex();
    this.applied = applied.index;
    this.appliedTerm = applied.term;
    const s = node.config.settings;
    this.raft = new RawNode(
      localClusterRaftConfig(node.config.id, {
        electionTicks: s.raftElectionTicks,
        heartbeatTicks: s.raftHeartbeatTicks,
        maxInflightBytes: s.raftMaxInflightBytes,
        applied: applied.index,
      }),
      this.storage,
      node.random,
    );
    this.loop = new ReplicaLoop(this.raft, {
      storage: {
        persist: (write, onDurable) => {
          this.persist(write);
          onDurable(); // SQLite commits synchronously (a storage that completes later must also schedule() the next turn: onAdvanced)
        },
      },
      transport: { send: (messages) => this.send(messages), flush: () => node.tcp.flush() },
      applier: { apply: (rd) => this.apply(rd) },
    });
    this.proposeCommand = withFaultSwitch(node.config.settings.unsafeFaultSwitch, (command, timeoutMs) => this.proposeData(encodeCommand(command), timeoutMs), () => this.state.revision());
    this.staging = new SnapshotStaging(node.db);
    this.snapshots = new SnapshotTransfer({
      selfId: node.config.id,
      dbPath: node.db.name,
      staging: this.staging,
      send: (to, body, blob) => node.tcp.send({ kind: 'snapshot', from: node.config.id, to, body, ...(blob ? { blob } : {}) }),
      stepOffer: (m) => this.stepStagedOffer(m),
      onSendFinished: (to, ok) => {
        if (this.isStopped) return;
        this.raft.reportSnapshot(to, ok);
        this.schedule();
      },
      committedIndex: () => this.raft.basicStatus().commit,
      nowMs: () => node.clock.monotonicMs(),
      log: node.log,
    });
    const hard = this.storage.getHardState();
    this.syncedTerm = hard.term;
    this.syncedVote = hard.vote;
    this.updateRemoved(applied.confState);
    const isFresh = this.storage.lastIndex() === 0 && this.storage.getHardState().term === 0;
    if (isFresh && node.config.core.includes(node.config.id)) this.raft.bootstrap(node.config.core);
    // A restarted replica cannot know how long ago each lease was renewed: it gives every lease a full TTL.
    const now = node.clock.monotonicMs();
    for (const lease of this.state.leases()) this.leases.touched(lease, now);
    node.onEnvelope('raft', (e) => this.step(e.body));
    node.onEnvelope('snapshot', (e) => {
      if (!this.isStopped) this.snapshots.receive(e.from, e.body, e.blob);
    });
    node.rpc.handle(CORE_LEASES_DUE, (p) => this.leasesDueHere(p.leases));
  }

  /**
   * A voter of a cluster made by `ccm snapshot restore` finds the backup in its data dir at its first start: its state
   * machine starts as that state, applied at index 1 of a fresh log (term 1, every initial voter holding the same), in
   * place of the empty bootstrap. The file is checked again (it is input from disk) and removed once installed.
   */
  private seedFromRestoreFile(): void {
    const file = path.join(this.node.config.dataDir, RESTORE_FILE_NAME);
    if (!fs.existsSync(file)) return;
    const isFresh = this.storage.lastIndex() === 0 && this.storage.getHardState().term === 0;
    const voters = this.node.config.core;
    if (isFresh && voters.includes(this.node.config.id)) {
      const { state, header } = readSnapshotFile(file);
      this.node.db.transaction(() => {
        this.state.restore(state, 1, 1, { voters: [...voters].sort(), learners: [] });
        this.storage.installSnapshot(1, 1);
        this.storage.setHardState({ term: 1, vote: null, commit: 1 });
        this.storage.persist(true);
      })();
      this.node.log.event('core-restored', `state restored from a snapshot of ${header.cluster} at revision ${header.revision} (${header.keys} keys)`, {
        revision: header.revision,
        keys: header.keys,
        from: header.cluster,
      });
    }
    fs.rmSync(file, { force: true });
  }

  start(): void {
    // After the node listens, so a slow disk never delays start-up (the first syncs simply cost a little more).
    setImmediate(() => {
      if (!this.isStopped) preallocateWal(this.node.db);
    });
    this.scheduleTick();
    this.snapshots.start();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.snapshots.stop();
    for (const held of this.heldNotices.values()) clearImmediate(held.timer);
    this.heldNotices.clear();
    const stopping = new CcmError('unavailable', 'node is shutting down');
    for (const p of this.pendingProposals.values()) {
      clearTimeout(p.timer);
      p.reject(new CcmError('timeout', 'node shut down before the write was known to commit; it may or may not have happened'));
    }
    this.pendingProposals.clear();
    for (const w of this.waitingProposals.splice(0)) w.reject(stopping);
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
    return this.proposeCommand(command, timeoutMs);
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
    if (this.waitingProposals.length > 0 || (this.proposedBytesSinceReady > 0 && this.proposedBytesSinceReady + data.length > MAX_PROPOSAL_BYTES_PER_READY)) {
      if (this.isStopped) return Promise.reject(new CcmError('unavailable', 'node is shutting down'));
      this.schedule();
      return new Promise((resolve, reject) => this.waitingProposals.push({ data, deadline: performance.now() + timeoutMs, resolve, reject }));
    }
    this.proposedBytesSinceReady += data.length;
    return this.track(() => this.raft.propose(data), timeoutMs);
  }

  /** A new Ready's budget: propose what waited, in order, while it fits. */
  private releaseWaitingProposals(): void {
    this.proposedBytesSinceReady = 0;
    while (this.waitingProposals.length > 0) {
      const w = this.waitingProposals[0];
      if (this.proposedBytesSinceReady > 0 && this.proposedBytesSinceReady + w.data.length > MAX_PROPOSAL_BYTES_PER_READY) return;
      this.waitingProposals.shift();
      const remainingMs = w.deadline - performance.now();
      if (remainingMs <= 0) {
        this.counters.proposalsFailed++;
        w.reject(new CcmError('timeout', 'write not proposed in time (the leader is busy with large writes); it did not happen'));
        continue;
      }
      this.proposedBytesSinceReady += w.data.length;
      this.track(() => this.raft.propose(w.data), remainingMs).then(w.resolve, w.reject);
    }
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
    if (msg?.type === 'snap' && msg.to === this.node.config.id && msg.term >= this.raft.basicStatus().term) {
      // Only the offer: the rows are pulled in chunks, and the offer reaches Raft once they are all staged. While a
      // staged one waits for its Ready, another offer must not replace its rows: the leader offers again later.
      if (this.stagedOfferStepped === null) this.snapshots.onOffer(msg);
      return;
    }
    try {
      this.raft.step(msg);
    } catch (err) {
      // A well-formed message the core refused (its rules, checked before it changes anything): counted, dropped.
      this.node.rejections.reject('peer', 'bad_body', msg.from, `raft ${msg.type} refused: ${(err as Error).message}`);
      return;
    }
    this.schedule();
  }

  /** Steps a snapshot offer whose rows are all staged; the Ready that installs it swaps them in (installSnapshot). */
  private stepStagedOffer(m: SnapshotMessage): void {
    if (this.isStopped) return;
    // An offer from an older term would be ignored: keep the staged rows for the same snapshot offered again.
    if (m.term < this.raft.basicStatus().term) return;
    this.stagedOfferStepped = { leader: m.from, index: m.snapshot.meta.index, term: m.snapshot.meta.term };
    try {
      this.raft.step(m);
    } catch (err) {
      this.node.log.warn('raft message rejected', { error: (err as Error).message, type: m.type, from: m.from });
    }
    this.schedule();
  }

  /** One Raft tick every raftTickMs of the node's clock (which chaos may run fast or slow: clock-rate). */
  private scheduleTick(): void {
    this.tickTimer = setTimeout(() => {
      this.tick();
      if (!this.isStopped) this.scheduleTick();
    }, this.node.clock.realMs(this.node.config.settings.raftTickMs));
  }

  private tick(): void {
    if (this.isStopped) return;
    const now = performance.now();
    const lateMs = now - this.lastTickAt - this.node.config.settings.raftTickMs;
    this.lastTickAt = now;
    if (lateMs > this.node.config.settings.raftTickMs * 2 && now - this.lastLateTickWarnAt > 1000) {
      // As etcd's "leader failed to send out heartbeat on time": the event loop (a slow disk, a long GC, no CPU) held the tick up.
      this.lastLateTickWarnAt = now;
      this.node.log.warn('raft tick late: the event loop was held up', { lateMs: Math.round(lateMs), role: this.raft.role });
    }
    this.raft.tick();
    if (this.isLeader()) this.leaderHousekeeping();
    this.schedule();
  }

  /** Work only the leader does, on its clock: expire leases, compact the watch history. */
  private leaderHousekeeping(): void {
    if (this.applied < this.leaderSinceIndex) return;
    const now = this.node.clock.monotonicMs();
    const due = this.leases.due(now, EXPIRY_RETRY_MS);
    if (due.length > 0) {
      // Nothing in it may escape as an unhandled rejection (it would end the process): log and try next tick.
      this.expireConfirmed(due).catch((err) => this.node.log.warn('lease expiry round failed', { error: (err as Error)?.message ?? String(err) }));
    }
    // Keep the watch history within EVENT_HISTORY_REVISIONS and watchHistoryBytes (large values fill it fast):
    // past either bound by a tenth, compact back to it. One compaction in flight at a time.
    if (this.isHistoryCompactionPending && now - this.lastCompactProposalMs < 5000) return;
    const revision = this.state.revision();
    const maxBytes = this.node.config.settings.watchHistoryBytes;
    let target = revision - this.state.compactRevision() > EVENT_HISTORY_REVISIONS * 1.1 ? revision - EVENT_HISTORY_REVISIONS : 0;
    if (this.state.historyBytes() > maxBytes * 1.1) target = Math.max(target, this.state.historyCompactRevision(maxBytes) ?? 0);
    if (target <= this.state.compactRevision()) return;
    this.lastCompactProposalMs = now;
    this.isHistoryCompactionPending = true;
    this.propose({ op: 'compact', revision: target }, 5000)
      .catch(() => undefined)
      .finally(() => (this.isHistoryCompactionPending = false));
  }

  /**
   * Expires the leases a majority of voters, this leader included, hold overdue by their own clocks. A leader whose
   * clock runs fast (chaos clock-rate) would otherwise end leases early by real time, while their holders, counting
   * from their own send times, still rightly believe they hold them; asking the followers bounds that by the
   * majority's clocks: safe while at most a minority of voters run fast.
   */
  private async expireConfirmed(due: { id: number; renewals: number }[]): Promise<void> {
    const self = this.node.config.id;
    const others = this.raft.status().confState.voters.filter((v: string) => v !== self);
    const needed = Math.floor((others.length + 1) / 2); // a majority of all voters, less this leader
    const votes = new Map<number, number>();
    if (needed > 0) {
      const answers = await Promise.allSettled(others.map((peer) => this.node.rpc.call(peer, CORE_LEASES_DUE, { leases: due.slice(0, MAX_LEASES_CONFIRMED) }, LEASE_CONFIRM_TIMEOUT_MS)));
      for (const a of answers) if (a.status === 'fulfilled') for (const id of a.value) votes.set(id, (votes.get(id) ?? 0) + 1);
    }
    if (this.isStopped || !this.isLeader()) return;
    for (const { id, renewals } of due) {
      if ((votes.get(id) ?? 0) < needed) continue;
      this.propose({ op: 'lease-expire', id, renewals }, 5000).catch(() => undefined);
    }
  }

  /** A follower's answer to the leader: which of these leases it also holds overdue, by its own clock. */
  private leasesDueHere(leases: { id: number; renewals: number }[]): number[] {
    const now = this.node.clock.monotonicMs();
    return leases.flatMap((l) => (this.leases.isOverdue(l.id, l.renewals, now) ? [l.id] : []));
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
    const sliceEnd = performance.now() + READY_SLICE_MS;
    for (;;) {
      if (this.isStopped) return;
      this.releaseWaitingProposals();
      if (!this.loop.hasReady()) break;
      if (performance.now() > sliceEnd) {
        this.schedule(); // the rest after timers and I/O have had their turn
        return;
      }
      this.counters.readyCycles++;
      // One whole turn (storage is synchronous): a leader's appends and heartbeats leave before its own disk
      // write (Raft thesis §10.2.1); acks and votes after it; then apply, then advance.
      this.loop.turn();
    }
    if (this.stagedOfferStepped && !this.isStopped) {
      // Raft did not install it (it holds those entries already, or the offer left it out): drop the rows.
      this.snapshots.installed(this.stagedOfferStepped, false);
      this.stagedOfferStepped = null;
    }
  }

  /**
   * The storage port: a Ready's snapshot, entries and hard state in one transaction, synced when Raft's safety
   * rests on it (new entries, a snapshot, a new term or vote). A commit index alone need not be: it is learned
   * again from the leader. A snapshot installs the state machine's rows too, atomically with the log it replaces.
   */
  private persist(write: ReadyWrite): void {
    const hs = write.hardState;
    if (write.snapshot === undefined && write.entries.length === 0 && hs === undefined) return;
    const durable = write.snapshot !== undefined || write.entries.length > 0 || (hs !== undefined && (hs.term !== this.syncedTerm || hs.vote !== this.syncedVote));
    if (!durable) {
      // A new commit index alone (nothing to sync): written by the apply transaction of this Ready, one transaction
      // fewer per write on every replica (and, written with the entries it commits, never behind the applied index).
      this.commitOnlyHardState = hs!;
      return;
    }
    // A log outside SQLite is synced by persist(); SQLite then syncs only a snapshot install (see segment-raft-storage.ts).
    this.setSynchronous(durable && (this.storage.logInDatabase || write.snapshot !== undefined) ? 'FULL' : 'NORMAL');
    const t0 = performance.now();
    this.node.db.transaction(() => {
      if (write.snapshot) this.installSnapshot(write.snapshot);
      this.storage.append(write.entries);
      if (hs) this.storage.setHardState(hs);
      this.storage.persist(durable);
    })();
    if (hs) {
      this.syncedTerm = hs.term;
      this.syncedVote = hs.vote;
    }
    const ms = performance.now() - t0;
    if (durable) {
      this.counters.syncs++;
      this.onSync?.(ms / 1000);
    }
    if (ms > SLOW_TRANSACTION_MS) {
      let entryBytes = 0;
      for (const e of write.entries) entryBytes += e.data.length;
      this.node.log.warn('slow Ready transaction', { part: 'persist', ms: Math.round(ms), entries: write.entries.length, entryBytes, snapshot: write.snapshot !== undefined });
    }
  }

  /**
   * The applier port, after the Ready is durable and its acks and votes are sent: committed entries in one
   * transaction, not synced (after a power loss the applied state rolls back with its applied index, WAL order
   * keeping them together, and is rebuilt from the synced log; a process crash loses nothing), then the answers.
   */
  private apply(rd: Ready): void {
    if (rd.snapshot && this.stagedOfferStepped) {
      // After its answer to Raft (app-resp) is on its way: the leader may close the transfer.
      this.snapshots.installed(this.stagedOfferStepped, true);
      this.stagedOfferStepped = null;
    }
    const applied = this.applyCommitted(rd.committedEntries);
    if (this.commitOnlyHardState) {
      // Nothing was applied to carry it: its own (unsynced) transaction.
      this.setSynchronous('NORMAL');
      this.node.db.transaction(() => this.writeCommitOnlyHardState())();
    }
    this.afterApply(rd, applied);
  }

  /** Inside a transaction: the commit index persist() left for the apply to write (see persist()). */
  private writeCommitOnlyHardState(): void {
    const hs = this.commitOnlyHardState;
    if (!hs) return;
    this.commitOnlyHardState = null;
    this.storage.setHardState(hs);
    this.storage.persist(false);
  }

  private applyCommitted(entries: readonly Entry[]): { entry: Entry; applied: Applied | null }[] {
    const results: { entry: Entry; applied: Applied | null }[] = [];
    if (entries.length === 0) return results;
    this.setSynchronous('NORMAL');
    const t0 = performance.now();
    this.node.db.transaction(() => {
      for (const entry of entries) {
        if (entry.index <= this.applied) continue;
        results.push({ entry, applied: this.applyEntry(entry) });
        this.applied = entry.index;
        this.appliedTerm = entry.term;
      }
      if (results.length > 0) this.state.setApplied(this.applied, this.appliedTerm);
      this.writeCommitOnlyHardState();
      const point = this.storage.compactionPoint(this.applied, this.compactionPolicy());
      if (point !== null) this.storage.compact(point);
    })();
    const ms = performance.now() - t0;
    if (ms > SLOW_TRANSACTION_MS) {
      let appliedBytes = 0;
      for (const r of results) appliedBytes += r.entry.data.length;
      this.node.log.warn('slow Ready transaction', { part: 'apply', ms: Math.round(ms), applied: results.length, appliedBytes });
    }
    return results;
  }

  private compactionPolicy(): LogCompactionPolicy {
    const s = this.node.config.settings;
    return { thresholdEntries: s.raftLogCompactThreshold, thresholdBytes: s.raftLogCompactBytes, trailingEntries: s.raftLogTrailingEntries, trailingBytes: s.raftLogTrailingBytes };
  }

  private setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (this.synchronousMode === mode) return;
    this.synchronousPragma[mode].run();
    this.synchronousMode = mode;
  }

  /** Applies one committed entry. Total: an entry that is not a valid command or change applies as an error result. */
  private applyEntry(entry: Entry): Applied | null {
    if (entry.kind === 'conf-change') {
      let change: ConfChange;
      try {
        change = decodeConfChange(entry.data);
      } catch (err) {
        const message = `entry ${entry.index} is not a membership change`;
        return { result: { op: 'error', code: 'invalid_argument', message }, effects: { events: [], leasesTouched: [], leasesRemoved: [] }, rejected: (err as Error).message };
      }
      const conf = this.raft.applyConfChange(change);
      this.state.setConfState(conf);
      this.updateRemoved(conf);
      return { result: { op: 'conf-change', voters: conf.voters, learners: conf.learners }, effects: { events: [], leasesTouched: [], leasesRemoved: [] } };
    }
    if (entry.data === '') return null; // a new leader's no-op
    return applyCommandData(this.state, entry.data, entry.index, { unsafeSkipValidation: this.node.unsafeSkipValidation });
  }

  /** Inside the Ready's transaction: the staged rows become the state, the log restarts after the snapshot. */
  private installSnapshot(snap: Snapshot): void {
    const staged = this.staging.progress();
    if (!staged || staged.cursor !== null || staged.index !== snap.meta.index || staged.term !== snap.meta.term) {
      throw new Error(`Raft installs the snapshot at ${snap.meta.index}/${snap.meta.term}, but the staged one is ${staged ? `${staged.index}/${staged.term}${staged.cursor ? ' (incomplete)' : ''}` : 'missing'}`);
    }
    this.state.adoptSnapshot(this.staging.install(), snap.meta.index, snap.meta.term, snap.meta.confState);
    this.storage.installSnapshot(snap.meta.index, snap.meta.term);
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
    this.updateRemoved(snap.meta.confState);
    const now = this.node.clock.monotonicMs();
    this.leases.clear();
    for (const lease of this.state.leases()) this.leases.touched(lease, now);
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

  /** The offer only: its rows are streamed (snapshot-transfer.ts) from a read view opened when it is sent. */
  private buildSnapshot(): Snapshot {
    const applied = this.state.appliedIndex();
    return { meta: { index: applied.index, term: applied.term, confState: applied.confState }, data: '' };
  }

  private send(messages: readonly Message[]): void {
    for (const m of messages) {
      if (m.type === 'app' && m.entries.length === 0 && m.commit > 0) {
        this.holdCommitNotice(m);
        continue;
      }
      // Anything newer to that follower carries the commit index too: the held notice is redundant.
      if (m.type === 'app' || m.type === 'heartbeat') this.dropHeldNotice(m.to);
      // A snapshot's state is read as of now (before this Ready applies anything): open its view first.
      if (m.type === 'snap') this.snapshots.open(m);
      this.node.tcp.send({ kind: 'raft', from: this.node.config.id, to: m.to, body: m });
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
        if (e.to !== null && e.to !== this.node.config.id) this.snapshots.leaderKnown(e.to);
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

  /** Candidate → the last refusal logged for it (to log a repeated one once). */
  private readonly lastRefusal = new Map<string, string>();
}

function toCcmError(err: unknown): CcmError {
  if (err instanceof CcmError) return err;
  if (err instanceof NotLeaderError) return new CcmError('not_leader', err.message, { leaderId: err.leaderId });
  if (err instanceof ProposalDroppedError) return new CcmError('proposal_dropped', err.message);
  return new CcmError('invalid_argument', (err as Error).message);
}
