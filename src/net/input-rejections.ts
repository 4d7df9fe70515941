/**
 * Every input a node refuses, counted by port and reason (ccm_rejected_inputs_total{port,reason}) and logged at
 * most once per source, port and reason per interval: a peer or client that sends garbage a thousand times a second
 * shows up as one warning every few seconds with the count it sent meanwhile, not as a thousand lines.
 */

import { CcmError, type ErrorCode } from '../errors/ccm-error.js';

/** Where an input came in: the HTTP API, the peer TCP port, the gossip UDP port, or a committed log entry. */
export type InputPort = 'http' | 'peer' | 'gossip' | 'log';

/**
 * The reasons an input is refused. Fixed and few, so the metric's label set stays small; the log line carries the
 * detail (which field, which limit).
 */
export const REJECTION_REASONS = [
  // any port
  'bad_json', // did not parse as JSON
  'bad_envelope', // parsed, but not {kind, from, to, body} with a known kind
  'bad_body', // the body does not fit its kind's (or route's, or method's) schema
  'too_many_connections', // the port's connection limit was reached
  'handler_error', // an unexpected error while handling it (answered 500 / rpc `internal`, never a crash)
  // HTTP
  'bad_request_line', // not an origin-form target (`/path?query`), or too long
  'bad_path', // a path segment that does not percent-decode
  'bad_query', // the query does not fit the route's schema
  'bad_header', // a header the node reads (x-ccm-timeout-ms) is malformed
  'header_too_large', // over the header size limit (431)
  'body_too_large', // over the body size limit
  'bad_request', // the HTTP parser refused it (bad method, bad header syntax, request timeout)
  // peer TCP and gossip UDP
  'frame_too_large', // a frame longer than the limit (before hello, the small pre-hello limit)
  'buffer_full', // partial frames from all connections over the buffer budget
  'no_hello', // a first frame that is not hello
  'hello_timeout', // connected and said nothing valid in time
  'unknown_peer', // hello (or a datagram) from an id that is not in the cluster, or to another node
  'spoofed_sender', // a message whose claimed sender is not the connection's (or datagram's) peer
  'unknown_kind', // an envelope kind this port does not take
  'unknown_method', // an rpc for a method nobody handles
  'bad_rpc_result', // an rpc answer that does not fit the method's result schema
  'bad_seal', // a hello, frame or datagram that failed authentication (no key, a wrong key, tampered, replayed)
  // the log
  'bad_command', // a committed entry that is not a valid command: applied as a deterministic error result
  // resource limits (refused with a clear error code)
  'too_many_watchers', // watchers per node
  'too_many_waiters', // waiters per resource
  'txn_too_large', // ops or compares per txn
  'too_many_calls', // peer rpc calls in flight from one node
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * An expected error that is also a refused input: the HTTP server and the peer RPC answer it like any CcmError and
 * count it under `reason` (a handler throws it when a limit of its own is reached: keys per txn, watchers per node).
 */
export class RefusedInput extends CcmError {
  constructor(
    readonly reason: RejectionReason,
    code: ErrorCode,
    message: string,
    details?: unknown,
  ) {
    super(code, message, details);
  }
}

/** How often one source may be logged per port. */
export const REJECTION_LOG_INTERVAL_MS = 10_000;
/** Sources remembered for log throttling; past this the memory is cleared (at worst, one extra log line each). */
const MAX_TRACKED_SOURCES = 1024;

/** How a transport or server reports a refusal to the node (which counts it under its port). */
export type RejectFn = (reason: RejectionReason, source: string, detail?: string, error?: unknown) => void;

export type RejectionLogger = (message: string, fields: Record<string, unknown>) => void;

export class InputRejections {
  private readonly counts = new Map<string, number>();
  private readonly throttle = new Map<string, { loggedAtMs: number; suppressed: number }>();

  constructor(
    private readonly warn: RejectionLogger,
    private readonly nowMs: () => number,
    private readonly intervalMs = REJECTION_LOG_INTERVAL_MS,
  ) {}

  /**
   * Counts one refused input and logs it unless `source` was logged on this port for this reason within the interval
   * (so a flood of one kind of garbage cannot hide another kind, or a bug: handler_error). `error`: the
   * unexpected error behind a handler_error, whose stack goes into the log line.
   */
  reject(port: InputPort, reason: RejectionReason, source: string, detail?: string, error?: unknown): void {
    const key = `${port}\u0000${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const sourceKey = `${port}\u0000${source}\u0000${reason}`;
    const now = this.nowMs();
    const seen = this.throttle.get(sourceKey);
    if (seen && now - seen.loggedAtMs < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    if (!seen && this.throttle.size >= MAX_TRACKED_SOURCES) this.throttle.clear();
    const suppressed = seen?.suppressed ?? 0;
    this.throttle.set(sourceKey, { loggedAtMs: now, suppressed: 0 });
    this.warn(`rejected input on the ${port} port from ${source}: ${reason}${detail ? ` (${clip(detail)})` : ''}`, {
      port,
      reason,
      from: source,
      ...(suppressed > 0 ? { alsoRejectedSinceLastLog: suppressed } : {}),
      ...(error instanceof Error ? { stack: error.stack } : {}),
    });
  }

  /** Running totals by port and reason (only those that happened). */
  totals(): { port: InputPort; reason: RejectionReason; count: number }[] {
    return [...this.counts].map(([key, count]) => {
      const [port, reason] = key.split('\u0000') as [InputPort, RejectionReason];
      return { port, reason, count };
    });
  }

  total(port?: InputPort, reason?: RejectionReason): number {
    let n = 0;
    for (const t of this.totals()) if ((port === undefined || t.port === port) && (reason === undefined || t.reason === reason)) n += t.count;
    return n;
  }
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
