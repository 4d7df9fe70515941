/**
 * `node dist/scripts/etcd-core-lease-chaos.js [--seconds 30] [--seed 1] [--broken]`: the lease manager on etcd under
 * a nemesis, judged by the lease-exclusivity checker `ccm chaos run` uses. Clients (on two EtcdCores, as two nodes)
 * acquire resources through the real LeaseManager, renew, or pause past their TTL (Jepsen's process pause, on the
 * client side), write with their fencing token, and release; meanwhile etcd members are paused (SIGSTOP) or killed and
 * restarted. `--broken` drops the fences (the check must then find stale writes accepted). Exits 1 when not valid.
 */
import { checkLeaseExclusivity } from '../src/check/lease-exclusivity.js';
import { pairOperations, type HistoryEvent } from '../src/check/history.js';
import { CcmError } from '../src/errors/ccm-error.js';
import type { Command } from '../src/core/commands.js';
import { EtcdCore } from '../src/etcd-core/etcd-core.js';
import { etcdMissingReason, startLocalEtcd } from '../src/etcd-core/local-etcd.js';
import { SeededRandom } from '../src/random/random.js';
import { callWithin, type CorePort } from '../src/services/core-port.js';
import { LeaseManager } from '../src/services/lease-manager.js';
import { SystemClock } from '../src/time/clock.js';
import { systemScheduler as scheduler } from '../src/time/scheduler.js';
import { numberOption, out } from './bench-support.js';

const args = process.argv.slice(2);
const durationMs = numberOption(args, '--seconds', 30) * 1000;
const seed = numberOption(args, '--seed', 1);
const isBroken = args.includes('--broken');
const missing = etcdMissingReason();
if (missing) {
  out(`skipped: ${missing}`);
  process.exit(0);
}
const random = new SeededRandom(seed);
const cluster = await startLocalEtcd({ size: 3 });
const cores = ['n1', 'n2'].map((nodeId) => new EtcdCore({ endpoints: cluster.endpoints, nodeId, clock: new SystemClock(), scheduler }));
const events: HistoryEvent[] = [];
const faults: string[] = [];
const t0 = performance.now();
const now = (): number => performance.now() - t0;
let isDone = false;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dropFences = (core: CorePort): CorePort => ({
  write: (c, o) => (isBroken && 'fence' in c && c.fence ? core.write({ ...c, fence: undefined } as typeof c, o) : core.write(c, o)),
  read: (r, s, o) => core.read(r, s, o),
  subscribe: (s, h) => core.subscribe(s, h),
});

async function client(p: number): Promise<void> {
  const rnd = random.fork();
  const base = cores[p % cores.length];
  const core = dropFences(base);
  const leases = new LeaseManager({ ...base.serviceContext(), core });
  const op = async <T>(f: string, key: string, input: unknown, run: () => Promise<T>, output: (r: T) => unknown): Promise<T | undefined> => {
    events.push({ process: p, type: 'invoke', f, key, value: input, timeMs: now() });
    try {
      const r = await run();
      events.push({ process: p, type: 'ok', f, key, value: output(r), timeMs: now() });
      return r;
    } catch (err) {
      const e = err instanceof CcmError ? err : new CcmError('internal', String(err));
      // Only an answer that says nothing happened is a failure; a lost answer may have taken effect.
      const type = ['timeout', 'internal', 'unavailable', 'no_leader'].includes(e.code) ? 'info' : 'fail';
      events.push({ process: p, type, f, key, value: { error: e.code }, timeMs: now() });
      return undefined;
    }
  };
  while (!isDone) {
    const resource = `r${rnd.int(0, 1)}`;
    const ttlMs = 2000 + rnd.int(0, 1000);
    const got = await op(
      'acquire',
      resource,
      { ttlMs },
      async () => {
        const r = await leases.acquire({ resource, holder: `c${p}`, ttlMs, wait: rnd.next() < 0.5, waitTimeoutMs: 3000 }, callWithin(scheduler, 5000));
        if (!r.granted) throw new CcmError('held', `${resource} is held`);
        return r;
      },
      (r) => ({ token: r.token }),
    );
    if (!got) {
      await sleep(rnd.int(20, 200));
      continue;
    }
    const { lease, token, secret } = got;
    const isPaused = rnd.next() < 0.25;
    const holdMs = isPaused ? ttlMs * 2 + rnd.int(0, 500) : rnd.int(0, ttlMs);
    for (let held = 0; held < holdMs && !isPaused; held += ttlMs / 3) {
      await sleep(ttlMs / 3);
      await op('renew', resource, { token }, () => leases.renew(resource, lease, secret, callWithin(scheduler, ttlMs / 3)), () => ({ token }));
    }
    if (isPaused) await sleep(holdMs);
    const write: Command = { op: 'put', key: `/data/${resource}`, value: `c${p}:${token}`, fence: { resource, token } };
    await op('write', resource, { token }, () => core.write(write, callWithin(scheduler, 2000)), () => ({ token }));
    await op('release', resource, { token }, () => leases.release(resource, lease, secret, callWithin(scheduler, 2000)), () => ({ token }));
    await sleep(rnd.int(0, 100));
  }
}

async function nemesis(): Promise<void> {
  const rnd = random.fork();
  while (!isDone) {
    await sleep(3000);
    if (isDone) break;
    const m = cluster.members[rnd.int(0, cluster.members.length - 1)];
    if (rnd.next() < 0.5) {
      faults.push(`${(now() / 1000).toFixed(1)}s pause ${m.name}`);
      cluster.pause(m.name);
      await sleep(2500);
      cluster.resume(m.name);
    } else {
      faults.push(`${(now() / 1000).toFixed(1)}s kill ${m.name}`);
      cluster.kill(m.name);
      await sleep(2500);
      cluster.restart(m.name);
    }
  }
}

try {
  for (const c of cores) await c.start();
  const runs = [nemesis(), ...Array.from({ length: 6 }, (_, p) => client(p))];
  await sleep(durationMs);
  isDone = true;
  await Promise.all(runs);
  const check = checkLeaseExclusivity(pairOperations(events), { marginMs: 50 });
  out(`lease chaos on etcd${isBroken ? ' (fences dropped)' : ''}, seed ${seed}, ${durationMs / 1000} s, 6 clients, 2 resources`);
  out(`  faults: ${faults.join(', ')}`);
  out(`  ${check.counts.grants} grants, ${check.counts.writesAccepted} fenced writes accepted, ${check.counts.writesRefusedStale} refused as stale; ${events.filter((e) => e.type === 'info').length} indeterminate answers`);
  out(`  verdict: ${check.verdict} — ${check.summary}`);
  const historyAt = args.indexOf('--history');
  if (historyAt >= 0) (await import('node:fs')).writeFileSync(args[historyAt + 1], JSON.stringify({ faults, events }, null, 0));
  process.exitCode = check.verdict === 'valid' ? 0 : 1;
} finally {
  for (const c of cores) await c.stop();
  for (const m of cluster.members) cluster.resume(m.name);
  await cluster.stop();
}
