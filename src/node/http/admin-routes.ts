import { CcmError } from '../../errors/ccm-error.js';
import type { HttpServer } from '../../net/http-server.js';
import { validateLinkFilterConfig, type LinkFilterConfig } from '../../net/link-filter.js';
import type { NodeRuntime } from '../node-runtime.js';
import { clockRateBody, clockSkewBody, keyringBody, peerListBody, reachProbeBody } from './route-schemas.js';
import { changeNodeKeyring } from '../../cluster/keyring-file.js';

const KEYRING_ACTIONS = ['install', 'use', 'remove'] as const;

/** /admin: what the CLI uses to break and inspect a node (chaos rules, reachability probes, clock skew). */
export function registerAdminRoutes(http: HttpServer, node: NodeRuntime): void {
  http.route('GET', '/admin/link-filter', () => node.filter.get());

  http.route('PUT', '/admin/link-filter', ({ body }) => {
    const problem = validateLinkFilterConfig(body);
    if (problem) throw new CcmError('invalid_argument', problem);
    node.setLinkFilter(body as LinkFilterConfig);
    return node.filter.get();
  });

  http.route('PUT', '/admin/peers', ({ body }) => node.updatePeers(body.peers), { body: peerListBody });

  http.route('POST', '/admin/reach-probe', ({ body }) => ({ sent: node.sendReachPings(body.nonce) }), { body: reachProbeBody });

  http.route('PUT', '/admin/clock-skew', ({ body }) => {
    node.setClockSkew(body.offsetMs);
    return { offsetMs: body.offsetMs };
  }, { body: clockSkewBody });

  http.route('PUT', '/admin/clock-rate', ({ body }) => {
    node.setClockRate(body.rate);
    return { rate: body.rate };
  }, { body: clockRateBody });

  // The peer keyring (ccm keyring): fingerprints out, keys in; a change is kept in the node's data dir.
  http.route('GET', '/admin/keyring', () => keyringView(node));
  http.route('POST', '/admin/keyring', ({ body: b }) => {
    const action = KEYRING_ACTIONS.find((a) => a === b.action);
    if (!action) throw new CcmError('invalid_argument', `keyring change needs "action": ${KEYRING_ACTIONS.join(', ')}`);
    if (!node.keyring) throw new CcmError('failed_precondition', 'this cluster runs without peer encryption (a bench setting): it has no keyring');
    const changed = changeNodeKeyring(node.keyring, node.config.dataDir, action, b.key);
    const view = node.keyring.view();
    if (changed) node.log.event('keyring-changed', `keyring: ${action} (now ${view.keys.length} key${view.keys.length === 1 ? '' : 's'}, primary ${view.primary})`, { action, keyring: view });
    return { node: node.config.id, changed, keyring: view };
  }, { body: keyringBody });
}

function keyringView(node: NodeRuntime): { node: string; keyring: ReturnType<NonNullable<NodeRuntime['keyring']>['view']> | null } {
  return { node: node.config.id, keyring: node.keyring?.view() ?? null };
}
