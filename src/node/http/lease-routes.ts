import { CcmError } from '../../errors/ccm-error.js';
import type { HttpServer } from '../../net/http-server.js';
import { LeaseManager, MAX_WAIT_MS } from '../../services/lease-manager.js';
import type { NodeCore } from '../core/node-core.js';
import { callOptions } from './kv-routes.js';
import { RefusedInput } from '../../net/input-rejections.js';
import { acquireBody, grantBody, leaseBody, secretBody } from './route-schemas.js';

/**
 * /v1/locks: the lease manager (named resources, holders, fencing tokens, fair queues);
 * /v1/leases: generic leases that keys can be attached to.
 */
export function registerLeaseRoutes(http: HttpServer, core: NodeCore): LeaseManager {
  const leases = new LeaseManager(core.serviceContext());

  http.route('POST', '/v1/locks/:resource/acquire', async ({ params, body: x, req, res }) => {
    const waitMs = x.wait === true ? Math.min(Number(x.waitTimeoutMs ?? 30_000), MAX_WAIT_MS) : 0;
    const opts = callOptions(req);
    // A waiting acquire may outlive the request's own deadline by the wait it asked for.
    if (waitMs > 0) opts.deadline = Math.max(opts.deadline, Date.now() + waitMs + 5000);
    let isGone = false;
    res.on('close', () => (isGone = !res.writableFinished));
    const result = await leases.acquire({ holder: x.holder, ttlMs: x.ttlMs, wait: x.wait, waitTimeoutMs: x.waitTimeoutMs, resource: params.resource }, opts, () => isGone).catch((err: unknown) => {
      // The queue is full (MAX_WAITERS_PER_RESOURCE): a refusal, counted as such.
      if (err instanceof CcmError && err.code === 'resource_exhausted') throw new RefusedInput('too_many_waiters', err.code, err.message, err.details);
      throw err;
    });
    if (!result.granted) {
      throw new CcmError('held', `${result.resource} is held by ${result.heldBy.holder} (token ${result.heldBy.token}${result.heldBy.ttlLeftMs !== null ? `, ${Math.ceil(result.heldBy.ttlLeftMs / 1000)} s left unless renewed` : ''})`, { heldBy: result.heldBy });
    }
    return result;
  }, { body: acquireBody });
  // Renewing or releasing needs the grant's secret (body "secret"), not just the public lease id.
  http.route('POST', '/v1/locks/:resource/renew', ({ params, body, req }) => leases.renew(params.resource, body.lease, body.secret, callOptions(req)), { body: leaseBody });
  http.route('POST', '/v1/locks/:resource/release', ({ params, body, req }) => leases.release(params.resource, body.lease, body.secret, callOptions(req)), { body: leaseBody });
  http.route('GET', '/v1/locks', ({ req }) => leases.list(callOptions(req)));
  http.route('GET', '/v1/locks/:resource', ({ params, req }) => leases.inspect(params.resource, callOptions(req)));

  http.route('POST', '/v1/leases', ({ body, req }) => leases.grant(body.ttlMs, body.owner, callOptions(req)), { body: grantBody });
  http.route('GET', '/v1/leases', async ({ req }) => ({ leases: await leases.leases(callOptions(req)) }));
  http.route('GET', '/v1/leases/:id', ({ params, req }) => leases.lease(Number(params.id), callOptions(req)));
  http.route('POST', '/v1/leases/:id/renew', ({ params, body, req }) => leases.renew(undefined, Number(params.id), body?.secret, callOptions(req)), { body: secretBody });
  http.route('DELETE', '/v1/leases/:id', ({ params, body, req }) => leases.revoke(Number(params.id), body?.secret ?? '', callOptions(req)), { body: secretBody });
  // The administrator's way out (admin token): end any lease without its secret (ccm lease revoke --force).
  http.route('DELETE', '/admin/leases/:id', ({ params, req }) => leases.revoke(Number(params.id), null, callOptions(req)));
  return leases;
}
