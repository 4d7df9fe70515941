/**
 * Long simulator runs, outside `npm test`:
 *
 *   npm run sim -- raft --seeds <from>-<to> [--nodes N] [--steps N] [--workers N] [--json]
 *   npm run sim -- gossip --seeds <from>-<to> [--workers N] [--json]
 *   npm run sim -- catch-up
 *
 * A sweep runs every seed of the range in worker threads (default: one per core), prints each failing seed with
 * the command that replays it as it is found, and ends with a summary; it exits 1 if any seed failed. Raft seeds
 * mix cluster sizes 1-9 as sweepNodes() does unless --nodes fixes one. `catch-up` prints how fast a follower
 * 1000 entries behind catches up (entries per second of virtual time) under a few message-size and window limits.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { measureCatchUp, type CatchUpOptions } from '../src/sim/raft/catch-up.js';
import { DEFAULT_RAFT_SIM_STEPS, sweepNodes } from '../src/sim/raft/raft-simulator.js';
import type { SeedOutcome, SweepBatch } from './sim-worker.js';

const USAGE =
  'usage: npm run sim -- raft --seeds <from>-<to> [--nodes 1-9] [--steps N] [--workers N] [--json]\n' +
  '       npm run sim -- gossip --seeds <from>-<to> [--workers N] [--json]\n' +
  '       npm run sim -- catch-up\n';

class UsageError extends Error {}

interface SweepOptions {
  sim: 'raft' | 'gossip';
  from: number;
  to: number;
  /** Fixed cluster size, or undefined for the sweep's mix. */
  nodes: number | undefined;
  steps: number;
  workers: number;
  json: boolean;
}

const BATCH_SEEDS = 10;
const PROGRESS_EVERY_MS = 60_000;

function parseArgs(sim: 'raft' | 'gossip', args: string[]): SweepOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    if (a === '--json') flags.set('json', true);
    else if (i + 1 < args.length) flags.set(a.slice(2), args[++i]);
    else throw new UsageError(`${a} needs a value`);
  }
  const known = sim === 'raft' ? ['seeds', 'nodes', 'steps', 'workers', 'json'] : ['seeds', 'workers', 'json'];
  for (const k of flags.keys()) if (!known.includes(k)) throw new UsageError(`unknown flag --${k} for ${sim}`);
  const seeds = flags.get('seeds');
  if (typeof seeds !== 'string') throw new UsageError('--seeds <from>-<to> is required');
  const m = /^(\d+)(?:-(\d+))?$/.exec(seeds.trim());
  if (m === null) throw new UsageError(`--seeds must be <from>-<to> or one seed (got "${seeds}")`);
  const from = integer('--seeds', m[1], 0, 0xffffffff);
  const to = m[2] === undefined ? from : integer('--seeds', m[2], 0, 0xffffffff);
  if (to < from) throw new UsageError(`--seeds ${seeds}: <to> is below <from>`);
  const nodesFlag = flags.get('nodes');
  const stepsFlag = flags.get('steps');
  const workersFlag = flags.get('workers');
  return {
    sim,
    from,
    to,
    nodes: typeof nodesFlag === 'string' ? integer('--nodes', nodesFlag, 1, 9) : undefined,
    steps: typeof stepsFlag === 'string' ? integer('--steps', stepsFlag, 0, 10_000_000) : DEFAULT_RAFT_SIM_STEPS,
    workers: typeof workersFlag === 'string' ? integer('--workers', workersFlag, 1, 256) : os.availableParallelism(),
    json: flags.get('json') === true,
  };
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const v = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got "${raw}")`);
  return v;
}

function replayCommand(o: SweepOptions, r: SeedOutcome): string {
  if (o.sim === 'raft') return `npx ccm sim raft --seed ${r.seed} --nodes ${r.nodes} --steps ${o.steps} --trace`;
  return `npm run sim -- gossip --seeds ${r.seed}-${r.seed}`;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

async function sweep(o: SweepOptions): Promise<boolean> {
  const total = o.to - o.from + 1;
  const say = (line: string): void => {
    if (!o.json) process.stdout.write(`${line}\n`);
  };
  const sizes = o.sim === 'gossip' ? '3-12 nodes by seed' : o.nodes === undefined ? 'cluster sizes 1-9 mixed' : `${o.nodes} nodes`;
  const steps = o.sim === 'raft' ? `, ${o.steps} steps` : '';
  const workers = Math.min(o.workers, Math.ceil(total / BATCH_SEEDS));
  say(`${o.sim} sweep: seeds ${o.from}-${o.to} (${total}), ${sizes}${steps}, ${workers} worker thread(s)`);

  let next = o.from;
  let done = 0;
  const failed: SeedOutcome[] = [];
  const bySize = new Map<number, number>();
  const byScenario = new Map<string, number>();
  const started = performance.now();
  let lastProgress = started;
  const takeBatch = (): SweepBatch | undefined => {
    if (next > o.to) return undefined;
    const seeds: { seed: number; nodes: number }[] = [];
    for (; next <= o.to && seeds.length < BATCH_SEEDS; next++) seeds.push({ seed: next, nodes: o.nodes ?? sweepNodes(next) });
    return { sim: o.sim, seeds, steps: o.steps };
  };
  const onOutcomes = (outcomes: SeedOutcome[]): void => {
    for (const r of outcomes) {
      done++;
      bySize.set(r.nodes, (bySize.get(r.nodes) ?? 0) + 1);
      if (r.scenario !== '') byScenario.set(r.scenario, (byScenario.get(r.scenario) ?? 0) + 1);
      if (r.ok) continue;
      failed.push(r);
      say(`FAIL seed ${r.seed} (${r.nodes} nodes): ${r.failure}\n  replay: ${replayCommand(o, r)}`);
    }
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      const rate = done / ((now - started) / 1000);
      process.stderr.write(`  ${done}/${total} seeds, ${failed.length} failed, ${rate.toFixed(1)} seeds/s, about ${duration(((total - done) / rate) * 1000)} to go\n`);
    }
  };

  await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./sim-worker.js', import.meta.url));
        const feed = (): void => {
          const batch = takeBatch();
          if (batch === undefined) {
            void worker.terminate().then(() => resolve());
            return;
          }
          worker.postMessage(batch);
        };
        worker.on('message', (outcomes: SeedOutcome[]) => {
          onOutcomes(outcomes);
          feed();
        });
        worker.on('error', reject);
        feed();
      }),
    ),
  );

  const wallMs = performance.now() - started;
  failed.sort((a, b) => a.seed - b.seed);
  const sizeList = [...bySize.entries()].sort((a, b) => a[0] - b[0]);
  if (o.json) {
    const summary = {
      sim: o.sim,
      from: o.from,
      to: o.to,
      seeds: total,
      ...(o.sim === 'raft' ? { steps: o.steps } : {}),
      workers,
      wallMs: Math.round(wallMs),
      bySize: Object.fromEntries(sizeList),
      ...(o.sim === 'gossip' ? { byScenario: Object.fromEntries(byScenario) } : {}),
      failed: failed.map((r) => ({ seed: r.seed, nodes: r.nodes, failure: r.failure, replay: replayCommand(o, r) })),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    say('');
    say(`${o.sim} sweep done: ${total} seeds (${o.from}-${o.to}) in ${duration(wallMs)} with ${workers} worker thread(s), ${(total / (wallMs / 1000)).toFixed(1)} seeds/s`);
    say(`  by cluster size: ${sizeList.map(([n, c]) => `${n}: ${c}`).join(', ')}`);
    if (byScenario.size > 0) say(`  by scenario: ${[...byScenario.entries()].map(([s, c]) => `${s}: ${c}`).join(', ')}`);
    if (failed.length === 0) say('  every seed passed');
    else {
      say(`  ${failed.length} failed:`);
      for (const r of failed) say(`    ${replayCommand(o, r)}`);
    }
  }
  return failed.length === 0;
}

function catchUp(): void {
  const settings: { name: string; o: CatchUpOptions }[] = [
    { name: '1 MiB messages, 256 in flight (defaults)', o: {} },
    { name: '4 KiB messages, 4 in flight', o: { maxSizePerMsgBytes: 4096, maxInflightMsgs: 4 } },
    { name: '512 B messages, 16 in flight', o: { maxSizePerMsgBytes: 512, maxInflightMsgs: 16 } },
    { name: '96 B messages, 1 in flight, delay 1+8 ms', o: { maxSizePerMsgBytes: 96, maxInflightMsgs: 1, delayMsMean: 8, electionTicks: 4 } },
    { name: '  the same, with 110 proposals/s meanwhile', o: { maxSizePerMsgBytes: 96, maxInflightMsgs: 1, delayMsMean: 8, electionTicks: 4, loadPerSecond: 110 } },
  ];
  const seeds = [1, 2, 3, 4, 5];
  process.stdout.write(
    'catch-up of a follower 1000 entries behind (3 voters, 40-byte entries, one-way delay 1 ms + exponential mean 4 ms unless said),\n' +
      `entries per second of virtual time, median of seeds ${seeds.join(',')}; appends and entries sent to the follower in the median run\n`,
  );
  for (const orderedPaths of [true, false]) {
    process.stdout.write(`\n${orderedPaths ? 'paths deliver in order (as over TCP)' : 'every message reorders freely'}\n`);
    for (const s of settings) {
      const runs = seeds.map((seed) => measureCatchUp({ ...s.o, seed, orderedPaths })).sort((a, b) => a.entriesPerSecond - b.entriesPerSecond);
      const med = runs[Math.floor(runs.length / 2)];
      process.stdout.write(
        `  ${s.name.padEnd(46)} ${String(Math.round(med.entriesPerSecond)).padStart(7)} entries/s  ` +
          `(${med.entries} in ${med.catchUpMs} ms; ${med.appendsSent} appends carrying ${med.entriesSent} entries, ${med.rejections} refused)\n`,
      );
    }
  }
}

async function main(): Promise<void> {
  const [what, ...args] = process.argv.slice(2);
  try {
    if (what === '--help' || what === '-h' || what === 'help') {
      process.stdout.write(USAGE);
      return;
    }
    if (what === 'catch-up') {
      if (args.length > 0) throw new UsageError('catch-up takes no options');
      catchUp();
      return;
    }
    if (what !== 'raft' && what !== 'gossip') throw new UsageError(what === undefined ? 'say what to run' : `unknown simulation "${what}"`);
    const ok = await sweep(parseArgs(what, args));
    if (!ok) process.exitCode = 1;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}`);
    process.exitCode = 2;
  }
}

await main();
