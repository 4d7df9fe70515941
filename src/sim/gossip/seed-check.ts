/**
 * One seed of the gossip sweep (`npm run sim -- gossip --seeds a-b`): the seed picks a scenario, a cluster size
 * and a loss rate on every link (a link filter rule), runs it on virtual time, and judges it by the properties the SWIM tests hold to — a killed node
 * is declared dead everywhere, no live node is ever declared dead, views reconverge after a partition, a restarted
 * node comes back with a higher incarnation. The same seed replays the same run.
 */
import { SeededRandom } from '../../random/random.js';
import { runFailureDetection, runPartitionHeal, runRestart, runStability } from './scenarios.js';

export const GOSSIP_SEED_SCENARIOS = ['failure', 'stability', 'partition', 'restart'] as const;
export type GossipSeedScenario = (typeof GOSSIP_SEED_SCENARIOS)[number];

export interface GossipSeedResult {
  seed: number;
  scenario: GossipSeedScenario;
  nodes: number;
  loss: number;
  ok: boolean;
  /** What fell short, one line each (empty when ok). */
  failures: string[];
}

/** Virtual time within which every live node must have declared a killed node dead. */
const DETECTION_DEADLINE_MS = 30_000;

export function runGossipSeed(seed: number): GossipSeedResult {
  const r = new SeededRandom(seed);
  const scenario = GOSSIP_SEED_SCENARIOS[seed % GOSSIP_SEED_SCENARIOS.length];
  const nodes = r.int(scenario === 'partition' ? 4 : 3, 12);
  const loss = [0, 0, 0.02, 0.05][r.int(0, 3)];
  const failures: string[] = [];
  try {
    judge(scenario, { nodes, loss, seed }, failures);
  } catch (err) {
    failures.push(`${(err as Error).name}: ${(err as Error).message}`);
  }
  return { seed, scenario, nodes, loss, ok: failures.length === 0, failures };
}

function judge(scenario: GossipSeedScenario, o: { nodes: number; loss: number; seed: number }, failures: string[]): void {
  const { nodes, seed } = o;
  const link = o.loss > 0 ? { loss: o.loss } : undefined;
  const falsePositives = (fps: readonly { observer: string; memberId: string }[]): void => {
    for (const fp of fps.slice(0, 3)) failures.push(`${fp.observer} declared live ${fp.memberId} dead`);
  };
  switch (scenario) {
    case 'failure': {
      const res = runFailureDetection({ nodes, link, seed, settleMs: 10_000 });
      if (res.allDetectedMs === null) failures.push(`only ${res.detectedBy} of ${res.observers} live nodes declared ${res.victim} dead`);
      else if (res.allDetectedMs >= DETECTION_DEADLINE_MS) failures.push(`${res.victim} was declared dead everywhere only after ${res.allDetectedMs} ms`);
      falsePositives(res.falsePositives);
      break;
    }
    case 'stability': {
      const res = runStability({ nodes, link, seed, durationMs: 20_000 });
      falsePositives(res.falsePositives);
      if (!res.isConvergedAtEnd) failures.push('views differ at the end');
      break;
    }
    case 'partition': {
      const res = runPartitionHeal({ nodes, link, seed });
      if (res.sidesDeclaredDeadMs === null) failures.push('the two sides never declared each other dead');
      if (res.reconvergedAfterMs === null) failures.push('views never reconverged after the heal');
      falsePositives(res.falsePositives);
      break;
    }
    case 'restart': {
      const res = runRestart({ nodes, link, seed });
      if (res.backAliveAfterMs === null) failures.push(`${res.victim} never came back alive everywhere`);
      else if (res.incarnationAfter === null || res.incarnationAfter <= res.incarnationAtDeath) {
        failures.push(`${res.victim} came back with incarnation ${res.incarnationAfter}, not above ${res.incarnationAtDeath}`);
      }
      falsePositives(res.falsePositives);
      break;
    }
  }
}
