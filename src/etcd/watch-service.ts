/**
 * etcd's Watch service: one bidirectional stream carries many watches (etcdserver/api/v3rpc/watch.go). Each watch
 * is a ccm watch on the node (a voter's own apply stream, or a member's relay from a voter), from its start
 * revision with no gap and no duplicate; `created` goes out before any of its events; a start revision that was
 * compacted ends the watch with compact_revision set; progress_notify sends an empty response on an idle watch.
 */
import type { KeyValue, WatchEvent } from '../core/kv-types.js';
import type { WatchHandle } from './etcd-backend.js';
import { keyValueMessage, type EtcdContext, type KeyValueMessage, type ResponseHeader } from './etcd-context.js';
import { ccmErrorCode, EtcdError, GrpcStatus, invalidArgument, toEtcdError } from './etcd-errors.js';
import { checkShape, MAX_REQUEST_BYTES, safeInt, WatchRequest, type WatchCreateRequest } from './etcd-requests.js';
import { spanOfBytes } from './key-bytes.js';

/** clientv3.InvalidWatchID: a response about the stream, not one watch. */
const INVALID_WATCH_ID = -1;
const FILTER_NOPUT = 0;
const FILTER_NODELETE = 1;
const EVENT_PUT = 0;
const EVENT_DELETE = 1;

export interface WatchLimits {
  /** Watches one stream may hold. */
  perStream: number;
  /** How often an idle watch with progress_notify hears the current revision. */
  progressMs: number;
  /** Response bytes a stream may have unsent before it is cut off (the client resumes from its last revision). */
  maxUnsentBytes: number;
}

/** The writable side of a gRPC watch stream, as this code uses it. */
export interface WatchCall {
  write(message: unknown, callback: () => void): void;
  end(): void;
  emit(event: 'error', err: { code: GrpcStatus; details: string }): void;
}

interface ActiveWatch {
  handle: WatchHandle | null;
  progress: boolean;
  /** Events went out since the last progress tick (so no progress is due). */
  hadEvents: boolean;
  filters: Set<number>;
  fragment: boolean;
}

interface EventMessage {
  type: number;
  kv: KeyValueMessage;
  prev_kv?: KeyValueMessage;
}

function eventMessage(e: WatchEvent): EventMessage {
  // A delete's kv is the key and the revision that deleted it, nothing else (as etcd's tombstone).
  const kv: KeyValue = e.type === 'put' ? e.kv : { key: e.kv.key, value: '', createRevision: 0, modRevision: e.kv.modRevision, version: 0, lease: 0 };
  return { type: e.type === 'put' ? EVENT_PUT : EVENT_DELETE, kv: keyValueMessage(kv), ...(e.prev ? { prev_kv: keyValueMessage(e.prev) } : {}) };
}

const approxBytes = (m: EventMessage): number => 64 + m.kv.key.length + m.kv.value.length + (m.prev_kv ? 48 + m.prev_kv.key.length + m.prev_kv.value.length : 0);

/** One client's watch stream. */
export class WatchStream {
  private readonly watches = new Map<number, ActiveWatch>();
  private nextId = 0;
  private unsentBytes = 0;
  private isClosed = false;
  private readonly progressTimer: NodeJS.Timeout;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly call: WatchCall,
    private readonly limits: WatchLimits,
    /** Counts the node's watches (created, ended): the server keeps a node-wide bound. */
    private readonly budget: { take(): boolean; give(): void },
  ) {
    this.progressTimer = setInterval(() => this.progressTick(), limits.progressMs);
    this.progressTimer.unref();
  }

  /** One request from the client; a malformed one is refused (counted) and ends the stream, as a protocol error. */
  receive(raw: unknown): void {
    if (this.isClosed) return;
    let req: WatchRequest;
    try {
      req = checkShape(WatchRequest, raw, 'WatchRequest', this.ctx.refuse);
    } catch (err) {
      this.fail(toEtcdError(err));
      return;
    }
    if (req.create_request) this.create(req.create_request);
    else if (req.cancel_request) this.cancel(safeInt(req.cancel_request.watch_id));
    else if (req.progress_request) this.send({ header: this.ctx.header(this.syncedRevision()), watch_id: INVALID_WATCH_ID });
    // anything else (an empty request) is ignored, as etcd does
  }

  /** The client went away or the server stops: every watch ends. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.progressTimer);
    for (const w of this.watches.values()) this.end(w);
    this.watches.clear();
  }

  private create(c: WatchCreateRequest): void {
    const key = c.key.length === 0 ? Buffer.from([0]) : c.key;
    const refuse = (reason: string): void => this.send({ header: this.ctx.header(), watch_id: INVALID_WATCH_ID, created: true, canceled: true, cancel_reason: reason });
    // etcd: a range whose end is at or below its key is empty, and refused (range_end "\0" means: from the key on).
    const isFromKey = c.range_end.length === 1 && c.range_end[0] === 0;
    if (c.range_end.length > 0 && !isFromKey && Buffer.compare(Buffer.from(key), Buffer.from(c.range_end)) >= 0) {
      refuse('mvcc: watcher range is empty');
      return;
    }
    const askedId = safeInt(c.watch_id);
    if (askedId === null || askedId < 0) {
      this.ctx.refuse('watch id out of range');
      refuse(invalidArgument(`watch_id ${c.watch_id} is out of range`).message);
      return;
    }
    let id = askedId;
    if (id === 0) {
      while (this.watches.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.watches.has(id)) {
      refuse('mvcc: duplicate watch ID provided on the WatchStream');
      return;
    }
    if (this.watches.size >= this.limits.perStream || !this.budget.take()) {
      this.ctx.refuse('too many watches');
      refuse(`ccm: too many watches (at most ${this.limits.perStream} per stream, and a bound per node)`);
      return;
    }
    const selection = spanOfBytes(key, c.range_end);
    const span = 'span' in selection ? selection.span : { key: '', end: '' };
    const watch: ActiveWatch = { handle: null, progress: c.progress_notify, hadEvents: false, filters: new Set(c.filters), fragment: c.fragment };
    this.watches.set(id, watch);
    const fromRevision = Math.max(0, safeInt(c.start_revision) ?? 0);
    watch.handle = this.ctx.backend.watch(
      { span, fromRevision, prevKv: c.prev_kv },
      {
        onCreated: (revision) => this.send({ header: this.ctx.header(revision), watch_id: id, created: true }),
        onEvents: (events, revision) => this.deliver(id, watch, events, revision),
        onError: (err) => this.watchFailed(id, watch, err),
      },
    );
    if (this.isClosed || this.watches.get(id) !== watch) this.end(watch);
  }

  private deliver(id: number, watch: ActiveWatch, events: WatchEvent[], revision: number): void {
    if (this.watches.get(id) !== watch) return;
    const kept = events.filter((e) => !(e.type === 'put' ? watch.filters.has(FILTER_NOPUT) : watch.filters.has(FILTER_NODELETE)));
    if (kept.length === 0) return;
    watch.hadEvents = true;
    const messages = kept.map(eventMessage);
    const header = this.ctx.header(revision);
    const total = messages.reduce((n, m) => n + approxBytes(m), 0);
    if (!watch.fragment || total < MAX_REQUEST_BYTES || messages.length < 2) {
      this.send({ header, watch_id: id, events: messages }, total);
      return;
    }
    // etcd's sendFragments: pieces under the request limit, each marked `fragment` but the last.
    let piece: EventMessage[] = [];
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const size = approxBytes(messages[i]);
      if (piece.length > 0 && bytes + size >= MAX_REQUEST_BYTES) {
        this.send({ header, watch_id: id, events: piece, fragment: true }, bytes);
        piece = [];
        bytes = 0;
      }
      piece.push(messages[i]);
      bytes += size;
    }
    this.send({ header, watch_id: id, events: piece }, bytes);
  }

  private watchFailed(id: number, watch: ActiveWatch, err: Error): void {
    if (this.watches.get(id) !== watch) return;
    if (ccmErrorCode(err) === 'compacted') {
      const compactRevision = ((err as { details?: unknown }).details as { compactRevision?: number } | undefined)?.compactRevision ?? 0;
      this.watches.delete(id);
      this.end(watch);
      // As etcd: the watch ends, canceled, with the compaction point (its header carries no revision).
      this.send({ header: { ...this.ctx.header(), revision: 0 }, watch_id: id, compact_revision: compactRevision, canceled: true });
      return;
    }
    // No replica to follow (a member cut off): end the stream; the client reconnects and resumes each watch.
    this.fail(toEtcdError(err));
  }

  private cancel(id: number | null): void {
    const watch = id === null ? undefined : this.watches.get(id);
    if (!watch) return; // etcd answers nothing for a watch it does not have
    this.watches.delete(id!);
    this.end(watch);
    this.send({ header: this.ctx.header(), watch_id: id, canceled: true });
  }

  private progressTick(): void {
    for (const [id, w] of this.watches) {
      if (w.progress && !w.hadEvents && w.handle) this.send({ header: this.ctx.header(w.handle.syncedRevision()), watch_id: id });
      w.hadEvents = false;
    }
  }

  /** The revision every watch of this stream has caught up to (what a progress request may claim). */
  private syncedRevision(): number {
    let least = Number.POSITIVE_INFINITY;
    for (const w of this.watches.values()) if (w.handle) least = Math.min(least, w.handle.syncedRevision());
    return Number.isFinite(least) ? least : this.ctx.header().revision;
  }

  private end(watch: ActiveWatch): void {
    if (!watch.handle) return;
    watch.handle.stop();
    watch.handle = null;
    this.budget.give();
  }

  private send(message: { header: ResponseHeader; watch_id: number | null; [field: string]: unknown }, bytes = 128): void {
    if (this.isClosed) return;
    this.unsentBytes += bytes;
    this.call.write(message, () => (this.unsentBytes -= bytes));
    if (this.unsentBytes > this.limits.maxUnsentBytes) {
      this.ctx.refuse('watcher too slow');
      this.fail(new EtcdError(GrpcStatus.RESOURCE_EXHAUSTED, `ccm: watcher too slow (over ${this.limits.maxUnsentBytes} bytes unread); resume from the last revision received`));
    }
  }

  private fail(err: EtcdError): void {
    if (this.isClosed) return;
    this.close();
    this.call.emit('error', { code: err.code, details: err.message });
  }
}
