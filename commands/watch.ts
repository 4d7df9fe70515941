import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { durationOrLegacyMs } from '../src/cli/duration-flag.js';
import { clusterEndpoints } from '../src/cluster/cluster-client.js';
import { readRunningCluster } from '../src/cluster/cluster-file.js';
import { watch } from '../src/client/ccm-client.js';
import { validateKey } from '../src/core/commands.js';

export default class Watch extends CcmCommand<typeof Watch> {
  static override summary = 'Stream every change to a key or prefix, in revision order, until Ctrl-C (resumes across node failures).';
  static override description =
    'Replays history from --from-rev (if given), then streams live changes: every put and delete, one line each with its revision, never a gap or a duplicate. If the node serving the watch fails, it resumes on another from the last revision seen. A revision older than the compaction point is refused with `compacted`.';
  static override examples = ['<%= config.bin %> watch /config/ --prefix', '<%= config.bin %> watch /app/color --from-rev 42 --json'];
  static override args = { key: Args.string({ required: true, description: 'the key, or the prefix with --prefix' }) };
  static override flags = {
    prefix: Flags.boolean({ summary: 'Every key starting with the argument.' }),
    'from-rev': Flags.integer({ summary: 'Replay history from this revision (inclusive) before live changes.' }),
    progress: Flags.string({ summary: 'How often an idle stream reports progress, e.g. 5s.', default: '5s' }),
    'progress-ms': Flags.integer({ summary: 'Deprecated: --progress in milliseconds (use --progress 5s).', deprecated: { to: 'progress', message: '--progress-ms is deprecated: write --progress with a unit, e.g. --progress 5s' } }),
  };

  async run(): Promise<void> {
    validateKey(this.args.key);
    const progressMs =
      this.flags['progress-ms'] !== undefined ? durationOrLegacyMs(`${this.flags['progress-ms']}ms`, '--progress-ms', { minMs: 100, maxMs: 600_000 }) : durationOrLegacyMs(this.flags.progress, '--progress', { minMs: 100, maxMs: 600_000 });
    const file = readRunningCluster(this.clusterPaths());
    const asJson = this.jsonEnabled();
    const out = (line: string): void => void process.stdout.write(line + '\n');
    const w = watch(clusterEndpoints(file), this.args.key, {
      prefix: this.flags.prefix,
      fromRevision: this.flags['from-rev'],
      progressMs,
      onEvents: (events, revision) => {
        for (const e of events) {
          if (asJson) out(JSON.stringify({ revision, ...e }));
          else out(`${String(revision).padStart(6)}  ${e.type.toUpperCase().padEnd(6)} ${e.kv.key}${e.type === 'put' ? ` = ${e.kv.value}` : ''}`);
        }
      },
      onReconnect: (node, from, reason) => process.stderr.write(`(reconnecting to ${node} from revision ${from}: ${reason})\n`),
    });
    const stop = (): void => w.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (!asJson) process.stderr.write(`watching ${this.args.key}${this.flags.prefix ? ' (prefix)' : ''}; Ctrl-C to stop\n`);
    await w.done;
  }
}
