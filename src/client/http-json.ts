import type http from 'node:http';
import { apiHeaders, credentialsFor, transportFor, type ApiCredentials } from './api-access.js';
import { CcmError } from '../errors/ccm-error.js';

export interface Endpoint {
  host: string;
  port: number;
  /** How to authenticate to it; by default, what this process knows for its address (see api-access.ts). */
  credentials?: ApiCredentials;
}

export interface RequestOptions {
  timeoutMs?: number;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Called with the response headers of every answer (e.g. to learn the leader). */
  onHeaders?: (headers: http.IncomingHttpHeaders) => void;
}

export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * One JSON request to one node. Resolves with the parsed body of a 2xx answer; rejects with a CcmError:
 * the node's own error, `unavailable` when it can't be reached, `timeout` when it does not answer in time.
 */
export function requestJson<T>(endpoint: Endpoint, method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const qs = options.query
    ? Object.entries(options.query)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&')
    : '';
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    };
    const transport = transportFor(endpoint);
    const req = transport.request(
      {
        host: endpoint.host,
        port: endpoint.port,
        method,
        path: qs ? `${path}?${qs}` : path,
        protocol: transport.protocol,
        agent: transport.agent,
        ca: credentialsFor(endpoint).ca,
        headers: {
          ...apiHeaders(endpoint, method, path),
          ...(payload ? { 'content-length': payload.length } : {}),
          ...options.headers,
        },
      },
      (res) => {
        options.onHeaders?.(res.headers);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => finish(new CcmError('unavailable', `connection to ${endpoint.host}:${endpoint.port} failed: ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text.length > 0 ? JSON.parse(text) : {};
          } catch {
            finish(new CcmError('internal', `node at ${endpoint.host}:${endpoint.port} sent a non-JSON answer (HTTP ${res.statusCode})`));
            return;
          }
          const status = res.statusCode ?? 500;
          if (status >= 200 && status < 300) finish(null, parsed as T);
          else finish(CcmError.fromBody(parsed, status));
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new CcmError('timeout', `no answer from ${endpoint.host}:${endpoint.port} to ${method} ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      // A refused connection means the request never reached the node: safe to retry elsewhere.
      const isRefused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      finish(new CcmError('unavailable', `cannot reach node at ${endpoint.host}:${endpoint.port}: ${err.message}`, isRefused ? { notSent: true } : undefined));
    });
    if (payload) req.write(payload);
    req.end();
  });
}
