/**
 * `ccm exercise check <exercise>`: runs the learner's program (or a bundled one) through the exercise's check and
 * returns the verdict with its evidence. Recipes run on a real cluster, protocols on the harness's own network; the
 * chaos exercise runs earlier exercises' checks with every fault at once.
 */
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import type { ExerciseResult, RunResult } from './exercise-result.js';
import { CHAOS_TARGETS, EXERCISES, type ChaosTarget, type ExerciseId } from './exercises.js';
import { checkProtocolExercise } from './protocol/protocol-check.js';
import { ElectionRecipeWorkload } from './recipe/election-recipe-exercise.js';
import { LeaseRecipeWorkload } from './recipe/lease-exercise.js';
import { runRecipe, useCluster, type RecipeWorkload } from './recipe/recipe-run.js';
import { WatchRecipeWorkload } from './recipe/watch-exercise.js';

export interface ExerciseCheckOptions {
  exercise: ExerciseId;
  /** The program, per exercise: one command for a single exercise; for chaos, one per target. */
  commands: Partial<Record<ChaosTarget, readonly string[]>>;
  /** The cluster for recipes (a throwaway one is started if it does not run). */
  paths: ClusterPaths;
  /** Main phase per run; default the exercise's. */
  durationMs?: number;
  seed: number;
  /** Nodes of a protocol exercise (default 5). */
  nodeCount: number;
  /** Run ccm's own implementation beside the learner's (protocol exercises). */
  compare: boolean;
  /** How to replay this check. */
  replay: string;
  signal?: AbortSignal;
  say?: (line: string) => void;
}

function recipeWorkload(id: 'lease' | 'watch' | 'election-recipe'): RecipeWorkload {
  if (id === 'lease') return new LeaseRecipeWorkload();
  if (id === 'watch') return new WatchRecipeWorkload();
  return new ElectionRecipeWorkload();
}

/** One exercise's check at an intensity ('all': the chaos exercise). */
async function checkOne(target: ChaosTarget, command: readonly string[], options: ExerciseCheckOptions, intensity: 'normal' | 'all', say: (line: string) => void): Promise<ExerciseResult> {
  const durationMs = options.durationMs ?? EXERCISES[target].defaultDurationMs;
  if (target === 'gossip' || target === 'failure-detection' || target === 'election') {
    return checkProtocolExercise(target, {
      command,
      nodeCount: options.nodeCount,
      durationMs,
      seed: options.seed,
      intensity,
      compare: options.compare && intensity === 'normal',
      replay: options.replay,
      signal: options.signal,
      say,
    });
  }
  const cluster = await useCluster(options.paths, say);
  try {
    const run = await runRecipe(target, recipeWorkload(target), { command, label: 'your program', paths: cluster.paths, durationMs, seed: options.seed, intensity, signal: options.signal, say });
    return { exercise: target, seed: options.seed, verdict: run.verdict, runs: [run], replay: options.replay };
  } finally {
    await cluster.release();
  }
}

export async function checkExercise(options: ExerciseCheckOptions): Promise<ExerciseResult> {
  const say = options.say ?? (() => undefined);
  if (options.exercise !== 'chaos') {
    const command = options.commands[options.exercise as ChaosTarget];
    if (!command) throw new Error(`no command for ${options.exercise}`);
    return checkOne(options.exercise as ChaosTarget, command, options, 'normal', say);
  }
  const runs: RunResult[] = [];
  for (const target of CHAOS_TARGETS) {
    const command = options.commands[target];
    if (!command || options.signal?.aborted) continue;
    say(`\n== ${target} under every fault at once ==`);
    const result = await checkOne(target, command, options, 'all', say);
    runs.push({ ...result.runs[0], label: target });
  }
  return { exercise: 'chaos', seed: options.seed, verdict: runs.every((r) => r.verdict === 'pass') && runs.length > 0 ? 'pass' : 'fail', runs, replay: options.replay };
}
