import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { addFault, parseGroups, type FaultChange } from '../../src/chaos/chaos-control.js';
import { describeFault } from '../../src/faults/faults.js';
import { partitionFault, type PartitionShape } from '../../src/chaos/partition-shapes.js';
import { readRunningCluster } from '../../src/cluster/launcher.js';
import { SeededRandom } from '../../src/random/random.js';

export default class ChaosPartition extends CcmCommand<typeof ChaosPartition> {
  static override summary = 'Split the cluster into groups that cannot reach each other (replaces any earlier partition).';
  static override description =
    'Each argument is a comma-separated group; nodes named in no group can reach everyone. Or let a shape pick the groups: ' +
    '--halves (two random halves), --majority-ring (each node reaches only a majority around it on a ring, a different one for each), ' +
    '--bridge (two halves and one node that reaches both).';
  static override examples = [
    '<%= config.bin %> chaos partition n1,n2 n3,n4,n5',
    '<%= config.bin %> chaos partition --halves',
    '<%= config.bin %> chaos partition --majority-ring --seed 7',
    '<%= config.bin %> chaos partition --bridge',
  ];
  static override strict = false;
  static override flags = {
    halves: Flags.boolean({ summary: 'Two random halves (the smaller first).', exclusive: ['majority-ring', 'bridge'] }),
    'majority-ring': Flags.boolean({ summary: 'A majority ring: every node sees a majority, no two the same one (needs 4+ nodes).', exclusive: ['halves', 'bridge'] }),
    bridge: Flags.boolean({ summary: 'Two halves that cannot reach each other, and one node in the middle that reaches both.', exclusive: ['halves', 'majority-ring'] }),
    seed: Flags.integer({ summary: 'Seed for the random choice of a shape (the same seed picks the same groups).' }),
  };

  async run(): Promise<FaultChange & { fault: string }> {
    const shape: PartitionShape | null = this.flags.halves ? 'halves' : this.flags['majority-ring'] ? 'majority-ring' : this.flags.bridge ? 'bridge' : null;
    const paths = this.clusterPaths();
    let fault;
    if (shape === null) {
      fault = { kind: 'partition' as const, groups: parseGroups(this.positional) };
    } else {
      if (this.positional.length > 0) throw new CcmError('invalid_argument', `--${shape} picks the groups itself; give either groups or a shape, not both`);
      const ids = readRunningCluster(paths).nodes.map((n) => n.id);
      const random = new SeededRandom(this.flags.seed ?? Math.floor(Math.random() * 2 ** 32));
      try {
        fault = partitionFault(shape, ids, random);
      } catch (err) {
        throw new CcmError('invalid_argument', `${(err as Error).message} (the cluster has ${ids.length})`);
      }
    }
    const change = await addFault(paths, fault);
    this.log(describeFault(fault));
    if (change.pending.length) this.log(`not running now (will apply at start): ${change.pending.join(', ')}`);
    return { ...change, fault: describeFault(fault) };
  }
}
