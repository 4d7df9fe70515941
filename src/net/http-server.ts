import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Static, TSchema, TUnknown } from '@sinclair/typebox';
import { CcmError, HTTP_STATUS } from '../errors/ccm-error.js';
import type { CompiledSchema } from '../schema/compiled-schema.js';
import { RefusedInput, type RejectFn, type RejectionReason } from './input-rejections.js';

/** The bounds of the HTTP port. Each refusal is answered with a clear error and counted (see onReject). */
export interface HttpLimits {
  /**
   * Largest request body. A value may be 1 MiB of text, and JSON can spell one character as a 6-byte `\u00XX`
   * escape, so a body must be allowed 6 MiB and a little for the rest of the request (etcd's 1.5 MiB limit counts
   * protobuf bytes, where a value takes its own size).
   */
  maxBodyBytes: number;
  /** Request line plus headers (Node's maxHeaderSize); over it the answer is 431. */
  maxHeaderBytes: number;
  /** Headers per request. */
  maxHeaders: number;
  /** Open connections; past it new ones are closed at once. */
  maxConnections: number;
  /** Time to send the request line and headers, and the whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 6 * 1024 * 1024 + 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 64,
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
};

export interface HttpContext<B = unknown, Q = Record<string, string>> {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The query as an object (last value wins), checked against the route's query schema when it has one. */
  q: Q;
  body: B;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/** A handler returns the JSON result, or STREAMING when it has taken over the response itself. */
export type RouteHandler<B = unknown, Q = Record<string, string>> = (ctx: HttpContext<B, Q>) => Promise<unknown> | unknown;
export const STREAMING = Symbol('streaming');

/** What a route accepts: its body and query are checked before the handler runs (a misfit is 400 invalid_argument). */
export interface RouteSchemas<B extends TSchema, Q extends TSchema> {
  body?: CompiledSchema<B>;
  query?: CompiledSchema<Q>;
}

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler<any, any>;
  schemas: RouteSchemas<TSchema, TSchema>;
}

export interface HttpServerOptions {
  limits?: Partial<HttpLimits>;
  /** A refused request, or an unexpected error in a handler (answered 500): counted by the node as ccm_rejected_inputs_total{port="http"}. */
  onReject?: RejectFn;
  /** TEST-ONLY (CCM_UNSAFE_SKIP_VALIDATION=1): hand bodies and queries to the handlers unchecked. */
  unsafeSkipSchemas?: boolean;
}

/** A small JSON router: `:name` segments bind params; errors become `{error:{code,message}}` with a fitting status. */
export class HttpServer {
  private readonly routes: Route[] = [];
  private server: http.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  readonly limits: HttpLimits;
  /** Headers added to every answer (who answered, who leads). */
  defaultHeaders: () => Record<string, string> = () => ({});
  /** Runs before any route: throws (a CcmError) to refuse the request (see http-guard.ts: tokens, Host, Content-Type). */
  guard: ((req: http.IncomingMessage, res: http.ServerResponse, path: string) => void) | null = null;

  constructor(private readonly options: HttpServerOptions = {}) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  }

  route<B extends TSchema = TUnknown, Q extends TSchema = TUnknown>(
    method: string,
    pattern: string,
    handler: RouteHandler<B extends TUnknown ? unknown : Static<B>, Q extends TUnknown ? Record<string, string> : Static<Q>>,
    schemas: RouteSchemas<B, Q> = {},
  ): void {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler, schemas: schemas as RouteSchemas<TSchema, TSchema> });
  }

  /** Listens for HTTP, or HTTPS when given a certificate and key (PEM). */
  listen(port: number, host: string, tls?: { cert: string; key: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      const options = { maxHeaderSize: this.limits.maxHeaderBytes, requestTimeout: this.limits.requestTimeoutMs, headersTimeout: this.limits.headersTimeoutMs };
      const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
        this.dispatch(req, res).catch((err) => this.failUnexpectedly(err, req, res));
      };
      const server = tls ? https.createServer({ ...options, cert: tls.cert, key: tls.key }, handle) : http.createServer(options, handle);
      server.keepAliveTimeout = 30_000;
      server.maxHeadersCount = this.limits.maxHeaders;
      server.maxConnections = this.limits.maxConnections;
      server.on('connection', (socket) => {
        socket.setNoDelay(true);
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      server.on('drop', (data?: { remoteAddress?: string }) => this.reject('too_many_connections', data?.remoteAddress ?? 'unknown', `over ${this.limits.maxConnections} connections`));
      // The parser refused a request before any handler saw it. Node's default answer, plus a count.
      server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
        if (err.code === 'ECONNRESET' || !socket.writable) {
          socket.destroy();
          return;
        }
        const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
        const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
        this.reject(tooLarge ? 'header_too_large' : 'bad_request', socket.remoteAddress ?? 'unknown', err.code ?? err.message);
        const status = tooLarge ? '431 Request Header Fields Too Large' : timedOut ? '408 Request Timeout' : '400 Bad Request';
        const body = JSON.stringify({ error: { code: 'invalid_argument', message: tooLarge ? `request headers over ${this.limits.maxHeaderBytes} bytes` : `malformed HTTP request (${err.code ?? 'parse error'})` } });
        socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  /** The port it listens on (useful after listening on port 0), or null when not listening. */
  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private reject(reason: RejectionReason, source: string, detail?: string, error?: unknown): void {
    this.options.onReject?.(reason, source, detail, error);
  }

  /** Finds the route; a path segment that does not percent-decode is the client's error. */
  private match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i];
        if (seg.startsWith(':')) params[seg.slice(1)] = decodeSegment(parts[i]);
        else if (seg !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method) return { route, params };
    }
    return pathMatched ? 'method' : null;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    // A response whose client went away must not raise an unhandled 'error'.
    res.on('error', () => undefined);
    let path = '?';
    try {
      const target = parseTarget(req.url ?? '', this.limits.maxHeaderBytes);
      if (typeof target === 'string') throw new BoundaryError('bad_request_line', target);
      path = target.path;
      this.guard?.(req, res, target.path);
      const found = this.match(method, target.path);
      if (found === null) throw new CcmError('not_found', `no such endpoint: ${target.path}`);
      if (found === 'method') throw new CcmError('invalid_argument', `${method} is not allowed on ${target.path}`);
      const schemas = this.options.unsafeSkipSchemas ? {} : found.route.schemas;
      const q = Object.fromEntries(target.query);
      if (schemas.query) {
        const problem = schemas.query.problem(q);
        if (problem !== undefined) throw new BoundaryError('bad_query', `query ${problem}`);
      }
      const body = await this.readJsonBody(req);
      if (schemas.body) {
        const problem = schemas.body.problem(body);
        if (problem !== undefined) throw new BoundaryError('bad_body', `body ${problem}`);
      }
      // Stamped before the handler (a stream sends its headers early) and again when the answer goes out: a
      // request that waited for a leader or was forwarded must name the leader as it is now, not as it was.
      this.stampDefaultHeaders(res);
      const ctx: HttpContext<any, any> = { method, path: target.path, params: found.params, query: target.query, q, body, req, res };
      const result = await found.route.handler(ctx);
      if (result === STREAMING) return;
      this.stampDefaultHeaders(res);
      sendJson(res, 200, result ?? {});
    } catch (err) {
      if (err instanceof RefusedInput) this.reject(err.reason, req.socket.remoteAddress ?? 'unknown', err.message);
      else if (!(err instanceof CcmError)) {
        this.reject('handler_error', req.socket.remoteAddress ?? 'unknown', `${method} ${path}: ${(err as Error)?.message ?? String(err)}`, err);
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = err instanceof CcmError ? err : new CcmError('internal', `internal error while handling ${method} ${path}`);
      this.stampDefaultHeaders(res);
      if (err instanceof BoundaryError && err.closeConnection) res.setHeader('connection', 'close');
      sendJson(res, HTTP_STATUS[e.code] ?? 500, e.toBody());
    }
  }

  /** The last resort: something failed while answering (even the error answer). Counted; the connection is closed. */
  private failUnexpectedly(err: unknown, req: http.IncomingMessage, res: http.ServerResponse): void {
    this.reject('handler_error', req.socket?.remoteAddress ?? 'unknown', `while answering ${req.method ?? '?'} ${req.url ?? '?'}: ${(err as Error)?.message ?? String(err)}`, err);
    try {
      res.destroy();
    } catch {
      // nothing more to do
    }
  }

  private stampDefaultHeaders(res: http.ServerResponse): void {
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(this.defaultHeaders())) res.setHeader(k, v);
  }

  private async readJsonBody(req: http.IncomingMessage): Promise<unknown> {
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      return undefined;
    }
    const limit = this.limits.maxBodyBytes;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      // Not read: the connection closes after the answer, so the unread body cannot be taken for the next request.
      throw new BoundaryError('body_too_large', `request body is ${declared} bytes; the limit is ${limit}`, true);
    }
    // Events, not `for await`: leaving an async iterator early destroys the socket, and the answer with it.
    const { chunks, size } = await new Promise<{ chunks: Buffer[]; size: number }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let isOver = false;
      req.on('data', (chunk: Buffer) => {
        if (isOver) return; // discarded until the answer goes out and the connection closes
        size += chunk.length;
        if (size > limit) {
          isOver = true;
          reject(new BoundaryError('body_too_large', `request body over ${limit} bytes`, true));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve({ chunks, size }));
      // The client went away (or broke the chunked encoding) before the body ended.
      req.on('error', (err) => reject(new BoundaryError('bad_request', `the request body was cut off (${err.message})`)));
    });
    if (size === 0) return undefined;
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      throw new BoundaryError('bad_json', 'request body is not valid JSON');
    }
  }
}

/** A request refused at the boundary: answered invalid_argument (400) and counted under `reason`. */
class BoundaryError extends RefusedInput {
  constructor(
    reason: RejectionReason,
    message: string,
    readonly closeConnection = false,
  ) {
    super(reason, 'invalid_argument', message);
  }
}

/**
 * The request target, split without a URL parser (which throws on `//:99999` and `//[`): an origin-form target
 * (`/path?query`) only. The query is parsed by URLSearchParams, which never throws (a bad escape stays as it is).
 */
export function parseTarget(raw: string, maxBytes: number): { path: string; query: URLSearchParams } | string {
  if (raw.length > maxBytes) return `request target longer than ${maxBytes} characters`;
  if (!raw.startsWith('/')) return 'request target must be a path starting with / (origin form)';
  const hash = raw.indexOf('#');
  const target = hash >= 0 ? raw.slice(0, hash) : raw;
  const q = target.indexOf('?');
  return q >= 0 ? { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) } : { path: target, query: new URLSearchParams() };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BoundaryError('bad_path', `path segment ${JSON.stringify(segment.slice(0, 100))} is not valid percent-encoding`);
  }
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
