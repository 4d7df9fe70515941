/**
 * Exercise 1, the lease manager: a plausible but broken solution (TypeScript).
 *
 * The same client as reference.ts, except for one thing: it writes without fencing. It holds the lock, so why
 * check? Because a holder can be paused (a GC pause, a stopped VM, a slow disk) for longer than its lease. It wakes
 * up still believing it holds the lock, and overwrites what the next holder wrote.
 *
 * Watch it fail: ccm exercise check lease --solution broken --language ts
 */
import { ApiError, call, ME, serve } from '../client-protocol.js';

const held = new Map<string, { lease: number; token: number; secret: string }>();
const lockPath = (resource: string, action: string): string => `/v1/locks/${encodeURIComponent(resource)}/${action}`;

serve({
  init: () => ({ ok: true }),
  async acquire(req) {
    const waitMs = Number(req.wait_ms ?? 1000);
    try {
      const grant = await call<{ lease: number; token: number; secret: string }>('POST', lockPath(String(req.resource), 'acquire'), { holder: ME, ttlMs: req.ttl_ms, wait: true, waitTimeoutMs: waitMs }, waitMs + 5000);
      held.set(String(req.resource), grant);
      return { ok: true, token: grant.token };
    } catch (err) {
      return { ok: false, error: err instanceof ApiError ? err.code : 'unavailable', message: (err as Error).message };
    }
  },
  async write(req) {
    const mine = held.get(String(req.resource));
    if (!mine) return { ok: false, error: 'not_held' };
    // We hold the lock, so just write (no fencing: this is the bug).
    await call('PUT', '/v1/kv', { key: req.key, value: JSON.stringify({ token: mine.token, value: req.value }) });
    return { ok: true };
  },
  async release(req) {
    const mine = held.get(String(req.resource));
    held.delete(String(req.resource));
    if (mine) await call('POST', lockPath(String(req.resource), 'release'), { lease: mine.lease, secret: mine.secret }).catch(() => undefined);
    return { ok: true };
  },
});
