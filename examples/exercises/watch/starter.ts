/**
 * Exercise 2, change notification: a starting point (TypeScript, Node.js built-ins only).
 *
 * The harness asks this program to watch a key prefix from a revision on, then writes changes under it while it
 * freezes and kills nodes one at a time. Print one line per change, {"event":{"key","revision","value","type"}},
 * every change exactly once and in revision order, whatever happens to the node you are connected to.
 * ccm's watch API: GET /v1/watch?key=<prefix>&prefix=true&fromRev=<revision> (JSON lines). See
 * docs/exercises/client-protocol.md.
 *
 * Compile it (npx tsc --outDir out my-watch.ts ../client-protocol.ts) and check it:
 *   ccm exercise check watch -- node out/my-watch.js
 */
import { ENDPOINTS, serve } from '../client-protocol.js';

/** Prints one change. */
export function emit(event: { key: string; revision: number; value: string; type: 'put' | 'delete' }): void {
  process.stdout.write(JSON.stringify({ event }) + '\n');
}

serve({
  init: () => ({ ok: true }),
  async watch(req) {
    // TODO: open a watch stream on req.prefix from req.from_revision (one of ENDPOINTS), answer ok once it is open,
    // emit() every event, and when the stream breaks or goes quiet, carry on from another node without losing or
    // repeating anything.
    void ENDPOINTS;
    return { ok: true };
  },
});
