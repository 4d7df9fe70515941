import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { paintVerdictLine } from '../../src/cli/colour.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { DEFAULTS, EXIT_CODES, runChaos, type ChaosRunResult } from '../../src/chaos/chaos-run.js';
import { parseDurationArg } from '../../src/faults/fault-args.js';
import { parseNemesisList, NEMESIS_KINDS } from '../../src/chaos/fault-schedule.js';
import { parseWorkloadName, WORKLOAD_NAMES, WORKLOAD_SUMMARIES } from '../../src/workload/index.js';

export default class ChaosRun extends CcmCommand<typeof ChaosRun> {
  static override summary = 'Run a workload against the cluster under a seeded nemesis, record the history, and check it (Jepsen, built in).';
  static override description =
    `Workloads:\n${WORKLOAD_NAMES.map((w) => `  ${w.padEnd(9)} ${WORKLOAD_SUMMARIES[w]}`).join('\n')}\n\n` +
    `Nemeses (comma-separated, or all, or none): ${NEMESIS_KINDS.join(', ')}. Each cycles on its own: rest, inject a fault, hold it, ` +
    'stop it (partitions: random halves, a majority ring, a bridge, an isolated node or leader; kill: SIGKILL then restart; pause: SIGSTOP then SIGCONT; ' +
    'delay and loss on every link; skew: one node\'s wall clock; clock-rate: one node\'s timers and lease TTLs run 2x or 0.5x). ' +
    'The lease workload adds clock-rate to its default nemeses. At the end every fault is healed, the cluster recovers, and the final phase runs.\n\n' +
    'Exit status: 0 valid, 1 invalid, 3 unknown (a checker ran out of its budget), 130 interrupted. Ctrl-C heals every fault before exiting.';
  static override examples = [
    '<%= config.bin %> chaos run --workload register --nemesis partition,kill,pause --duration 60s --seed 7',
    '<%= config.bin %> chaos run --workload register --nemesis all --duration 2m --report out/',
  ];
  static override flags = {
    workload: Flags.string({ summary: `What the clients do: ${WORKLOAD_NAMES.join(', ')}.`, default: 'register' }),
    nemesis: Flags.string({ summary: `Faults to inject, comma-separated: ${NEMESIS_KINDS.join(', ')}; or all, or none. Default: partition,kill,pause (and clock-rate for the lease workload).` }),
    duration: Flags.string({ summary: 'How long the clients and the nemesis run (then heal, recovery, final phase).', default: '60s' }),
    seed: Flags.integer({ summary: 'Seed of the schedule and the clients\' choices (default: random, printed).' }),
    report: Flags.string({ summary: 'Directory for history.json, verdict.txt and report.html.' }),
    clients: Flags.integer({ summary: 'Client processes.', default: DEFAULTS.clients }),
    interval: Flags.string({ summary: 'Mean rest and mean hold of each nemesis cycle.', default: '5s' }),
    recovery: Flags.string({ summary: 'Quiet time after the heal, before the final phase.', default: '5s' }),
    'op-timeout': Flags.string({ summary: 'Deadline of one operation (past it, the outcome is indeterminate).', default: '2s' }),
    'check-time': Flags.string({ summary: 'Time budget of the linearizability search (past it, the verdict is unknown).', default: '60s' }),
  };

  async run(): Promise<ChaosRunResult> {
    // Every input is checked before anything changes.
    const workload = parseWorkloadName(this.flags.workload);
    const nemesis = parseNemesisList(this.flags.nemesis ?? defaultNemesis(workload));
    const durationMs = parseDurationArg(this.flags.duration, 'duration', { minMs: 1000, maxMs: 86_400_000 });
    const intervalMs = parseDurationArg(this.flags.interval, 'interval', { minMs: 500, maxMs: 3_600_000 });
    const recoveryMs = parseDurationArg(this.flags.recovery, 'recovery', { minMs: 0, maxMs: 3_600_000 });
    const opTimeoutMs = parseDurationArg(this.flags['op-timeout'], 'op-timeout', { minMs: 100, maxMs: 60_000 });
    const checkTimeMs = parseDurationArg(this.flags['check-time'], 'check-time', { minMs: 1000, maxMs: 86_400_000 });
    if (this.flags.clients < 1 || this.flags.clients > 200) throw new CcmError('invalid_argument', `--clients must be from 1 to 200 (got ${this.flags.clients})`);
    const seed = this.flags.seed ?? Math.floor(Math.random() * 1_000_000);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new CcmError('invalid_argument', `--seed must be a whole number >= 0 (got ${seed})`);

    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (): void => {
      interrupts++;
      if (interrupts === 1) {
        process.stderr.write('\ninterrupted: stopping the clients and healing every fault (Ctrl-C again to quit without waiting)\n');
        controller.abort();
      } else {
        process.stderr.write('quitting without waiting: run ccm chaos heal to be sure no fault is left\n');
        process.exit(EXIT_CODES.interrupted);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const isHuman = !this.jsonEnabled();
    let result: ChaosRunResult;
    try {
      result = await runChaos(this.clusterPaths(), {
        workload,
        nemesis,
        durationMs,
        seed,
        intervalMs,
        recoveryMs,
        clients: this.flags.clients,
        opTimeoutMs,
        checkTimeMs,
        ...(this.flags.report !== undefined ? { reportDir: this.flags.report } : {}),
        ...(isHuman ? { onLine: (line: string) => this.log(line) } : {}),
        signal: controller.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    this.log('');
    this.log(result.verdictText.trimEnd().split('\n').map(paintVerdictLine).join('\n'));
    if (result.verdict === 'unknown') {
      this.log('\nThe verdict is UNKNOWN: a checker could not decide within its budget (see above); raise --check-time or shorten the run.');
    }
    if (result.reportFiles.length > 0) this.log(`\nreport: ${result.reportFiles.join(', ')}`);
    process.exitCode = EXIT_CODES[result.verdict];
    return result;
  }
}

/** Leases are where a drifting clock bites, so the lease workload runs with clock-rate too. */
function defaultNemesis(workload: string): string {
  return workload === 'lease' ? 'partition,kill,pause,clock-rate' : 'partition,kill,pause';
}
