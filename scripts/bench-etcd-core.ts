/**
 * `node dist/scripts/bench-etcd-core.js [--seconds 5] [--warmup 1]`: the lease manager on etcd — ccm's LeaseManager
 * over EtcdCore, in this process, against a local 3-member etcd (Debian's etcd-server) — acquire+release cycles per
 * second at 1 and 16 concurrent clients, and an uncontended wait-queue hand-over. Compare with ccm's own core:
 * `npm run bench -- services` (the same cycle through the HTTP API of a 3-voter ccm cluster).
 */
import { EtcdCore } from '../src/etcd-core/etcd-core.js';
import { etcdMissingReason, startLocalEtcd } from '../src/etcd-core/local-etcd.js';
import { callWithin } from '../src/services/core-port.js';
import { LeaseManager } from '../src/services/lease-manager.js';
import { SystemClock } from '../src/time/clock.js';
import { systemScheduler } from '../src/time/scheduler.js';
import { fmt, numberOption, out, runLoad } from './bench-support.js';

const args = process.argv.slice(2);
const measureMs = numberOption(args, '--seconds', 5) * 1000;
const warmupMs = numberOption(args, '--warmup', 1) * 1000;
const missing = etcdMissingReason();
if (missing) {
  out(`skipped: ${missing}`);
  process.exit(0);
}
const cluster = await startLocalEtcd({ size: 3 });
const core = new EtcdCore({ endpoints: cluster.endpoints, nodeId: 'bench', clock: new SystemClock(), scheduler: systemScheduler });
try {
  await core.start();
  const leases = new LeaseManager(core.serviceContext());
  const call = () => callWithin(systemScheduler, 10_000);
  out(`lease manager on etcd (${cluster.members.length} members), ${measureMs / 1000} s measured`);
  for (const workers of [1, 16]) {
    const r = await runLoad({
      concurrency: workers,
      warmupMs,
      measureMs,
      pids: cluster.pids(),
      op: async (i) => {
        const resource = `bench-${i % workers}-${Math.floor(i / workers) % 2}`;
        const g = await leases.acquire({ resource, holder: `w${i % workers}`, ttlMs: 10_000 }, call());
        if (!g.granted) throw new Error(`${resource} held`);
        await leases.release(resource, g.lease, g.secret, call());
      },
    });
    out(`  acquire+release, ${String(workers).padStart(2)} client(s): ${fmt(r.opsPerSecond)} cycles/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  errors ${r.errors}  driver CPU ${fmt(r.driverCpu * 100)}%  etcd CPU ${fmt(r.clusterCpu * 100)}%`);
  }
  // Hand-over: a holder releases with a waiter queued; time from the release's start to the waiter's grant.
  const handovers: number[] = [];
  for (let i = 0; i < 50; i++) {
    const resource = `bench-handover-${i}`;
    const first = await leases.acquire({ resource, holder: 'a', ttlMs: 10_000 }, call());
    if (!first.granted) throw new Error('held');
    const waiter = leases.acquire({ resource, holder: 'b', ttlMs: 10_000, wait: true }, call());
    while ((await leases.inspect(resource, call())).waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
    const t = performance.now();
    await leases.release(resource, first.lease, first.secret, call());
    const second = await waiter;
    handovers.push(performance.now() - t);
    if (second.granted) await leases.release(resource, second.lease, second.secret, call());
  }
  handovers.sort((a, b) => a - b);
  out(`  hand-over to a queued waiter (release start -> waiter granted), 50 runs: p50 ${fmt(handovers[25], 2)} ms  max ${fmt(handovers[49], 2)} ms`);
} finally {
  await core.stop();
  await cluster.stop();
}
