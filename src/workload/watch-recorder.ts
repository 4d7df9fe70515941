/**
 * A watch stream as a chaos watcher sees it: every event every stream delivered, as delivered (no
 * de-duplication, unlike the user-facing client, so a duplicate or a gap the server makes is recorded), with
 * the watcher's own resumption: when a stream fails, ends or goes quiet, it reconnects to the next node from
 * the revision after the last one it was vouched for (by events or a progress notification).
 */
import type http from 'node:http';
import { apiGet } from '../client/api-access.js';
import type { WatchEvent as CoreWatchEvent } from '../core/kv-types.js';
import type { NodeEndpoint } from '../client/ccm-client.js';
import type { WatchEvent } from '../check/index.js';
import { backoffMs, type BackoffPolicy } from '../time/backoff.js';
import { systemScheduler } from '../time/scheduler.js';

/** Between streams: from 50 ms, doubling per stream in a row that delivered nothing, up to 800 ms. */
const RECONNECT: BackoffPolicy = { firstMs: 50, maxMs: 800 };

export interface WatchRecorderOptions {
  endpoints: NodeEndpoint[];
  /** Where to connect first (index into endpoints). */
  startAt: number;
  prefix: string;
  /** First revision wanted. */
  fromRevision: number;
  /** Progress notifications asked of the server. */
  progressMs: number;
  /** Reconnect after this long without any line. */
  idleTimeoutMs: number;
  onNote?: (message: string) => void;
  /** Turns a key's stored text into the value the history shows (default: a number if it is one); may add a version. */
  decodeValue?: (text: string) => { value: unknown; version?: number };
}

/** An event as recorded: the checker's shape, plus the version a config record carries. */
export type RecordedWatchEvent = WatchEvent & { version?: number };

/** How a recorded watch ended. */
export type WatchEnd = { kind: 'closed' } | { kind: 'compacted'; message: string };

export class WatchRecorder {
  readonly events: RecordedWatchEvent[] = [];
  /** Every event up to this revision was delivered (by the streams' own account). */
  vouchedRevision: number;
  reconnects = 0;
  private cursor: number;
  private request: http.ClientRequest | null = null;
  private isClosed = false;
  private ended: WatchEnd | null = null;
  private readonly waiters: { revision: number; resolve: (reached: boolean) => void }[] = [];
  readonly done: Promise<WatchEnd>;

  constructor(private readonly options: WatchRecorderOptions) {
    this.vouchedRevision = options.fromRevision - 1;
    this.cursor = options.startAt;
    this.done = this.loop();
  }

  /** Resolves true once every revision up to `revision` was vouched for, false at the deadline or the end. */
  waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.vouchedRevision >= revision) return Promise.resolve(true);
    if (this.ended !== null) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { revision, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(this.vouchedRevision >= revision);
      }, timeoutMs);
    });
  }

  close(): void {
    this.isClosed = true;
    this.request?.destroy();
  }

  private vouch(revision: number): void {
    if (revision <= this.vouchedRevision) return;
    this.vouchedRevision = revision;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].revision <= revision) {
        this.waiters[i].resolve(true);
        this.waiters.splice(i, 1);
      }
    }
  }

  private async loop(): Promise<WatchEnd> {
    let failures = 0;
    while (!this.isClosed) {
      const endpoint = this.options.endpoints[this.cursor % this.options.endpoints.length];
      const outcome = await this.stream(endpoint, this.vouchedRevision + 1);
      if (this.isClosed) break;
      if (outcome.kind === 'compacted') {
        this.ended = outcome;
        this.flushWaiters();
        return outcome;
      }
      this.reconnects++;
      this.cursor++;
      failures = outcome.deliveredAny ? 0 : failures + 1;
      this.options.onNote?.(`watcher on ${this.options.prefix} moves from ${endpoint.id} (${outcome.why}), resuming at revision ${this.vouchedRevision + 1}`);
      await systemScheduler.sleep(backoffMs(failures, RECONNECT));
    }
    this.ended = { kind: 'closed' };
    this.flushWaiters();
    return this.ended;
  }

  private flushWaiters(): void {
    for (const w of this.waiters.splice(0)) w.resolve(this.vouchedRevision >= w.revision);
  }

  /** One stream from one node, until it fails, ends, goes quiet or the watch is closed. */
  private stream(endpoint: NodeEndpoint, fromRevision: number): Promise<{ kind: 'ended'; why: string; deliveredAny: boolean } | { kind: 'compacted'; message: string }> {
    return new Promise((resolve) => {
      let deliveredAny = false;
      let settled = false;
      let idle: NodeJS.Timeout | null = null;
      const finish = (value: { kind: 'ended'; why: string; deliveredAny: boolean } | { kind: 'compacted'; message: string }): void => {
        if (settled) return;
        settled = true;
        if (idle) clearTimeout(idle);
        req.destroy();
        resolve(value);
      };
      const armIdle = (): void => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => finish({ kind: 'ended', why: `no word for ${this.options.idleTimeoutMs} ms`, deliveredAny }), this.options.idleTimeoutMs);
      };
      const query = new URLSearchParams({ key: this.options.prefix, prefix: 'true', fromRev: String(fromRevision), progressMs: String(this.options.progressMs) });
      const req = apiGet(endpoint, `/v1/watch?${query}`, (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            const code = /"code"\s*:\s*"([a-z_]+)"/.exec(body)?.[1];
            if (code === 'compacted') finish({ kind: 'compacted', message: body });
            else finish({ kind: 'ended', why: `HTTP ${res.statusCode} ${code ?? ''}`.trim(), deliveredAny });
          });
          return;
        }
        armIdle();
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          armIdle();
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line.length === 0) continue;
            let message: { type: string; events?: CoreWatchEvent[]; revision?: number; error?: { code: string; message: string } };
            try {
              message = JSON.parse(line);
            } catch {
              finish({ kind: 'ended', why: 'a line that is not JSON', deliveredAny });
              return;
            }
            if (message.type === 'events' && message.events && typeof message.revision === 'number') {
              for (const e of message.events) {
                const decoded = e.type === 'put' ? (this.options.decodeValue ?? decodeNumber)(e.kv.value) : undefined;
                this.events.push({
                  key: e.kv.key,
                  revision: e.kv.modRevision,
                  type: e.type,
                  ...(decoded !== undefined ? { value: decoded.value, ...(decoded.version !== undefined ? { version: decoded.version } : {}) } : {}),
                });
              }
              deliveredAny = true;
              this.vouch(message.revision);
            } else if (message.type === 'progress' && typeof message.revision === 'number') {
              this.vouch(message.revision);
            } else if (message.type === 'error') {
              if (message.error?.code === 'compacted') finish({ kind: 'compacted', message: message.error.message });
              else finish({ kind: 'ended', why: `error ${message.error?.code ?? '?'}`, deliveredAny });
              return;
            }
          }
        });
        res.on('end', () => finish({ kind: 'ended', why: 'the stream ended', deliveredAny }));
        res.on('error', (err) => finish({ kind: 'ended', why: err.message, deliveredAny }));
      });
      req.on('error', (err) => finish({ kind: 'ended', why: err.message, deliveredAny }));
      this.request = req;
      if (this.isClosed) finish({ kind: 'ended', why: 'closed', deliveredAny });
      // a node that accepts the connection but never answers (paused)
      idle = setTimeout(() => finish({ kind: 'ended', why: `no answer in ${this.options.idleTimeoutMs} ms`, deliveredAny }), this.options.idleTimeoutMs);
    });
  }
}

function decodeNumber(text: string): { value: unknown; version?: number } {
  return { value: /^-?\d+$/.test(text) ? Number(text) : text };
}
