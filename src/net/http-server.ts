import http from 'node:http';
import https from 'node:https';
import { CcmError, HTTP_STATUS } from '../client/api-errors.js';

/** Largest request body accepted (a value limit is enforced separately by each route). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/** A handler returns the JSON result, or STREAMING when it has taken over the response itself. */
export type RouteHandler = (ctx: HttpContext) => Promise<unknown> | unknown;
export const STREAMING = Symbol('streaming');

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/** A small JSON router: `:name` segments bind params; errors become `{error:{code,message}}` with a fitting status. */
export class HttpServer {
  private readonly routes: Route[] = [];
  private server: http.Server | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** Headers added to every answer (who answered, who leads). */
  defaultHeaders: () => Record<string, string> = () => ({});
  /** Runs before any route: throws (a CcmError) to refuse the request (see http-guard.ts: tokens, Host, Content-Type). */
  guard: ((req: http.IncomingMessage, res: http.ServerResponse, path: string) => void) | null = null;

  route(method: string, pattern: string, handler: RouteHandler): void {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
  }

  /** Listens for HTTP, or HTTPS when given a certificate and key (PEM). */
  listen(port: number, host: string, tls?: { cert: string; key: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.dispatch(req, res);
      const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handle) : http.createServer(handle);
      server.keepAliveTimeout = 30_000;
      server.on('connection', (socket) => {
        socket.setNoDelay(true);
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
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

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i];
        if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(parts[i]);
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
    const url = new URL(req.url ?? '/', 'http://node');
    const method = req.method ?? 'GET';
    try {
      this.guard?.(req, res, url.pathname);
      const found = this.match(method, url.pathname);
      if (found === null) throw new CcmError('not_found', `no such endpoint: ${url.pathname}`);
      if (found === 'method') throw new CcmError('invalid_argument', `${method} is not allowed on ${url.pathname}`);
      const body = await readJsonBody(req);
      // Stamped before the handler (a stream sends its headers early) and again when the answer goes out: a
      // request that waited for a leader or was forwarded must name the leader as it is now, not as it was.
      this.stampDefaultHeaders(res);
      const ctx: HttpContext = { method, path: url.pathname, params: found.params, query: url.searchParams, body, req, res };
      const result = await found.route.handler(ctx);
      if (result === STREAMING) return;
      this.stampDefaultHeaders(res);
      sendJson(res, 200, result ?? {});
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = err instanceof CcmError ? err : new CcmError('internal', (err as Error).message ?? String(err));
      this.stampDefaultHeaders(res);
      sendJson(res, HTTP_STATUS[e.code] ?? 500, e.toBody());
    }
  }

  private stampDefaultHeaders(res: http.ServerResponse): void {
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(this.defaultHeaders())) res.setHeader(k, v);
  }
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CcmError('invalid_argument', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new CcmError('invalid_argument', 'request body is not valid JSON');
  }
}
