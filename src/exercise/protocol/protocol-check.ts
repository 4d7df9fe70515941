/**
 * `ccm exercise check gossip | failure-detection | election`: runs the learner's program as N nodes under the
 * exercise's workload and faults, then (unless told not to) ccm's own implementation as the same N nodes under the
 * same seed, and returns both runs for the side-by-side report.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExerciseResult, RunResult } from '../exercise-result.js';
import { ElectionWorkload } from './election-exercise.js';
import { DetectorWorkload } from './detector-exercise.js';
import { GossipWorkload } from './gossip-exercise.js';
import { runProtocol, type ProtocolWorkload } from './protocol-run.js';

export type ProtocolExercise = 'gossip' | 'failure-detection' | 'election';

/**
 * ccm's own implementation as a node program (SWIM, the emergent-leader rule): the bundle `npm run build` makes of
 * src/exercise/baseline/ccm-node-main.ts (one file starts faster), else the compiled module itself.
 */
const BUNDLED_BASELINE = fileURLToPath(new URL('../../../exercise-node.js', import.meta.url));
export const BASELINE_NODE = fs.existsSync(BUNDLED_BASELINE) ? BUNDLED_BASELINE : fileURLToPath(new URL('../baseline/ccm-node-main.js', import.meta.url));
export const BASELINE_LABEL = 'ccm (SWIM + Lifeguard)';

export interface ProtocolCheckOptions {
  command: readonly string[];
  nodeCount: number;
  durationMs: number;
  seed: number;
  intensity: 'normal' | 'all';
  /** Also run ccm's own implementation, for the comparison (default true). */
  compare: boolean;
  /** How to replay this check (for the report). */
  replay: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  say?: (line: string) => void;
}

export function createProtocolWorkload(exercise: ProtocolExercise): ProtocolWorkload {
  switch (exercise) {
    case 'gossip':
      return new GossipWorkload();
    case 'failure-detection':
      return new DetectorWorkload();
    case 'election':
      return new ElectionWorkload();
  }
}

export async function checkProtocolExercise(exercise: ProtocolExercise, options: ProtocolCheckOptions): Promise<ExerciseResult> {
  const base = { nodeCount: options.nodeCount, durationMs: options.durationMs, seed: options.seed, intensity: options.intensity, signal: options.signal, say: options.say };
  const runs: RunResult[] = [];
  runs.push(await runProtocol(createProtocolWorkload(exercise), { ...base, command: options.command, label: 'your program', env: options.env }));
  if (options.compare && !options.signal?.aborted) {
    options.say?.('');
    runs.push(
      await runProtocol(createProtocolWorkload(exercise), {
        ...base,
        command: [process.execPath, BASELINE_NODE],
        label: exercise === 'election' ? 'ccm (emergent leader)' : BASELINE_LABEL,
        env: { CCM_EXERCISE_SEED: String(options.seed) },
      }),
    );
  }
  return { exercise, seed: options.seed, verdict: runs[0].verdict, runs, replay: options.replay };
}
