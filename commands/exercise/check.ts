import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { parseDurationArg } from '../../src/faults/fault-args.js';
import { checkExercise } from '../../src/exercise/exercise-check.js';
import { renderExerciseResult, type ExerciseResult } from '../../src/exercise/exercise-result.js';
import { CHAOS_TARGETS, EXERCISE_IDS, EXERCISES, parseChaosTargets, parseExerciseId, parseLanguage, programCommand, type ChaosTarget } from '../../src/exercise/exercises.js';
import { killAllLearnerProcesses } from '../../src/exercise/learner-process.js';

/** Bundled solutions the chaos exercise runs when no --target is given. */
const DEFAULT_CHAOS_TARGETS: ChaosTarget[] = ['lease', 'gossip'];

export default class ExerciseCheck extends CcmCommand<typeof ExerciseCheck> {
  static override summary = 'Check your program for an exercise, as Jepsen would: a workload under a seeded nemesis, then a verdict with the smallest counter-example.';
  static override description =
    `Exercises: ${EXERCISE_IDS.join(', ')} (ccm exercise list). Give the command that starts your program after --, ` +
    'or run a bundled one with --solution reference|broken. Recipes (lease, watch, election-recipe) run your program as 3 client processes ' +
    'against the cluster named by --name (a throwaway one if it is not running); protocols (gossip, failure-detection, election) run it as ' +
    '--nodes nodes with the harness as their network, then ccm\'s own implementation the same way for comparison. ' +
    'chaos runs earlier solutions (--target) under every fault at once. Protocols: docs/exercises/. ' +
    'Exit status: 0 pass, 1 fail, 130 interrupted (every process stopped, every fault healed).';
  static override examples = [
    '<%= config.bin %> exercise check lease --solution reference',
    '<%= config.bin %> exercise check gossip -- python3 my_gossip.py',
    '<%= config.bin %> exercise check failure-detection --solution broken --duration 15s',
    '<%= config.bin %> exercise check chaos --target lease -- python3 my_lease.py',
  ];
  static override strict = false;
  static override args = { exercise: Args.string({ required: true, description: `one of ${EXERCISE_IDS.join(', ')}` }) };
  static override flags = {
    solution: Flags.string({ summary: 'Run a bundled program instead of yours: reference (passes) or broken (fails).', options: ['reference', 'broken', 'starter'] }),
    language: Flags.string({ summary: 'Language of the bundled program: py or ts (default: the first there is).' }),
    duration: Flags.string({ summary: 'Length of the main phase (default: the exercise\'s, 20-30 s).' }),
    seed: Flags.integer({ summary: 'Seed of the faults and the workload\'s choices (default: random, printed): the same seed replays the run.' }),
    nodes: Flags.integer({ summary: 'Nodes of a protocol exercise.', default: 5 }),
    compare: Flags.boolean({ summary: 'Also run ccm\'s own implementation for comparison (protocol exercises).', default: true, allowNo: true }),
    target: Flags.string({ summary: `chaos: which exercises' solutions to run under every fault (${CHAOS_TARGETS.join(', ')}).` }),
  };

  async run(): Promise<ExerciseResult> {
    const exercise = parseExerciseId(this.args.exercise);
    const command = this.positional.slice(1);
    const solution = this.flags.solution as 'reference' | 'broken' | 'starter' | undefined;
    if (command.length > 0 && solution) throw new CcmError('invalid_argument', 'give either a command after -- or --solution, not both');
    if (command.length === 0 && !solution) {
      throw new CcmError('invalid_argument', `give the command that starts your program after --, e.g. ccm exercise check ${exercise} -- python3 my_${exercise.replace(/-/g, '_')}.py; or --solution reference|broken`);
    }
    const language = this.flags.language === undefined ? undefined : parseLanguage(this.flags.language);
    const durationMs = this.flags.duration === undefined ? undefined : parseDurationArg(this.flags.duration, 'duration', { minMs: 2000, maxMs: 3_600_000 });
    if (this.flags.nodes < 3 || this.flags.nodes > 25) throw new CcmError('invalid_argument', `--nodes must be from 3 to 25 (got ${this.flags.nodes})`);
    const seed = this.flags.seed ?? Math.floor(Math.random() * 1_000_000);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new CcmError('invalid_argument', `--seed must be a whole number >= 0 (got ${seed})`);

    const commands: Partial<Record<ChaosTarget, string[]>> = {};
    if (exercise === 'chaos') {
      const targets = this.flags.target !== undefined ? parseChaosTargets(this.flags.target) : solution ? DEFAULT_CHAOS_TARGETS : null;
      if (targets === null) throw new CcmError('invalid_argument', `say which exercise your program solves: --target ${CHAOS_TARGETS.join('|')}`);
      if (command.length > 0 && targets.length > 1) throw new CcmError('invalid_argument', 'one command solves one exercise: give a single --target with it');
      for (const t of targets) commands[t] = command.length > 0 ? command : programCommand(t, solution!, language && EXERCISES[t].programs[solution!].includes(language) ? language : undefined);
    } else {
      if (this.flags.target !== undefined) throw new CcmError('invalid_argument', '--target is for the chaos exercise');
      commands[exercise] = command.length > 0 ? command : programCommand(exercise, solution!, language);
    }
    const replay = [
      'ccm exercise check',
      exercise,
      ...(this.flags.target ? ['--target', this.flags.target] : []),
      ...(solution ? ['--solution', solution] : []),
      ...(this.flags.language ? ['--language', this.flags.language] : []),
      '--seed',
      String(seed),
      ...(this.flags.duration ? ['--duration', this.flags.duration] : []),
      ...(this.flags.nodes !== 5 ? ['--nodes', String(this.flags.nodes)] : []),
      ...(this.flags.compare ? [] : ['--no-compare']),
      ...(command.length ? ['--', ...command] : []),
    ].join(' ');

    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (): void => {
      interrupts++;
      if (interrupts === 1) {
        process.stderr.write('\ninterrupted: stopping every process and healing the cluster (Ctrl-C again to quit at once)\n');
        controller.abort();
      } else {
        killAllLearnerProcesses();
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const isHuman = !this.jsonEnabled();
    let result: ExerciseResult;
    try {
      if (isHuman) this.log(`exercise ${EXERCISES[exercise].number}, ${EXERCISES[exercise].title}: seed ${seed}`);
      result = await checkExercise({
        exercise,
        commands,
        paths: this.clusterPaths(),
        ...(durationMs !== undefined ? { durationMs } : {}),
        seed,
        nodeCount: this.flags.nodes,
        compare: this.flags.compare,
        replay,
        signal: controller.signal,
        ...(isHuman ? { say: (line: string) => this.log(line) } : {}),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      killAllLearnerProcesses();
    }
    if (isHuman) {
      this.log('');
      this.log(renderExerciseResult(result));
    }
    process.exitCode = controller.signal.aborted ? 130 : result.verdict === 'pass' ? 0 : 1;
    return result;
  }
}
