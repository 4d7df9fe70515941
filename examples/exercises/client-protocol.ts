/**
 * What every TypeScript client in the recipe exercises shares (lease, watch, election-recipe): the cluster's
 * addresses from CCM_ENDPOINTS (and the token its API asks of every request from CCM_TOKEN), one HTTP call that tries the
 * next node when one cannot be reached, and the request loop of the client protocol (docs/exercises/client-protocol.md):
 * one JSON request per line on stdin, one JSON reply per line on stdout, with the request's id.
 * Node.js built-ins only (fetch, readline).
 */
import readline from 'node:readline';

export const ENDPOINTS = (process.env.CCM_ENDPOINTS ?? 'http://127.0.0.1:2379').split(',');
const TOKEN = process.env.CCM_TOKEN;
export const ME = process.env.CCM_CLIENT ?? 'client';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const RETRY_ELSEWHERE = new Set(['unavailable', 'no_leader', 'not_running']);

/** One request to the cluster, trying the next node when one cannot be reached. */
export async function call<T>(method: string, path: string, body?: unknown, timeoutMs = 2000): Promise<T> {
  let last: ApiError = new ApiError('unavailable', 'no endpoint');
  let timedOut = false;
  for (const endpoint of ENDPOINTS) {
    try {
      const res = await fetch(endpoint + path, {
        method,
        headers: { 'content-type': 'application/json', ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
      if (res.ok) return json as T;
      const error = json.error ?? { code: `http_${res.status}`, message: res.statusText };
      if (!RETRY_ELSEWHERE.has(error.code)) throw new ApiError(error.code, error.message);
      last = new ApiError(error.code, error.message);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      last = new ApiError('unavailable', (err as Error).message);
      if ((err as Error).name === 'TimeoutError') timedOut = true;
    }
  }
  // a request that timed out may have been carried out: that stays unknown, whatever the next node said
  if (timedOut) throw new ApiError('timeout', `no answer in time; it may or may not have happened: ${last.message}`);
  throw last;
}

export type Request = { id: number; op: string; [field: string]: unknown };
export type Reply = { ok: boolean; [field: string]: unknown };

/** Reads requests one by one and answers each with its handler's reply (an unexpected error answers ok:false). */
export function serve(handlers: Record<string, (req: Request) => Promise<Reply> | Reply>): void {
  const lines = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const req = JSON.parse(line) as Request;
    queue = queue.then(async () => {
      let reply: Reply;
      try {
        const handler = handlers[req.op];
        reply = handler ? await handler(req) : { ok: false, error: 'unknown_op', message: `no handler for ${req.op}` };
      } catch (err) {
        reply = { ok: false, error: err instanceof ApiError ? err.code : 'unavailable', message: (err as Error).message };
      }
      process.stdout.write(JSON.stringify({ ...reply, id: req.id }) + '\n');
    });
  });
  lines.on('close', () => void queue.then(() => process.exit(0)));
}
