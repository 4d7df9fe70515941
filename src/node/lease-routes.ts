import { CcmError } from '../client/api-errors.js';
import type { HttpServer } from '../net/http-server.js';
import { LeaseManager, MAX_WAIT_MS } from '../services/lease-manager.js';
import type { CoreService } from './core-service.js';
import { registerLockStats } from './lock-stats.js';
import { callOptions } from './kv-routes.js';
import type { NodeRuntime } from './node-runtime.js';

/**
 * /v1/locks: the lease manager (named resources, holders, fencing tokens, fair queues);
 * /v1/leases: generic leases that keys can be attached to.
 */
export function registerLeaseRoutes(http: HttpServer, node: NodeRuntime, core: CoreService): LeaseManager {
  const leases = new LeaseManager(node, core);
  const body = (b: unknown): Record<string, unknown> => (b && typeof b === 'object' ? (b as Record<string, unknown>) : {});

  http.route('POST', '/v1/locks/:resource/acquire', async ({ params, body: b, req, res }) => {
    const x = body(b);
    const waitMs = x.wait === true ? Math.min(Number(x.waitTimeoutMs ?? 30_000), MAX_WAIT_MS) : 0;
    const opts = callOptions(req);
    // A waiting acquire may outlive the request's own deadline by the wait it asked for.
    if (waitMs > 0) opts.deadline = Math.max(opts.deadline, Date.now() + waitMs + 5000);
    let isGone = false;
    res.on('close', () => (isGone = !res.writableFinished));
    const result = await leases.acquire({ holder: x.holder, ttlMs: x.ttlMs, wait: x.wait, waitTimeoutMs: x.waitTimeoutMs, resource: params.resource }, opts, () => isGone);
    if (!result.granted) {
      throw new CcmError('held', `${result.resource} is held by ${result.heldBy.holder} (token ${result.heldBy.token}${result.heldBy.ttlLeftMs !== null ? `, ${Math.ceil(result.heldBy.ttlLeftMs / 1000)} s left unless renewed` : ''})`, { heldBy: result.heldBy });
    }
    return result;
  });
  http.route('POST', '/v1/locks/:resource/renew', ({ params, body: b, req }) => leases.renew(params.resource, body(b).lease, callOptions(req)));
  http.route('POST', '/v1/locks/:resource/release', ({ params, body: b, req }) => leases.release(params.resource, body(b).lease, callOptions(req)));
  http.route('GET', '/v1/locks', ({ req }) => leases.list(callOptions(req)));
  http.route('GET', '/v1/locks/:resource', ({ params, req }) => leases.inspect(params.resource, callOptions(req)));

  http.route('POST', '/v1/leases', ({ body: b, req }) => leases.grant(body(b).ttlMs, body(b).owner, callOptions(req)));
  http.route('GET', '/v1/leases', async ({ req }) => ({ leases: await leases.leases(callOptions(req)) }));
  http.route('GET', '/v1/leases/:id', ({ params, req }) => leases.lease(Number(params.id), callOptions(req)));
  http.route('POST', '/v1/leases/:id/renew', ({ params, req }) => leases.renew(undefined, Number(params.id), callOptions(req)));
  http.route('DELETE', '/v1/leases/:id', ({ params, req }) => leases.revoke(Number(params.id), callOptions(req)));
  registerLockStats(http, node, core);
  return leases;
}
