import { checkLeaseExclusivity, type LeaseExclusivityResult } from '../../check/lease-exclusivity.js';
import { pairOperations, type HistoryEvent } from '../../check/history.js';
import { CcmError } from '../../errors/ccm-error.js';
import type { Command } from '../../core/commands.js';
import { SeededRandom } from '../../random/random.js';
import { LeaseManager } from '../../services/lease-manager.js';
import { callWithin, type CorePort, type ServiceContext } from '../../services/core-port.js';
import { openDatabase } from '../../storage/database.js';
import { SqliteStateStore } from '../../storage/applied-state.js';
import { KernelScheduler } from '../kernel/kernel-scheduler.js';
import { SimKernel } from '../kernel/sim-kernel.js';
import { SimCore, type SimCoreFaults } from './sim-core.js';

export interface LeaseSimulationOptions {
  seed: number;
  clients?: number;
  resources?: number;
  /** Virtual time the clients run for. */
  durationMs?: number;
  faults?: SimCoreFaults;
  /** How likely a holder pauses (stops renewing) for longer than its TTL before it writes: a GC pause, a stopped VM. */
  pauseProbability?: number;
  /** Wraps the core the services see: a broken port shows that the checks catch what it breaks. */
  wrapCore?: (core: CorePort) => CorePort;
}

export interface LeaseSimulationResult {
  seed: number;
  events: HistoryEvent[];
  check: LeaseExclusivityResult;
  /** Virtual ms simulated, kernel events run. */
  virtualMs: number;
  steps: number;
}

/** Shortened from every certain hold, as the real lease workload does, for the latency between core and recorder. */
const MARGIN_MS = 10;

/**
 * The lease manager in a deterministic simulation: clients acquire resources through the real LeaseManager (on a
 * simulated core: the real state machine, seeded delays, lost answers and refusals), hold them while renewing (or
 * pause past their TTL), write to the protected data with their fencing token, and release. The history is judged
 * by the same lease-exclusivity checker as `ccm chaos run`. One seed replays exactly.
 */
export async function runLeaseSimulation(options: LeaseSimulationOptions): Promise<LeaseSimulationResult> {
  const random = new SeededRandom(options.seed);
  const kernel = new SimKernel();
  const scheduler = new KernelScheduler(kernel);
  const db = openDatabase(':memory:');
  const simCore = new SimCore(new SqliteStateStore(db), scheduler, random.fork(), options.faults);
  const core = options.wrapCore ? options.wrapCore(simCore) : simCore;
  const events: HistoryEvent[] = [];
  const durationMs = options.durationMs ?? 5000;
  const resources = Array.from({ length: options.resources ?? 2 }, (_, i) => `r${i}`);
  const pauseProbability = options.pauseProbability ?? 0.2;

  const clients = Array.from({ length: options.clients ?? 4 }, (_, p) => {
    const rnd = random.fork();
    const ctx: ServiceContext = { core, clock: kernel.clock, scheduler, nodeId: `n${(p % 3) + 1}`, random: () => rnd.next() };
    const leases = new LeaseManager(ctx);
    let isDone = false;
    /** Records one operation: invoke, then ok / fail (nothing happened) / info (maybe happened). */
    const op = async <T>(f: string, key: string, input: unknown, run: () => Promise<T>, output: (r: T) => unknown): Promise<T | undefined> => {
      events.push({ process: p, type: 'invoke', f, key, value: input, timeMs: kernel.nowMs });
      try {
        const r = await run();
        events.push({ process: p, type: 'ok', f, key, value: output(r), timeMs: kernel.nowMs });
        return r;
      } catch (err) {
        const e = err instanceof CcmError ? err : new CcmError('internal', String(err));
        const type = e.code === 'timeout' || e.code === 'internal' ? 'info' : 'fail';
        events.push({ process: p, type, f, key, value: { error: e.code }, timeMs: kernel.nowMs });
        return undefined;
      }
    };
    const run = async (): Promise<void> => {
      while (!isDone) {
        const resource = resources[rnd.int(0, resources.length - 1)];
        const ttlMs = 1000 + rnd.int(0, 1000);
        const wait = rnd.next() < 0.5;
        // Not granted (held, and not waiting or the wait ran out) is a failed acquire: it held nothing.
        const got = await op(
          'acquire',
          resource,
          { ttlMs },
          async () => {
            const r = await leases.acquire({ resource, holder: `c${p}`, ttlMs, wait, waitTimeoutMs: 2000 }, callWithin(scheduler, 3000));
            if (!r.granted) throw new CcmError('held', `${resource} is held`);
            return r;
          },
          (r) => ({ token: r.token }),
        );
        if (!got) {
          await scheduler.sleep(rnd.int(10, 100));
          continue;
        }
        const { lease, token, secret } = got;
        // Hold: renew every TTL/3 for a while, or pause past the TTL (no renewals at all).
        const isPaused = rnd.next() < pauseProbability;
        const holdMs = isPaused ? ttlMs * 2 + rnd.int(0, 200) : rnd.int(0, ttlMs * 2);
        for (let held = 0; held < holdMs && !isPaused; held += ttlMs / 3) {
          await scheduler.sleep(ttlMs / 3);
          await op('renew', resource, { token }, () => leases.renew(resource, lease, secret, callWithin(scheduler, ttlMs / 3)), () => ({ token }));
        }
        if (isPaused) await scheduler.sleep(holdMs);
        const write: Command = { op: 'put', key: `/data/${resource}`, value: `c${p}:${token}`, fence: { resource, token } };
        await op('write', resource, { token }, () => core.write(write, callWithin(scheduler, 1000)), () => ({ token }));
        await op('release', resource, { token }, () => leases.release(resource, lease, secret, callWithin(scheduler, 1000)), () => ({ token }));
        await scheduler.sleep(rnd.int(0, 50));
      }
    };
    return { run, stop: () => (isDone = true) };
  });

  let finished = 0;
  for (const c of clients) void c.run().finally(() => finished++);
  await scheduler.runFor(durationMs);
  for (const c of clients) c.stop();
  // Let every client finish its current step: each call has a deadline, so a few virtual seconds are enough.
  for (let i = 0; i < 60 && finished < clients.length; i++) await scheduler.runFor(500);
  if (finished < clients.length) throw new Error(`seed ${options.seed}: ${clients.length - finished} clients never finished their last step`);
  simCore.stop();
  db.close();
  const check = checkLeaseExclusivity(pairOperations(events), { marginMs: MARGIN_MS });
  return { seed: options.seed, events, check, virtualMs: kernel.nowMs, steps: kernel.steps };
}
