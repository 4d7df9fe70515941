import { CcmError } from '../client/api-errors.js';
import type { HttpServer } from '../net/http-server.js';
import { validateLinkFilterConfig, type LinkFilterConfig } from '../net/link-filter.js';
import type { NodeRuntime } from './node-runtime.js';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** PUT /admin/peers: every other node of the cluster, after ccm node add or remove (at most the cluster's size bound). */
const PeerList = TypeCompiler.Compile(
  Type.Object(
    {
      peers: Type.Array(
        Type.Object(
          {
            id: Type.String({ pattern: '^n[1-9][0-9]{0,3}$' }),
            host: Type.String({ minLength: 1, maxLength: 255 }),
            peerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
            gossipPort: Type.Integer({ minimum: 1, maximum: 65535 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    },
    { additionalProperties: false },
  ),
);

/** /admin: what the CLI uses to break and inspect a node (chaos rules, reachability probes, clock skew). */
export function registerAdminRoutes(http: HttpServer, node: NodeRuntime): void {
  http.route('GET', '/admin/link-filter', () => node.filter.get());

  http.route('PUT', '/admin/link-filter', ({ body }) => {
    const problem = validateLinkFilterConfig(body);
    if (problem) throw new CcmError('invalid_argument', problem);
    node.setLinkFilter(body as LinkFilterConfig);
    return node.filter.get();
  });

  http.route('PUT', '/admin/peers', ({ body }) => {
    if (!PeerList.Check(body)) {
      const first = PeerList.Errors(body).First();
      throw new CcmError('invalid_argument', `peers: ${first ? `${first.path || '/'} ${first.message}` : 'expected {"peers": [{id, host, peerPort, gossipPort}]}'}`);
    }
    return node.updatePeers(body.peers);
  });

  http.route('POST', '/admin/reach-probe', ({ body }) => {
    const nonce = (body as { nonce?: unknown } | undefined)?.nonce;
    if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > 64) {
      throw new CcmError('invalid_argument', 'reach-probe needs a "nonce" string of 1-64 characters');
    }
    return { sent: node.sendReachPings(nonce) };
  });

  http.route('PUT', '/admin/clock-skew', ({ body }) => {
    const offsetMs = (body as { offsetMs?: unknown } | undefined)?.offsetMs;
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || Math.abs(offsetMs) > 86_400_000) {
      throw new CcmError('invalid_argument', 'clock-skew needs "offsetMs", a number within ±1 day');
    }
    node.setClockSkew(offsetMs);
    return { offsetMs };
  });
}
