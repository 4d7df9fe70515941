/**
 * Streams Raft snapshots to lagging followers in chunks, beside Raft (as etcd sends snapshots over their own
 * HTTP stream): the core still emits one `snap` message, but its data is empty — it is only the offer. The
 * follower pulls the rows after it, a window of chunks at a time, and each chunk travels as an envelope of
 * kind `snapshot` over the peer connection (so the link filter and the connection's security apply to it).
 *
 *   leader                                         follower
 *   raft `snap` {meta, data: ''}  ───────────────►  staging.begin(meta) (or resume what is staged)
 *                                 ◄───────────────  pull {cursor, window, resume: true}
 *   chunk {from, next, rows} + values as blob ───►  staging.write (rows + new cursor: one transaction)
 *                                 ◄───────────────  pull {cursor: next, window}     (an ack: one more may go)
 *   ...                                             last chunk (next: null) → the offer is stepped into Raft,
 *                                                   whose Ready installs it (staging.install, atomic)
 *                                 ◄───────────────  done {ok}  → leader: raft.reportSnapshot
 *
 * Flow control: at most `window` chunks are unacknowledged, so a leader never queues more than a few MiB for
 * a follower however big the snapshot, and the follower writes as fast as its disk takes it. Frames stay
 * bounded (a chunk holds about CHUNK_BYTES of values; one row at least). Resuming: the follower's position is
 * durable with its rows, so after a dropped connection (no chunk for PULL_STALL_MS) or a restart it pulls
 * again from there; the leader's session keeps its read transaction (the snapshot's exact state) until the
 * follower has been silent for SEND_IDLE_MS. Every chunk is checked (storage/snapshot-chunk.ts parseChunk)
 * before it is written.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { SnapshotTransferStats } from '../../api/api-types.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { SnapshotMessage } from '../../raft/index.js';
import { decodeCursor, encodeCursor, parseChunk, SNAPSHOT_START } from '../../storage/snapshot-chunk.js';
import { SnapshotSource } from '../../storage/snapshot-source.js';
import type { SnapshotStaging, StagingProgress } from '../../storage/snapshot-staging.js';

/** Values per chunk, about (a chunk holds at least one row, so one 1 MiB value makes a chunk of just over 1 MiB). */
export const CHUNK_BYTES = 1024 * 1024;
/** Chunks a follower asks to have in flight: enough to keep the pipe full while it writes, little enough to bound memory. */
export const DEFAULT_WINDOW_CHUNKS = 4;
const MAX_WINDOW_CHUNKS = 16;
/** Snapshots sent at once (each holds a read transaction and a database connection). */
const MAX_SEND_SESSIONS = 4;

export interface SnapshotTransferTimings {
  /** A follower that got no chunk for this long asks again from its position (the connection dropped?). */
  pullStallMs: number;
  /** ...and gives up after this long without one (the leader's session is gone; the next offer starts again). */
  pullGiveUpMs: number;
  /** A leader closes a session whose follower has not pulled for this long. */
  sendIdleMs: number;
}

export const DEFAULT_TIMINGS: SnapshotTransferTimings = { pullStallMs: 2000, pullGiveUpMs: 30_000, sendIdleMs: 15_000 };

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const CursorText = Type.String({ maxLength: 8192 });
/** Every `snapshot` envelope body (a chunk's rows are checked separately, against the blob: parseChunk). */
export const SnapshotWireSchema = Type.Union([
  Type.Object({ type: Type.Literal('pull'), index: Count, term: Count, cursor: CursorText, window: Type.Integer({ minimum: 1, maximum: 1024 }), resume: Type.Boolean() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('chunk'), index: Count, term: Count, from: CursorText, next: Type.Union([CursorText, Type.Null()]), rows: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('done'), index: Count, term: Count, ok: Type.Boolean() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('abort'), index: Count, term: Count, reason: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
]);
export type SnapshotWire = Static<typeof SnapshotWireSchema>;
const SnapshotWireCheck = TypeCompiler.Compile(SnapshotWireSchema);

/** Why a `snapshot` envelope body is refused (undefined: it is well formed). */
export function snapshotBodyProblem(body: unknown): string | undefined {
  if (SnapshotWireCheck.Check(body)) return undefined;
  const first = SnapshotWireCheck.Errors(body).First();
  return first ? `${first.path || '/'}: ${first.message}` : 'not a snapshot message';
}

export interface SnapshotTransferDeps {
  selfId: string;
  /** The node's database file (the sender opens a read-only connection to it). */
  dbPath: string;
  staging: SnapshotStaging;
  send: (to: string, body: SnapshotWire, blob?: Buffer) => void;
  /** Steps a completely staged offer into Raft (the driver checks it is still current). */
  stepOffer: (offer: SnapshotMessage) => void;
  /** A snapshot sent to `to` ended: ok if the follower has it (Raft's reportSnapshot). */
  onSendFinished: (to: string, ok: boolean) => void;
  /** The follower's commit index: an offer at or below it needs no data. */
  committedIndex: () => number;
  nowMs: () => number;
  log: { event(type: string, message: string, fields?: Record<string, unknown>): void; warn(message: string, fields?: Record<string, unknown>): void };
  timings?: Partial<SnapshotTransferTimings>;
  windowChunks?: number;
  chunkBytes?: number;
}

interface SendSession {
  to: string;
  index: number;
  term: number;
  source: SnapshotSource;
  /** Where the next chunk to send starts (null: all sent). */
  cursor: ReturnType<typeof decodeCursor>;
  /** Chunks sent and not yet acknowledged, oldest first (their start cursors, encoded). */
  inflight: string[];
  /** How many chunks the follower wants in flight (its last pull). */
  window: number;
  isPumpScheduled: boolean;
  lastHeardMs: number;
  startedMs: number;
  bytes: number;
  chunks: number;
}

export type { SnapshotTransferStats };

export class SnapshotTransfer {
  private readonly sessions = new Map<string, SendSession>();
  private readonly timings: SnapshotTransferTimings;
  private readonly windowChunks: number;
  private readonly chunkBytes: number;
  /** Receiving: whom we pull from, and when the last chunk (or the start) was. */
  private pulling: { from: string; index: number; term: number; lastChunkMs: number; startedMs: number; lastPullMs: number } | null = null;
  /** After a restart with a snapshot half staged: pull again once its leader is heard from. */
  private isResumeDue: boolean;
  private sweepTimer: NodeJS.Timeout | null = null;
  private trashTimer: NodeJS.Timeout | null = null;
  readonly stats: SnapshotTransferStats = {
    sendsStarted: 0,
    sendsCompleted: 0,
    sendsFailed: 0,
    chunksSent: 0,
    bytesSent: 0,
    receivesStarted: 0,
    installs: 0,
    chunksReceived: 0,
    bytesReceived: 0,
    resumes: 0,
    badChunks: 0,
    staleChunks: 0,
  };

  constructor(private readonly deps: SnapshotTransferDeps) {
    this.timings = { ...DEFAULT_TIMINGS, ...deps.timings };
    this.windowChunks = Math.min(MAX_WINDOW_CHUNKS, deps.windowChunks ?? DEFAULT_WINDOW_CHUNKS);
    this.chunkBytes = deps.chunkBytes ?? CHUNK_BYTES;
    this.isResumeDue = deps.staging.progress() !== null;
  }

  start(): void {
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, this.timings.pullStallMs / 2)));
    this.collectTrashSoon();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.trashTimer) clearTimeout(this.trashTimer);
    this.sweepTimer = null;
    this.trashTimer = null;
    for (const s of this.sessions.values()) s.source.close();
    this.sessions.clear();
    this.pulling = null;
  }

  /** What /v1/status shows. */
  status(): SnapshotTransferStats & { sending: { to: string; index: number; bytes: number }[]; receiving: { from: string; index: number; bytes: number } | null } {
    const p = this.pulling ? this.deps.staging.progress() : null;
    return {
      ...this.stats,
      sending: [...this.sessions.values()].map((s) => ({ to: s.to, index: s.index, bytes: s.bytes })),
      receiving: this.pulling && p ? { from: this.pulling.from, index: p.index, bytes: p.bytes } : null,
    };
  }

  // ---- leader side -----------------------------------------------------------------------------------------

  /** Raft sends `m` (a snapshot offer) to a follower: open a session that can serve its rows. */
  open(m: SnapshotMessage): void {
    const { index, term } = m.snapshot.meta;
    const old = this.sessions.get(m.to);
    if (old && old.index === index && old.term === term) {
      old.lastHeardMs = this.deps.nowMs(); // the same snapshot offered again: the follower resumes it
      return;
    }
    if (old) this.closeSession(old);
    if (this.sessions.size >= MAX_SEND_SESSIONS) {
      this.deps.log.warn('snapshot not sent: too many snapshots in flight', { to: m.to, index });
      setImmediate(() => this.deps.onSendFinished(m.to, false));
      return;
    }
    let source: SnapshotSource;
    try {
      source = new SnapshotSource(this.deps.dbPath, { index, term });
    } catch (err) {
      this.deps.log.warn('snapshot not sent: cannot read the state at its index', { to: m.to, index, error: (err as Error).message });
      setImmediate(() => this.deps.onSendFinished(m.to, false));
      return;
    }
    const now = this.deps.nowMs();
    this.sessions.set(m.to, { to: m.to, index, term, source, cursor: SNAPSHOT_START, inflight: [], window: 1, isPumpScheduled: false, lastHeardMs: now, startedMs: now, bytes: 0, chunks: 0 });
    this.stats.sendsStarted++;
    this.deps.log.event('snapshot-send-started', `streaming the snapshot at ${index} (term ${term}) to ${m.to}`, { to: m.to, index, term });
  }

  // ---- both sides: the wire ----------------------------------------------------------------------------------

  /** An envelope of kind `snapshot` from peer `from` (the transport has checked who sent it). */
  receive(from: string, body: unknown, blob: Buffer | undefined): void {
    if (!SnapshotWireCheck.Check(body)) {
      this.stats.badChunks++;
      return;
    }
    switch (body.type) {
      case 'pull':
        return this.onPull(from, body);
      case 'chunk':
        return this.onChunk(from, body, blob ?? Buffer.alloc(0));
      case 'done':
        return this.onDone(from, body);
      case 'abort':
        return this.onAbort(from, body);
    }
  }

  private onPull(from: string, m: Extract<SnapshotWire, { type: 'pull' }>): void {
    const s = this.sessions.get(from);
    if (!s || s.index !== m.index || s.term !== m.term) {
      this.deps.send(from, { type: 'abort', index: m.index, term: m.term, reason: 'no such snapshot is being sent (it ended, or leadership moved)' });
      return;
    }
    const cursor = decodeCursor(m.cursor);
    if (!cursor) {
      this.stats.badChunks++;
      return;
    }
    s.lastHeardMs = this.deps.nowMs();
    if (m.resume) {
      // Whatever was in flight may be lost: send again from the follower's durable position.
      s.inflight = [];
      s.cursor = cursor;
    } else {
      // An acknowledgement: the follower holds everything before m.cursor.
      const at = s.inflight.indexOf(m.cursor);
      s.inflight = at < 0 ? [] : s.inflight.slice(at);
    }
    s.window = Math.min(m.window, MAX_WINDOW_CHUNKS);
    this.pump(s);
  }

  /**
   * Sends chunks while the window has room: one per turn of the event loop, so reading a window's worth never
   * holds up heartbeats (a chunk of large values takes a few ms to read).
   */
  private pump(s: SendSession): void {
    if (s.isPumpScheduled || s.cursor === null || s.inflight.length >= s.window || this.sessions.get(s.to) !== s) return;
    const from = s.cursor;
    let chunk;
    try {
      chunk = s.source.read(from, this.chunkBytes);
    } catch (err) {
      this.deps.log.warn('snapshot read failed', { to: s.to, error: (err as Error).message });
      this.finishSession(s, false);
      return;
    }
    const fromText = encodeCursor(from);
    this.deps.send(s.to, { type: 'chunk', index: s.index, term: s.term, from: fromText, next: chunk.next === null ? null : encodeCursor(chunk.next), rows: chunk.rows }, chunk.blob);
    s.inflight.push(fromText);
    s.cursor = chunk.next;
    s.bytes += chunk.blob.length;
    s.chunks++;
    this.stats.chunksSent++;
    this.stats.bytesSent += chunk.blob.length;
    if (s.cursor === null || s.inflight.length >= s.window) return;
    s.isPumpScheduled = true;
    setImmediate(() => {
      s.isPumpScheduled = false;
      this.pump(s);
    });
  }

  private onDone(from: string, m: Extract<SnapshotWire, { type: 'done' }>): void {
    const s = this.sessions.get(from);
    if (!s || s.index !== m.index || s.term !== m.term) return;
    this.finishSession(s, m.ok);
  }

  private finishSession(s: SendSession, ok: boolean): void {
    this.closeSession(s);
    if (ok) this.stats.sendsCompleted++;
    else this.stats.sendsFailed++;
    const seconds = (this.deps.nowMs() - s.startedMs) / 1000;
    this.deps.log.event(
      ok ? 'snapshot-sent' : 'snapshot-send-failed',
      `snapshot at ${s.index} to ${s.to}: ${ok ? 'installed' : 'not installed'} (${(s.bytes / 1e6).toFixed(1)} MB in ${s.chunks} chunks, ${seconds.toFixed(1)} s)`,
      { to: s.to, index: s.index, bytes: s.bytes, chunks: s.chunks, seconds },
    );
    this.deps.onSendFinished(s.to, ok);
  }

  private closeSession(s: SendSession): void {
    s.source.close();
    if (this.sessions.get(s.to) === s) this.sessions.delete(s.to);
  }

  // ---- follower side -----------------------------------------------------------------------------------------

  /** Raft's `snap` message from the leader: stage its rows (or resume), or step it at once if nothing is missing. */
  onOffer(m: SnapshotMessage): void {
    const meta = m.snapshot.meta;
    if (meta.index <= this.deps.committedIndex()) {
      this.deps.stepOffer(m); // we hold all of it already: Raft answers with where we are
      return;
    }
    const staged = this.deps.staging.progress();
    if (staged && staged.index === meta.index && staged.term === meta.term) {
      // The same snapshot (the state at an index is the same on every replica, whoever offers it): go on with it.
      this.deps.staging.reoffer(m.from, m.term);
      if (staged.cursor === null) {
        this.deps.stepOffer(m);
        return;
      }
      this.pullFrom(m.from, meta.index, meta.term, encodeCursor(staged.cursor), true);
      return;
    }
    this.deps.staging.begin({ index: meta.index, term: meta.term, confState: meta.confState, leader: m.from, offerTerm: m.term });
    this.stats.receivesStarted++;
    this.deps.log.event('snapshot-receive-started', `receiving the snapshot at ${meta.index} (term ${meta.term}) from ${m.from}`, { from: m.from, index: meta.index, term: meta.term });
    this.collectTrashSoon();
    this.pullFrom(m.from, meta.index, meta.term, encodeCursor(SNAPSHOT_START), true);
  }

  /** A leader is known (or heard from): resume a snapshot left half staged by a restart, if it offered it. */
  leaderKnown(leader: string): void {
    if (!this.isResumeDue) return;
    this.isResumeDue = false;
    const p = this.deps.staging.progress();
    if (!p || p.leader !== leader) return;
    if (p.cursor === null) this.deps.stepOffer(offerOf(p, this.deps.selfId));
    else this.pullFrom(leader, p.index, p.term, encodeCursor(p.cursor), true);
  }

  private pullFrom(leader: string, index: number, term: number, cursor: string | null, resume: boolean): void {
    const now = this.deps.nowMs();
    if (!this.pulling || this.pulling.index !== index || this.pulling.term !== term || this.pulling.from !== leader) {
      this.pulling = { from: leader, index, term, lastChunkMs: now, startedMs: now, lastPullMs: now };
    }
    if (cursor === null) return;
    if (resume) this.pulling.lastPullMs = now;
    this.deps.send(leader, { type: 'pull', index, term, cursor, window: this.windowChunks, resume });
  }

  private onChunk(from: string, m: Extract<SnapshotWire, { type: 'chunk' }>, blob: Buffer): void {
    const p = this.pulling;
    if (!p || p.from !== from || p.index !== m.index || p.term !== m.term) {
      this.stats.staleChunks++;
      return;
    }
    const fromCursor = decodeCursor(m.from);
    const next = m.next === null ? null : decodeCursor(m.next);
    if (!fromCursor || (m.next !== null && !next)) {
      this.stats.badChunks++;
      return;
    }
    const data = parseChunk(m.rows, blob, fromCursor, next);
    if (typeof data === 'string') {
      this.stats.badChunks++;
      this.deps.log.warn('snapshot chunk refused', { from, index: m.index, reason: data });
      return; // a stall resume asks for it again
    }
    let written: boolean;
    try {
      written = this.deps.staging.write(fromCursor, next, data, blob.length);
    } catch (err) {
      this.stats.badChunks++;
      this.deps.log.warn('snapshot chunk not written', { from, index: m.index, error: (err as Error).message });
      return;
    }
    if (!written) {
      this.stats.staleChunks++; // sent before a resume, or a duplicate
      return;
    }
    p.lastChunkMs = this.deps.nowMs();
    this.stats.chunksReceived++;
    this.stats.bytesReceived += blob.length;
    if (next !== null) {
      this.pullFrom(from, m.index, m.term, m.next, false);
      return;
    }
    const staged = this.deps.staging.progress();
    this.pulling = null;
    if (!staged) return;
    const seconds = (this.deps.nowMs() - p.startedMs) / 1000;
    this.deps.log.event('snapshot-received', `snapshot at ${staged.index} staged: ${(staged.bytes / 1e6).toFixed(1)} MB in ${staged.chunks} chunks, ${seconds.toFixed(1)} s`, {
      from,
      index: staged.index,
      bytes: staged.bytes,
      chunks: staged.chunks,
      seconds,
    });
    this.deps.stepOffer(offerOf(staged, this.deps.selfId));
  }

  private onAbort(from: string, m: Extract<SnapshotWire, { type: 'abort' }>): void {
    const p = this.pulling;
    if (!p || p.from !== from || p.index !== m.index || p.term !== m.term) return;
    // The leader has no session for it: keep what is staged (an offer of the same snapshot resumes it) and wait.
    this.pulling = null;
    this.deps.log.warn('snapshot transfer stopped by the leader', { from, index: m.index, reason: m.reason });
  }

  /**
   * The staged snapshot was installed (inside the driver's Ready transaction, now committed): tell the leader.
   * `ok` false: Raft did not take it; it is discarded.
   */
  installed(offer: { leader: string; index: number; term: number }, ok: boolean): void {
    if (ok) this.stats.installs++;
    else this.deps.staging.discard();
    this.collectTrashSoon();
    this.deps.send(offer.leader, { type: 'done', index: offer.index, term: offer.term, ok });
  }

  /** Every so often: resume a stalled pull, give one up, close idle send sessions. */
  private sweep(): void {
    const now = this.deps.nowMs();
    const p = this.pulling;
    if (p) {
      if (now - p.lastChunkMs > this.timings.pullGiveUpMs) {
        this.deps.log.warn('snapshot transfer given up: no chunk for too long', { from: p.from, index: p.index });
        this.pulling = null;
      } else if (now - p.lastChunkMs > this.timings.pullStallMs && now - p.lastPullMs > this.timings.pullStallMs) {
        const staged = this.deps.staging.progress();
        if (staged && staged.cursor !== null && staged.index === p.index && staged.term === p.term) {
          this.stats.resumes++;
          this.pullFrom(p.from, p.index, p.term, encodeCursor(staged.cursor), true);
        }
      }
    }
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastHeardMs > this.timings.sendIdleMs) {
        this.deps.log.warn('snapshot send abandoned: the follower stopped pulling', { to: s.to, index: s.index });
        this.finishSession(s, false);
      }
    }
  }

  /**
   * Frees the tables a snapshot replaced (or a staging given up), a batch at a time, each sized to take a few ms;
   * while a snapshot is being received, rarely, so the two do not compete for the disk and the loop.
   */
  private collectTrashSoon(): void {
    if (this.trashTimer || !this.deps.staging.hasTrash()) return;
    let rows = 4;
    const step = (): void => {
      this.trashTimer = null;
      const t0 = performance.now();
      let more: boolean;
      try {
        more = this.deps.staging.collectTrash(rows);
      } catch (err) {
        this.deps.log.warn('freeing a replaced table failed; retrying later', { error: (err as Error).message });
        this.trashTimer = setTimeout(step, 5000);
        return;
      }
      const ms = performance.now() - t0;
      rows = ms < 5 ? Math.min(rows * 2, 4096) : ms > 20 ? Math.max(1, rows >> 1) : rows;
      if (more) this.trashTimer = setTimeout(step, this.pulling ? 250 : 20);
    };
    this.trashTimer = setTimeout(step, 10);
  }
}

/** The Raft offer a staged snapshot came with (rebuilt from the staging row, e.g. after a restart). */
function offerOf(p: StagingProgress, to: string): SnapshotMessage {
  return { type: 'snap', from: p.leader, to, term: p.offerTerm, snapshot: { meta: { index: p.index, term: p.term, confState: p.confState }, data: '' } };
}
