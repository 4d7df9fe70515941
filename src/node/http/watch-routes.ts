import type http from 'node:http';
import { CcmError } from '../../errors/ccm-error.js';
import { validateKey, validateRevision } from '../../core/commands.js';
import { STREAMING } from '../../net/http-server.js';
import { RefusedInput } from '../../net/input-rejections.js';
import type { NodeRuntime } from '../node-runtime.js';
import type { WatchBatch, WatchSpec } from '../watch/watch-hub.js';
import type { NodeMetrics } from '../metrics/metrics.js';
import type { NodeCore } from '../core/node-core.js';
import { watchQuery } from './route-schemas.js';

/** Idle streams get a progress line this often, so a client knows it is alive and up to which revision. */
export const DEFAULT_PROGRESS_MS = 5000;
/** A watcher that lets this much pile up unread is cut off (it resumes from its last revision). */
const MAX_UNREAD_BYTES = 8 * 1024 * 1024;
/** GET /v1/watches lists at most this many streams (and says how many there are). */
const MAX_LISTED_WATCHES = 100;
/**
 * Client watch streams one node serves at once (etcd has no fixed cap; each stream here holds a socket, a timer
 * and up to MAX_UNREAD_BYTES of buffer). Past it a new watch is refused with resource_exhausted (HTTP 429).
 */
export const MAX_WATCH_STREAMS = 2048;

/** One line of a watch stream (NDJSON, or the data of an SSE message). */
export type WatchMessage =
  | { type: 'created'; fromRevision: number; revision: number; servedBy: string }
  | { type: 'events'; events: WatchBatch['events']; revision: number }
  | { type: 'progress'; revision: number }
  | { type: 'error'; error: { code: string; message: string; details?: unknown } };

/**
 * GET /v1/watch?key=&prefix=&fromRev=&progressMs=&format=ndjson|sse — a stream of changes.
 * Voters serve it from their own applied state; members relay it by long-polling a voter.
 */
export function registerWatchRoutes(node: NodeRuntime, core: NodeCore, metrics: NodeMetrics): void {
  // The client streams this node serves now, for GET /v1/watches (ccm top's watches panel).
  const open = new Set<{ spec: WatchSpec; openedAtMs: number; stream: WatchStream; events: number; servedBy: string }>();
  node.http.route('GET', '/v1/watches', () => ({
    node: node.config.id,
    watches: [...open].slice(0, MAX_LISTED_WATCHES).map((w) => ({
      key: w.spec.key,
      prefix: w.spec.prefix,
      fromRevision: w.spec.fromRevision,
      revision: w.stream.revision,
      events: w.events,
      openedAtMs: w.openedAtMs,
      servedBy: w.servedBy,
    })),
    total: open.size,
  }));

  node.http.route('GET', '/v1/watch', ({ query, req, res }) => {
    if (open.size >= MAX_WATCH_STREAMS) {
      throw new RefusedInput('too_many_watchers', 'resource_exhausted', `${node.config.id} already serves ${MAX_WATCH_STREAMS} watch streams; try another node or later`, { limit: 'watch_streams_per_node' });
    }
    const spec: WatchSpec = {
      key: validateKey(query.get('key') ?? ''),
      prefix: query.get('prefix') === 'true' || query.get('prefix') === '1',
      fromRevision: query.has('fromRev') ? validateRevision(Number(query.get('fromRev')), 'fromRev') : 0,
    };
    // TEST-ONLY FAULT SWITCH (`ccm exercise bug`, never in normal use): a watch resumed from a revision starts one
    // revision late, so a watcher that reconnects after a failure misses a change.
    if (node.config.settings.unsafeFaultSwitch === 'watch-skip-on-resume' && spec.fromRevision > 1) spec.fromRevision += 1;
    const progressMs = query.has('progressMs') ? Number(query.get('progressMs')) : DEFAULT_PROGRESS_MS;
    if (!Number.isFinite(progressMs) || progressMs < 100 || progressMs > 600_000) throw new CcmError('invalid_argument', 'progressMs must be from 100 to 600000');
    const isSse = query.get('format') === 'sse' || (req.headers.accept ?? '').includes('text/event-stream');
    const stream = new WatchStream(res, isSse, node.config.id, progressMs);
    metrics.watchStreamOpened();
    let stop = (): void => undefined;
    const entry = { spec, openedAtMs: Date.now(), stream, events: 0, servedBy: node.config.id };
    open.add(entry);
    stream.onClose = () => {
      stop();
      open.delete(entry);
      metrics.watchStreamClosed();
    };
    stop = core.subscribe(spec, {
      onCreated: (revision, servedBy) => {
        entry.servedBy = servedBy;
        stream.send({ type: 'created', fromRevision: spec.fromRevision, revision, servedBy });
        const hub = core.feed.hub;
        stream.armProgress(hub ? () => hub.revision() : undefined);
      },
      onBatch: (b) => {
        entry.events += b.events.length;
        stream.send({ type: 'events', events: b.events, revision: b.revision });
        metrics.watchEventsSent(b.events.length);
      },
      onError: (e) => stream.fail(e),
    });
    if (stream.isClosed) stop();
    req.on('close', () => stream.close());
    return STREAMING;
  }, { query: watchQuery });
}

/** Writes watch messages to one HTTP response, with progress notifications while idle. */
class WatchStream {
  revision = 0;
  private progressTimer: NodeJS.Timeout | null = null;
  isClosed = false;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly isSse: boolean,
    readonly nodeId: string,
    private readonly progressMs: number,
  ) {
    res.writeHead(200, {
      'content-type': isSse ? 'text/event-stream' : 'application/x-ndjson',
      'cache-control': 'no-cache',
      'x-ccm-node': nodeId,
    });
    res.on('close', () => this.close());
  }

  send(m: WatchMessage): void {
    if (this.isClosed) return;
    if (m.type === 'events' || m.type === 'progress' || m.type === 'created') this.revision = Math.max(this.revision, m.revision);
    const line = JSON.stringify(m);
    this.res.write(this.isSse ? `event: ${m.type}\ndata: ${line}\n\n` : `${line}\n`);
    if (this.res.writableLength > MAX_UNREAD_BYTES) {
      this.fail(new CcmError('unavailable', `watcher too slow: over ${MAX_UNREAD_BYTES} bytes unread; resume from revision ${this.revision + 1}`));
      return;
    }
    this.armProgress();
  }

  fail(err: CcmError): void {
    this.send({ type: 'error', error: err.toBody().error });
    this.close();
  }

  armProgress(currentRevision?: () => number): void {
    if (currentRevision) this.currentRevision = currentRevision;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = setTimeout(() => this.send({ type: 'progress', revision: Math.max(this.revision, this.currentRevision?.() ?? 0) }), this.progressMs);
  }

  private currentRevision: (() => number) | undefined;
  onClose: (() => void) | null = null;

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.onClose?.();
    this.res.end();
  }
}
