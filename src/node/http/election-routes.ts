import { CcmError } from '../../errors/ccm-error.js';
import type { HttpServer } from '../../net/http-server.js';
import { Election } from '../../services/election.js';
import { MAX_WAIT_MS, type LeaseManager } from '../../services/lease-manager.js';
import type { CorePort } from '../../services/core-port.js';
import { callOptions } from './kv-routes.js';
import { campaignBody, leaseBody } from './route-schemas.js';

/**
 * /v1/elections: the leader-election recipe. A campaign blocks until the candidate leads (or its wait runs out:
 * `held`); a caller that goes away while waiting leaves the line. Leadership changes are watched with
 * GET /v1/watch?key=/ccm/locks/election:<name> (a put names the new leader and its token, a delete: nobody leads).
 */
export function registerElectionRoutes(http: HttpServer, core: CorePort, leases: LeaseManager): Election {
  const election = new Election(leases, core);

  http.route('POST', '/v1/elections/:name/campaign', async ({ params, body: x, req, res }) => {
    const waitMs = x.waitTimeoutMs === undefined ? MAX_WAIT_MS : Number(x.waitTimeoutMs);
    if (!Number.isFinite(waitMs) || waitMs <= 0 || waitMs > MAX_WAIT_MS) throw new CcmError('invalid_argument', `waitTimeoutMs must be from 1 to ${MAX_WAIT_MS}`);
    const opts = callOptions(req);
    // The campaign may wait in line far longer than a request's own deadline.
    opts.deadline = Math.max(opts.deadline, Date.now() + waitMs + 5000);
    let isGone = false;
    res.on('close', () => (isGone = !res.writableFinished));
    return election.campaign({ name: params.name, id: x.id, ttlMs: x.ttlMs, waitTimeoutMs: waitMs }, opts, () => isGone);
  }, { body: campaignBody });
  http.route('POST', '/v1/elections/:name/renew', ({ params, body, req }) => election.renew(params.name, body.lease, body.secret, callOptions(req)), { body: leaseBody });
  http.route('POST', '/v1/elections/:name/resign', ({ params, body, req }) => election.resign(params.name, body.lease, body.secret, callOptions(req)), { body: leaseBody });
  http.route('GET', '/v1/elections', ({ req }) => election.list(callOptions(req)));
  http.route('GET', '/v1/elections/:name', ({ params, req }) => election.leader(params.name, callOptions(req)));
  return election;
}
