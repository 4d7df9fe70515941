import { CcmError } from '../client/api-errors.js';
import type { HttpServer } from '../net/http-server.js';
import { validateLinkFilterConfig, type LinkFilterConfig } from '../net/link-filter.js';
import type { NodeRuntime } from './node-runtime.js';
import { clockSkewBody, reachProbeBody } from './route-schemas.js';

/** /admin: what the CLI uses to break and inspect a node (chaos rules, reachability probes, clock skew). */
export function registerAdminRoutes(http: HttpServer, node: NodeRuntime): void {
  http.route('GET', '/admin/link-filter', () => node.filter.get());

  http.route('PUT', '/admin/link-filter', ({ body }) => {
    const problem = validateLinkFilterConfig(body);
    if (problem) throw new CcmError('invalid_argument', problem);
    node.setLinkFilter(body as LinkFilterConfig);
    return node.filter.get();
  });

  http.route('POST', '/admin/reach-probe', ({ body }) => ({ sent: node.sendReachPings(body.nonce) }), { body: reachProbeBody });

  http.route('PUT', '/admin/clock-skew', ({ body }) => {
    node.setClockSkew(body.offsetMs);
    return { offsetMs: body.offsetMs };
  }, { body: clockSkewBody });
}
