/**
 * Exercise 1, the lease manager: a reference solution (TypeScript, Node.js built-ins only).
 *
 * A client of ccm's lease manager that protects its writes with fencing tokens:
 *   acquire -> POST /v1/locks/<resource>/acquire {holder, ttlMs, wait}: the answer carries a fencing token (the core
 *              revision of the grant, larger for every later grant of the resource) and the grant's secret (given
 *              once: renewing or releasing the lease needs it, so the public lease id alone cannot end it);
 *   write   -> store {"token": T, "value": V} at the data key, but never over a higher token: read the key, refuse if
 *              it holds a higher token, else compare-and-set on the revision we read (retry if someone wrote in between);
 *   release -> POST /v1/locks/<resource>/release {lease, secret}.
 * The token is what makes it safe: a holder paused past its lease wakes up, tries to write with its old token, and the
 * data key turns it away because a newer holder has written with a higher one.
 *
 * Built with the project: ccm exercise check lease -- node dist/examples/exercises/lease/reference.js
 */
import { ApiError, call, ME, serve } from '../client-protocol.js';

type KeyValue = { key: string; value: string; modRevision: number };
const held = new Map<string, { lease: number; token: number; secret: string }>();
const lockPath = (resource: string, action: string): string => `/v1/locks/${encodeURIComponent(resource)}/${action}`;

serve({
  init: () => ({ ok: true }),

  async acquire(req) {
    const waitMs = Number(req.wait_ms ?? 1000);
    try {
      const grant = await call<{ lease: number; token: number; secret: string }>('POST', lockPath(String(req.resource), 'acquire'), { holder: ME, ttlMs: req.ttl_ms, wait: true, waitTimeoutMs: waitMs }, waitMs + 5000);
      held.set(String(req.resource), { lease: grant.lease, token: grant.token, secret: grant.secret });
      return { ok: true, token: grant.token };
    } catch (err) {
      const code = err instanceof ApiError ? err.code : 'unavailable';
      return { ok: false, error: code, message: (err as Error).message };
    }
  },

  async write(req) {
    const mine = held.get(String(req.resource));
    if (!mine) return { ok: false, error: 'not_held' };
    const key = String(req.key);
    for (let attempt = 0; attempt < 10; attempt++) {
      let kv: KeyValue | undefined;
      try {
        kv = (await call<{ kvs: KeyValue[] }>('GET', `/v1/kv?key=${encodeURIComponent(key)}`)).kvs[0];
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'not_found')) throw err; // nobody has written yet
      }
      if (kv && (JSON.parse(kv.value) as { token?: number }).token! > mine.token) return { ok: false, error: 'stale', message: 'a newer holder has written' };
      const value = JSON.stringify({ token: mine.token, value: req.value });
      try {
        await call('PUT', '/v1/kv', { key, value, ...(kv ? { ifModRev: kv.modRevision } : { ifAbsent: true }) });
        return { ok: true };
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'failed_precondition')) throw err; // someone wrote in between: look again
      }
    }
    return { ok: false, error: 'conflict' };
  },

  async release(req) {
    const mine = held.get(String(req.resource));
    held.delete(String(req.resource));
    if (!mine) return { ok: true };
    try {
      await call('POST', lockPath(String(req.resource), 'release'), { lease: mine.lease, secret: mine.secret });
    } catch (err) {
      // already expired: nothing to release
      if (!(err instanceof ApiError && (err.code === 'not_found' || err.code === 'failed_precondition'))) throw err;
    }
    return { ok: true };
  },
});
