import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { appendClusterEvent } from '../../src/cluster/cluster-events.js';
import { clusterExists, readClusterFile } from '../../src/cluster/cluster-file.js';
import { upCluster } from '../../src/cluster/launcher.js';
import { encodePlantedBug, GUARANTEES, isRightGuess, parseGuess, pickBug, PLANTED_BUGS, plantedBugOf } from '../../src/exercise/planted-bugs.js';
import { SeededRandom } from '../../src/random/random.js';

export interface ExerciseBugResult {
  cluster: string;
  /** Set when a cluster was started. */
  started?: { nodes: number; candidates: number };
  /** Set for --answer. */
  answer?: string;
  isRight?: boolean;
  /** The planted bug: told once it was found, or with --reveal. */
  bug?: { name: string; description: string; breaks: string[]; shownBy: string };
}

export default class ExerciseBug extends CcmCommand<typeof ExerciseBug> {
  static override summary = 'Find the bug: start a cluster with one planted bug, find which guarantee it breaks with ccm chaos run, and check your answer.';
  static override description =
    `Without flags: starts the cluster named by --name (it must not exist yet) with one of ${PLANTED_BUGS.length} planted bugs, chosen at random. ` +
    `Run ccm chaos run against it with each workload until a checker says INVALID, then answer with that checker's name (${GUARANTEES.join(', ')}): ` +
    'ccm exercise bug --answer <guarantee> (for example, after ccm chaos run --name hunt --workload lease --duration 30s). --reveal names the bug. Exit status of --answer: 0 right, 1 not yet.';
  static override examples = [
    '<%= config.bin %> exercise bug --name hunt',
    '<%= config.bin %> exercise bug --name hunt --answer lease-exclusivity',
    '<%= config.bin %> exercise bug --name hunt --reveal',
  ];
  static override flags = {
    answer: Flags.string({ summary: `Your answer: the guarantee that breaks (${GUARANTEES.join(', ')}).`, exclusive: ['reveal'] }),
    reveal: Flags.boolean({ summary: 'Give up: name the planted bug and how to see it.', exclusive: ['answer'] }),
    nodes: Flags.integer({ summary: 'Nodes of the cluster to start.', default: 5 }),
    seed: Flags.integer({ summary: 'Seed of the random choice (the same seed plants the same bug).', hidden: true }),
  };

  async run(): Promise<ExerciseBugResult> {
    const paths = this.clusterPaths();
    if (this.flags.answer !== undefined || this.flags.reveal) {
      const guess = this.flags.answer !== undefined ? parseGuess(this.flags.answer) : null;
      const bug = plantedBugOf(readClusterFile(paths).settings.unsafeFaultSwitch);
      if (bug === null) throw new CcmError('failed_precondition', `cluster "${paths.name}" has no planted bug; start one with: ccm exercise bug --name <a new cluster>`);
      const told = { name: bug.name, description: bug.description, breaks: bug.breaks, shownBy: `${bug.shownBy} --name ${paths.name}` };
      if (guess === null) {
        appendClusterEvent(paths, 'cli', 'exercise-bug-revealed', `the planted bug was revealed: ${bug.name}`);
        this.log(`The planted bug is ${bug.name}: ${bug.description}.`);
        this.log(`It breaks ${bug.breaks.join(' and ')}. See it with: ${told.shownBy}`);
        return { cluster: paths.name, bug: told };
      }
      const isRight = isRightGuess(bug, guess);
      const answer = typeof guess === 'string' ? guess : guess.name;
      appendClusterEvent(paths, 'cli', 'exercise-bug-answer', `answer ${answer}: ${isRight ? 'right' : 'not it'}`, { answer, isRight });
      if (isRight) {
        this.log(`Yes: ${answer} breaks on this cluster. The planted bug was ${bug.name}: ${bug.description}.`);
        if (bug.breaks.length > 1) this.log(`It breaks ${bug.breaks.join(' and ')}.`);
      } else {
        this.log(`No: ${answer} is not what this bug breaks. Keep looking (other workloads, other nemeses, longer runs), or give up: ccm exercise bug --reveal --name ${paths.name}`);
        process.exitCode = 1;
      }
      return { cluster: paths.name, answer, isRight, ...(isRight ? { bug: told } : {}) };
    }
    if (clusterExists(paths)) {
      throw new CcmError('already_exists', `cluster "${paths.name}" already exists; name a new one (--name hunt), or remove it first: ccm down --purge --name ${paths.name}`);
    }
    const random = new SeededRandom(this.flags.seed ?? Math.floor(Math.random() * 2 ** 32));
    const bug = pickBug(random);
    const up = await upCluster(paths, { nodes: this.flags.nodes, settings: { unsafeFaultSwitch: encodePlantedBug(bug) } });
    appendClusterEvent(paths, 'cli', 'exercise-bug-planted', `a bug was planted in this cluster (one of ${PLANTED_BUGS.length})`);
    const n = `--name ${paths.name}`;
    this.log(`cluster "${paths.name}": ${up.file.nodes.length} nodes, with one bug planted in it (one of ${PLANTED_BUGS.length}).`);
    this.log('Find which guarantee it breaks: run the chaos workloads against it, for example');
    for (const w of ['register', 'lease', 'config', 'registry']) this.log(`  ccm chaos run ${n} --workload ${w} --duration 30s`);
    this.log('and answer with the checker that says INVALID:');
    this.log(`  ccm exercise bug ${n} --answer <${GUARANTEES.join('|')}>`);
    return { cluster: paths.name, started: { nodes: up.file.nodes.length, candidates: PLANTED_BUGS.length } };
  }
}
