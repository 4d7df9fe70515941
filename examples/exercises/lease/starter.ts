/**
 * Exercise 1, the lease manager: a starting point (TypeScript, Node.js built-ins only).
 *
 * The harness starts several copies of this program, one per client, and sends each requests as JSON lines
 * (docs/exercises/client-protocol.md): acquire a resource for a while, write to its data key, release it. Now and
 * then it freezes a holder for longer than its lease. Make sure a holder that lost its lease can never overwrite a
 * newer holder's data. The cluster's addresses are in CCM_ENDPOINTS; ccm's API is in the README. `call` sends the
 * token in CCM_TOKEN with every request. A grant's answer carries its secret, once: releasing (or renewing) the
 * lease needs it (body field "secret").
 *
 * Compile it (npx tsc --outDir out my-lease.ts ../client-protocol.ts) and check it:
 *   ccm exercise check lease -- node out/my-lease.js
 */
import { call, ME, serve } from '../client-protocol.js';

serve({
  init: () => ({ ok: true }),
  async acquire(req) {
    // TODO: take the resource for req.ttl_ms (waiting up to req.wait_ms if it is held) and answer its fencing token.
    void call;
    void ME;
    return { ok: false, error: 'held', message: `acquire ${String(req.resource)}: not written yet` };
  },
  async write(req) {
    // TODO: store {"token": <your token>, "value": req.value} at req.key, unless a newer holder has written there.
    return { ok: false, error: 'not_held', message: `write ${String(req.key)}: not written yet` };
  },
  async release() {
    // TODO: give the resource back (with the secret its grant returned).
    return { ok: true };
  },
});
