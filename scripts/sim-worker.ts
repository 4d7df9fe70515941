/**
 * A worker thread of `npm run sim`: runs the seeds it is handed, one batch at a time, and posts back one outcome
 * per seed. All the judging is in src/sim; this only carries batches across the thread boundary.
 */
import { parentPort } from 'node:worker_threads';
import { runGossipSeed } from '../src/sim/gossip/seed-check.js';
import { runRaftSimulation } from '../src/sim/raft/raft-simulator.js';

export interface SweepBatch {
  sim: 'raft' | 'gossip';
  seeds: { seed: number; nodes: number }[];
  steps: number;
}

export interface SeedOutcome {
  seed: number;
  nodes: number;
  ok: boolean;
  /** One line: what failed, where (empty when ok). */
  failure: string;
  /** Gossip: the scenario the seed picked; Raft: '' */
  scenario: string;
  wallMs: number;
}

function runSeed(batch: SweepBatch, seed: number, nodes: number): SeedOutcome {
  const t0 = performance.now();
  if (batch.sim === 'raft') {
    const r = runRaftSimulation({ seed, nodes, steps: batch.steps });
    const v = r.violations[0];
    const failure = r.ok ? '' : `${v.kind} at step ${v.step} (${v.timeMs} ms): ${v.description}`;
    return { seed, nodes, ok: r.ok, failure, scenario: '', wallMs: performance.now() - t0 };
  }
  const g = runGossipSeed(seed);
  const failure = g.ok ? '' : `${g.scenario}, ${g.nodes} nodes, loss ${g.loss}: ${g.failures.join('; ')}`;
  return { seed, nodes: g.nodes, ok: g.ok, failure, scenario: g.scenario, wallMs: performance.now() - t0 };
}

parentPort?.on('message', (batch: SweepBatch) => {
  const outcomes: SeedOutcome[] = [];
  for (const { seed, nodes } of batch.seeds) {
    try {
      outcomes.push(runSeed(batch, seed, nodes));
    } catch (err) {
      // The simulators report protocol failures as violations; anything thrown is a bug in the harness itself.
      outcomes.push({ seed, nodes, ok: false, failure: `threw ${(err as Error).stack ?? String(err)}`, scenario: '', wallMs: 0 });
    }
  }
  parentPort?.postMessage(outcomes);
});
