import { CcmCommand } from '../../src/cli/ccm-command.js';
import { chaosStatus, type ChaosStatus } from '../../src/chaos/chaos-control.js';
import { readChaosRunState } from '../../src/chaos/chaos-run-state.js';

export default class ChaosStatusCommand extends CcmCommand<typeof ChaosStatusCommand> {
  static override summary = 'Every fault in effect, in words: link faults, killed, paused and down nodes, clock skews, a chaos run in progress.';
  static override description =
    'Read from cluster.json and the nodes: every partition, delay, loss or duplication rule, every killed, paused or stopped node, every clock offset, and a chaos run in progress. Nothing here changes anything.';
  static override examples = ['<%= config.bin %> chaos status', '<%= config.bin %> chaos status --json'];

  async run(): Promise<ChaosStatus & { run: ReturnType<typeof readChaosRunState> }> {
    const paths = this.clusterPaths();
    const status = await chaosStatus(paths);
    const run = readChaosRunState(paths);
    if (run) status.lines.unshift(`chaos run in progress (pid ${run.pid}, workload ${run.workload}, nemesis ${run.nemesis.join(',')}, seed ${run.seed}, started ${new Date(run.startedAtMs).toISOString()})`);
    this.log(status.lines.length === 0 ? 'no faults: every link is clear, every node runs with its clock right' : status.lines.join('\n'));
    return { ...status, run };
  }
}
