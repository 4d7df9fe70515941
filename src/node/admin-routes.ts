import { CcmError } from '../client/api-errors.js';
import type { HttpServer } from '../net/http-server.js';
import { validateLinkFilterConfig, type LinkFilterConfig } from '../net/link-filter.js';
import type { NodeRuntime } from './node-runtime.js';
import { MAX_CLOCK_RATE, MIN_CLOCK_RATE } from '../chaos/faults.js';
import { changeNodeKeyring } from './peer-auth.js';

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

  http.route('PUT', '/admin/clock-rate', ({ body }) => {
    const rate = (body as { rate?: unknown } | undefined)?.rate;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < MIN_CLOCK_RATE || rate > MAX_CLOCK_RATE) {
      throw new CcmError('invalid_argument', `clock-rate needs "rate", a number from ${MIN_CLOCK_RATE} to ${MAX_CLOCK_RATE}`);
    }
    node.setClockRate(rate);
    return { rate };
  });

  // The peer keyring (ccm keyring): fingerprints out, keys in; a change is kept in the node's data dir.
  http.route('GET', '/admin/keyring', () => keyringView(node));
  http.route('POST', '/admin/keyring', ({ body }) => {
    const b = (body ?? {}) as { action?: unknown; key?: unknown };
    const action = KEYRING_ACTIONS.find((a) => a === b.action);
    if (!action) throw new CcmError('invalid_argument', `keyring change needs "action": ${KEYRING_ACTIONS.join(', ')}`);
    if (!node.keyring) throw new CcmError('failed_precondition', 'this cluster runs without peer encryption (a bench setting): it has no keyring');
    const changed = changeNodeKeyring(node.keyring, node.config.dataDir, action, b.key);
    const view = node.keyring.view();
    if (changed) node.log.event('keyring-changed', `keyring: ${action} (now ${view.keys.length} key${view.keys.length === 1 ? '' : 's'}, primary ${view.primary})`, { action, keyring: view });
    return { node: node.config.id, changed, keyring: view };
  });
}

function keyringView(node: NodeRuntime): { node: string; keyring: ReturnType<NonNullable<NodeRuntime['keyring']>['view']> | null } {
  return { node: node.config.id, keyring: node.keyring?.view() ?? null };
}
