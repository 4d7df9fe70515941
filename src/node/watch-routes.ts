import type http from 'node:http';
import { CcmError } from '../errors/ccm-error.js';
import { validateKey, validateRevision } from '../core/commands.js';
import { STREAMING } from '../net/http-server.js';
import { RefusedInput } from '../net/input-rejections.js';
import type { CoreService } from './core-service.js';
import type { NodeRuntime } from './node-runtime.js';
import { WatchHub, type WatchBatch, type WatchSpec } from './watch-hub.js';
import { nodeMetricsOf } from './metrics.js';
import { CORE_WATCH_POLL } from './peer-schemas.js';
import { watchQuery } from './route-schemas.js';

/** Idle streams get a progress line this often, so a client knows it is alive and up to which revision. */
export const DEFAULT_PROGRESS_MS = 5000;
/** A watcher that lets this much pile up unread is cut off (it resumes from its last revision). */
const MAX_UNREAD_BYTES = 8 * 1024 * 1024;
/** GET /v1/watches lists at most this many streams (and says how many there are). */
const MAX_LISTED_WATCHES = 100;
/** How long a member's poll waits at a voter for new events. */
const POLL_WAIT_MS = 10_000;
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
export function registerWatchRoutes(node: NodeRuntime, core: CoreService): void {
  if (core.driver) node.watchHub = new WatchHub(core.driver);
  core.onDriverCreated = (driver) => (node.watchHub = new WatchHub(driver));

  node.rpc.handle(CORE_WATCH_POLL, (p) => {
    if (!node.watchHub) throw new CcmError('unavailable', `${node.config.id} holds no replica of the core`);
    return pollOnce(node.watchHub, p.spec, Math.min(p.waitMs, POLL_WAIT_MS));
  });

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
    const metrics = nodeMetricsOf(node);
    metrics.watchStreamOpened();
    let stop = (): void => undefined;
    const entry = { spec, openedAtMs: Date.now(), stream, events: 0, servedBy: node.config.id };
    open.add(entry);
    stream.onClose = () => {
      stop();
      open.delete(entry);
      metrics.watchStreamClosed();
    };
    stop = subscribeChanges(node, spec, {
      onCreated: (revision, servedBy) => {
        entry.servedBy = servedBy;
        stream.send({ type: 'created', fromRevision: spec.fromRevision, revision, servedBy });
        const hub = node.watchHub;
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

/** Waits up to waitMs for events at or after spec.fromRevision (a member's long poll at a voter). */
function pollOnce(hub: WatchHub, spec: WatchSpec, waitMs: number): Promise<{ events: WatchBatch['events']; revision: number }> {
  return new Promise((resolve, reject) => {
    const collected: WatchBatch['events'] = [];
    let last = 0;
    let stop: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;
    let isDone = false;
    const finish = (): void => {
      if (isDone) return;
      isDone = true;
      stop?.();
      if (timer) clearTimeout(timer);
      resolve({ events: collected, revision: Math.max(last, hub.revision()) });
    };
    try {
      stop = hub.subscribe(spec, (b) => {
        collected.push(...b.events);
        last = b.revision;
        // Reply once the history (delivered synchronously) or the first live batch is in.
        if (timer) setImmediate(finish);
      });
    } catch (err) {
      reject(err);
      return;
    }
    if (collected.length > 0) {
      finish();
      return;
    }
    timer = setTimeout(finish, waitMs);
  });
}

/**
 * Subscribes to changes on this node, whatever its kind: a voter from its own hub, a member by long-polling
 * the voters in turn (resuming from its last revision). `onCreated` gets the revision the stream starts after.
 * Returns the function that stops it; `onError` ends it (compacted, or no voter answering).
 */
export function subscribeChanges(
  node: NodeRuntime,
  spec: WatchSpec,
  handlers: {
    onCreated?: (revision: number, servedBy: string) => void;
    onBatch: (b: WatchBatch) => void;
    onError: (e: CcmError) => void;
    /** A member's relay: every event up to `revision` has been delivered (after each poll). */
    onProgress?: (revision: number) => void;
  },
): () => void {
  const hub = node.core?.replica() ? node.watchHub : undefined;
  if (hub) {
    handlers.onCreated?.(hub.revision(), node.config.id);
    try {
      return hub.subscribe(spec, handlers.onBatch);
    } catch (err) {
      handlers.onError(err instanceof CcmError ? err : new CcmError('internal', (err as Error).message));
      return () => undefined;
    }
  }
  let isStopped = false;
  void (async () => {
    const gossipVoters = node.core?.coreView?.().voters ?? [];
    const voters = gossipVoters.length > 0 ? gossipVoters : node.config.core;
    let cursor = 0;
    let next = spec.fromRevision;
    let isCreated = false;
    let failures = 0;
    while (!isStopped) {
      const voter = voters[cursor % voters.length];
      try {
        const r = await node.rpc.call(
          voter,
          CORE_WATCH_POLL,
          // The first poll only asks where the stream starts, so `created` goes out at once.
          { spec: { ...spec, fromRevision: next }, waitMs: isCreated ? POLL_WAIT_MS : 0 },
          POLL_WAIT_MS + 3000,
        );
        if (isStopped) return;
        failures = 0;
        if (!isCreated) {
          isCreated = true;
          handlers.onCreated?.(r.revision, `${node.config.id} via ${voter}`);
          if (next === 0) next = r.revision + 1;
        }
        for (const group of groupEvents(r.events)) handlers.onBatch({ events: group, revision: group[0].kv.modRevision });
        if (r.events.length > 0) next = r.events[r.events.length - 1].kv.modRevision + 1;
        else next = Math.max(next, r.revision + 1);
        handlers.onProgress?.(next - 1);
      } catch (err) {
        if (isStopped) return;
        if (err instanceof CcmError && err.code === 'compacted') {
          handlers.onError(err);
          return;
        }
        cursor++;
        if (++failures >= voters.length * 3) {
          handlers.onError(new CcmError('unavailable', `no voter answered the watch from ${node.config.id}; resume from revision ${next}`));
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return () => {
    isStopped = true;
  };
}

function groupEvents(events: WatchBatch['events']): WatchBatch['events'][] {
  const out: WatchBatch['events'][] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last[0].kv.modRevision === e.kv.modRevision) last.push(e);
    else out.push([e]);
  }
  return out;
}
