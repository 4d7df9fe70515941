import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import {
  runDissemination,
  runFailureDetection,
  runPartitionHeal,
  type DisseminationResult,
  type FailureDetectionResult,
  type PartitionHealResult,
} from '../../src/sim/gossip/index.js';
import { SWIM_PRESETS, type SwimPresetName } from '../../src/swim/swim-config.js';

const SCENARIOS = ['dissemination', 'failure', 'partition'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The --json shape: one entry per scenario run. */
export interface SimGossipResult {
  nodes: number;
  loss: number;
  seed: number;
  dissemination?: DisseminationResult;
  failure?: FailureDetectionResult;
  partition?: PartitionHealResult;
}

export default class SimGossip extends CcmCommand<typeof SimGossip> {
  static override summary = 'Simulate SWIM gossip on many nodes: dissemination, failure detection, partition healing.';
  static override description =
    'Runs N SwimNodes (the code every ccm node runs) in one process on virtual time with a simulated network. ' +
    'dissemination: one node changes a tag; prints per gossip round the fraction of nodes that know it, next to ' +
    "Serf's model n/(1+(n+1)·e^(−fanout·(1−loss)·r)), then the time to 99.99 % and to 100 %, and bytes per node per second. " +
    'failure: kills one node; prints when every other node declared it dead and how many live nodes were ever declared dead. ' +
    'partition: splits the cluster in two, heals it, and times the return to one view. The same seed replays the same run. ' +
    'Presets: dissemination uses lan (gossip every 200 ms to 3), failure and partition use local (probe every 200 ms), unless --preset.';
  static override examples = [
    '<%= config.bin %> sim gossip --nodes 1000 --seed 1',
    '<%= config.bin %> sim gossip --nodes 10000 --loss 0.05 --scenario dissemination',
    '<%= config.bin %> sim gossip --nodes 7 --loss 0.05 --scenario failure --json',
    '<%= config.bin %> sim gossip --nodes 50 --scenario partition',
  ];
  static override flags = {
    nodes: Flags.string({ summary: 'Simulated nodes, 2 to 20000 (default 1000).' }),
    loss: Flags.string({ summary: 'Probability that a message (datagram or push-pull leg) is lost on any link, in [0, 1) (default 0).' }),
    seed: Flags.string({ summary: 'The seed, an integer from 0 to 4294967295 (default 1).' }),
    scenario: Flags.string({
      summary: 'What to run; repeat for several (default: dissemination and failure).',
      options: [...SCENARIOS],
      multiple: true,
    }),
    preset: Flags.string({ summary: 'SWIM config for every scenario (default: lan for dissemination, local for the others).', options: Object.keys(SWIM_PRESETS) }),
  };

  async run(): Promise<SimGossipResult> {
    const nodes = this.flags.nodes === undefined ? 1000 : parseInteger('--nodes', this.flags.nodes, 2, 20_000);
    const loss = this.flags.loss === undefined ? 0 : parseLoss(this.flags.loss);
    const seed = this.flags.seed === undefined ? 1 : parseInteger('--seed', this.flags.seed, 0, 0xffffffff);
    const scenarios = new Set<Scenario>((this.flags.scenario as Scenario[] | undefined) ?? ['dissemination', 'failure']);
    const preset = this.flags.preset as SwimPresetName | undefined;
    const human = !this.jsonEnabled();
    const result: SimGossipResult = { nodes, loss, seed };
    const link = loss > 0 ? { loss } : undefined; // the link filter's rule, on every link
    if (human) this.log(`gossip simulation: ${nodes} nodes, loss ${percent(loss)}, seed ${seed}`);

    if (scenarios.has('dissemination')) {
      const r = runDissemination({ nodes, link, seed, preset: preset ?? 'lan' });
      result.dissemination = r;
      if (human) this.printDissemination(r, preset ?? 'lan');
    }
    if (scenarios.has('failure')) {
      const r = runFailureDetection({ nodes, link, seed, preset: preset ?? 'local', settleMs: 5000 });
      result.failure = r;
      if (human) this.printFailure(r, preset ?? 'local');
    }
    if (scenarios.has('partition')) {
      const r = runPartitionHeal({ nodes, link, seed, preset: preset ?? 'local' });
      result.partition = r;
      if (human) this.printPartition(r, preset ?? 'local');
    }
    return result;
  }

  private printDissemination(r: DisseminationResult, preset: string): void {
    this.log('');
    this.log(`dissemination (${preset}: gossip every ${r.gossipIntervalMs} ms to ${r.gossipNodes}): ${r.origin} changes a tag`);
    this.log('  round     time   know      serf model');
    for (const x of r.rounds) {
      this.log(`  ${String(x.round).padStart(5)} ${`${x.timeMs} ms`.padStart(8)}   ${percent(x.fraction, 2).padStart(7)}   ${percent(x.model, 2).padStart(7)}`);
    }
    const at = (ms: number | null, rounds: number | null): string => (ms === null ? 'never (gave up)' : `${seconds(ms)} (${rounds} rounds)`);
    this.log(`  99.99 % of nodes knew it after ${at(r.timeTo9999Ms, r.roundsTo9999)}; all ${r.nodes} after ${at(r.timeToAllMs, r.roundsToAll)}`);
    this.log(`  serf model: 99.99 % after ${r.model.roundsTo9999} rounds (${seconds(r.model.timeTo9999Ms)})`);
    this.log(
      `  bytes sent per node per second: ${Math.round(r.bytesPerNodePerSec)} while spreading, ${Math.round(r.backgroundBytesPerNodePerSec)} before ` +
        `(probes and acks); serf's worst-case estimate ${Math.round(r.serfEstimateBytesPerNodePerSec)}`,
    );
    this.log(`  (${seconds(r.simulatedMs)} simulated in ${seconds(r.wallMs)})`);
  }

  private printFailure(r: FailureDetectionResult, preset: string): void {
    this.log('');
    this.log(`failure detection (${preset}: probe every ${r.probeIntervalMs} ms): ${r.victim} killed`);
    this.log(
      `  first node declared it dead after ${r.firstDetectionMs === null ? 'never' : seconds(r.firstDetectionMs)}; ` +
        (r.allDetectedMs === null
          ? `only ${r.detectedBy} of ${r.observers} other nodes ever did`
          : `every other node (${r.observers}) after ${seconds(r.allDetectedMs)}`),
    );
    this.log(`  false positives: ${r.falsePositives.length} (live members declared dead); ${r.falseSuspicions} suspicions of live members, ${r.refutations} refutations`);
    for (const fp of r.falsePositives.slice(0, 5)) {
      this.log(`    ${fp.observer} declared ${fp.memberId} dead at ${seconds(fp.atMs)} (${fp.cause}, by ${fp.declaredBy}, accusers ${fp.accusers.join(',')})`);
    }
    this.log(`  bytes sent per node per second while detecting: ${Math.round(r.bytesPerNodePerSec)}`);
    this.log(`  (${seconds(r.simulatedMs)} simulated in ${seconds(r.wallMs)})`);
  }

  private printPartition(r: PartitionHealResult, preset: string): void {
    this.log('');
    this.log(`partition (${preset}): ${r.sides[0].length} | ${r.sides[1].length} nodes`);
    this.log(
      `  each side held the other dead after ${r.sidesDeclaredDeadMs === null ? 'never' : seconds(r.sidesDeclaredDeadMs)}; healed after ${seconds(r.partitionedForMs)}`,
    );
    this.log(`  one view again ${r.reconvergedAfterMs === null ? 'never (gave up)' : `${seconds(r.reconvergedAfterMs)} after the heal`}`);
    this.log(`  after the heal ${r.membersDeclaredDeadAfterHeal} live members were declared dead somewhere (${r.deadEventsAfterHeal} declarations) and came back`);
    this.log(`  false positives outside the partition: ${r.falsePositives.length}`);
    this.log(`  (${seconds(r.simulatedMs)} simulated in ${seconds(r.wallMs)})`);
  }
}

function parseInteger(flag: string, raw: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CcmError('invalid_argument', `${flag} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function parseLoss(raw: string): number {
  const value = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 0 && value < 1)) throw new CcmError('invalid_argument', `--loss must be a number in [0, 1), e.g. 0.05 (got "${raw}")`);
  return value;
}

function percent(fraction: number, digits = 0): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
