/**
 * `ccm explain lease <resource>`: who holds a resource and since when, who waits and in which order, why requests
 * were refused, and the fencing token history (each grant, its token, how it ended), from the lease manager's state
 * and the leader's utilization figures (src/services/lease-utilization.ts).
 */
import { CcmError } from '../errors/ccm-error.js';
import type { LockStatsView, LockView } from '../api/api-types.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { clientForCluster } from '../cluster/cluster-client.js';
import { validateResource } from '../core/commands.js';
import { ago, clock, list, type Explanation } from './explanation.js';

export async function explainLease(paths: ClusterPaths, resourceText: string): Promise<Explanation> {
  const resource = validateResource(resourceText);
  const { client } = clientForCluster(paths);
  const lock: LockView | null = await client.lock(resource).catch((err: unknown) => {
    if (err instanceof CcmError && err.code === 'not_found') return null;
    throw err;
  });
  const stats = await client.lockStats(resource).catch(() => null);
  const u: LockStatsView | null = stats?.resources[0] ?? null;
  const because: string[] = [];
  let answer: string;
  if (lock) {
    answer =
      `${resource} is held by ${lock.holder} since ${clock(lock.grantedAtMs)} (lease ${lock.lease}, fencing token ${lock.token}); ` +
      (lock.ttlLeftMs === null ? 'the time left is unknown to the leader (it restarted).' : `${ago(lock.ttlLeftMs)} of its ${ago(lock.ttlMs)} TTL left unless renewed.`);
    because.push(
      `${lock.holder} got it because the resource was free when its acquire was applied${u?.holder?.lease === lock.lease && u.recentGrants.at(-1)?.waitedMs ? `, after waiting ${ago(u.recentGrants.at(-1)!.waitedMs!)} in line` : ''}; ` +
        `it keeps it while it renews its lease (renewed ${lock.renewals} time${lock.renewals === 1 ? '' : 's'}), until it releases it or the lease expires.`,
    );
    if (lock.waiting.length > 0) {
      because.push(`${list(lock.waiting.map((w) => w.holder))} wait${lock.waiting.length === 1 ? 's' : ''}, in that order (first come, first served): the next gets it in the same step that frees it, with a larger token.`);
    }
  } else {
    answer = `${resource} is free: nobody holds it${u ? '' : ', and the leader has not seen it used since it started'}.`;
  }
  if (u) {
    if (u.recentRefusals.length > 0) {
      const r = u.recentRefusals.slice(-3).map((x) => `${x.holder} at ${clock(x.atMs)} (held by ${x.heldBy}, token ${x.heldByToken})`);
      because.push(`Refused because it was held (an acquire without --wait is answered "held" at once): ${list(r)}${u.refusals > 3 ? `; ${u.refusals} refusals in all` : ''}.`);
    }
    if (u.recentGrants.length > 0) {
      const grants = u.recentGrants.slice(-6).map((g) => {
        const how = g.end === null ? 'holds it' : `${g.end} after ${ago((g.endedAtMs ?? g.grantedAtMs) - g.grantedAtMs)}`;
        return `${g.token} to ${g.holder} at ${clock(g.grantedAtMs)} (${how})`;
      });
      because.push(`Fencing tokens (the core revision of each grant, larger for every later grant, so a resource can refuse a holder that lost its lease): ${grants.join('; ')}.`);
      const expired = u.recentGrants.filter((g) => g.end === 'expired');
      if (expired.length > 0) because.push(`${list([...new Set(expired.map((g) => g.holder))])} lost it by expiry: the holder stopped renewing (crashed, paused or cut off) for longer than its TTL.`);
    }
    because.push(
      `Utilization since ${clock(u.sinceMs)} (as ${stats!.node} saw it): held ${(u.heldFraction * 100).toFixed(1)}% of the time, ${u.grants} grant${u.grants === 1 ? '' : 's'}, ` +
        `${u.refusals} refusal${u.refusals === 1 ? '' : 's'}; hold mean ${u.hold.meanMs === null ? '-' : ago(u.hold.meanMs)}, wait mean ${u.wait.meanMs === null ? '-' : ago(u.wait.meanMs)} (p99 ${u.wait.p99Ms === null ? '-' : ago(u.wait.p99Ms)}); queue now ${u.queueDepth}.`,
    );
  }
  return { subject: `lease ${resource}`, answer, because, facts: { lock, utilization: u, observedBy: stats?.node ?? null } };
}
