import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { DEFAULT_RAFT_SIM_NODES, DEFAULT_RAFT_SIM_STEPS, runRaftSimulation, type RaftSimReport } from '../../src/sim/raft/raft-simulator.js';

export default class SimRaft extends CcmCommand<typeof SimRaft> {
  static override summary = 'Run one seed of the deterministic Raft simulation and check its invariants.';
  static override description =
    'Runs N Raft nodes in one process on virtual time with a simulated network (delay, loss, reordering, duplication, ' +
    'partitions) and crash/restarts, checking election safety, log matching, leader completeness, state machine safety ' +
    'and read linearizability after every step, then liveness once faults heal. The same seed replays the same run. ' +
    'Exits non-zero if an invariant was violated.';
  static override examples = [
    '<%= config.bin %> sim raft --seed 42',
    '<%= config.bin %> sim raft --seed 42 --nodes 3 --steps 10000 --trace',
    '<%= config.bin %> sim raft --seed 7 --json',
  ];
  static override flags = {
    seed: Flags.string({ summary: 'The seed (an integer, 0 to 4294967295).', required: true }),
    nodes: Flags.string({ summary: `Initial voters, 1 to 9 (default ${DEFAULT_RAFT_SIM_NODES}).` }),
    steps: Flags.string({ summary: `Events to simulate before faults stop (default ${DEFAULT_RAFT_SIM_STEPS}).` }),
    trace: Flags.boolean({ summary: 'Print one line per event (step, time, node, role, term, commit, event).', default: false }),
  };

  async run(): Promise<RaftSimReport> {
    const seed = parseInteger('--seed', this.flags.seed, 0, 0xffffffff);
    const nodes = this.flags.nodes === undefined ? DEFAULT_RAFT_SIM_NODES : parseInteger('--nodes', this.flags.nodes, 1, 9);
    const steps = this.flags.steps === undefined ? DEFAULT_RAFT_SIM_STEPS : parseInteger('--steps', this.flags.steps, 0, 10_000_000);
    const human = !this.jsonEnabled();
    const report = runRaftSimulation({
      seed,
      nodes,
      steps,
      trace: this.flags.trace && human ? (line) => this.log(line) : undefined,
    });
    if (human) {
      const s = report.stats;
      const f = s.faults;
      if (this.flags.trace) this.log('');
      this.log(`raft simulation: seed ${seed}, ${nodes} voters, ${report.steps} steps, ${(report.timeMs / 1000).toFixed(2)} s virtual`);
      this.log(
        `  params: election ${report.params.electionTicks} ticks, heartbeat ${report.params.heartbeatTicks}, pre-vote ${report.params.preVote}, ` +
          `check-quorum ${report.params.checkQuorum}, max msg ${report.params.maxSizePerMsgBytes} B, inflight ${report.params.maxInflightMsgs}, ` +
          `snapshot every ${report.params.snapshotEveryEntries} entries, one-way delay 1+${report.params.delayMsMean} ms, ` +
          `${report.params.orderedPaths ? 'ordered paths' : 'reordering paths'}`,
      );
      this.log(
        `  leaders elected ${s.leadersElected}, entries committed ${s.entriesCommitted}, proposals ${s.proposalsAccepted} accepted / ${s.proposalsRejected} refused, ` +
          `reads ${s.readsAnswered}/${s.readsRequested} answered`,
      );
      this.log(
        `  snapshots ${s.snapshotsSent} sent / ${s.snapshotsRestored} restored, conf changes ${s.confChangesApplied}/${s.confChangesProposed} applied, ` +
          `transfers ${s.transfersRequested}, forced elections ${s.forcedElections}`,
      );
      this.log(
        `  faults ${f.total}: crashes ${f.crashes} (${f.crashesDuringWrite} mid-write), partitions ${f.partitions}, isolations ${f.isolations}, majority rings ${f.majorityRings}, one-way ${f.oneWayPartitions}, ` +
          `loss ${f.lossBursts}, duplication ${f.duplicationBursts}, reorder ${f.reorderBursts}, clogs ${f.clogs}; ` +
          `messages ${s.messagesDelivered} delivered, ${s.messagesDropped} dropped`,
      );
      if (report.ok) {
        this.log(`  ok: no invariant violated; liveness reached after faults healed`);
      } else {
        for (const v of report.violations) this.log(`  VIOLATION at step ${v.step} (${v.timeMs} ms) ${v.kind}: ${v.description}`);
        this.log(`  replay: npx ccm sim raft --seed ${seed} --nodes ${nodes} --steps ${steps} --trace`);
      }
    }
    if (!report.ok) process.exitCode = 1;
    return report;
  }
}

function parseInteger(flag: string, raw: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CcmError('invalid_argument', `${flag} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}
