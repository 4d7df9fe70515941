import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../../src/cli/ccm-command.js';
import { CcmError } from '../../../src/errors/ccm-error.js';
import type { HealthCheckSpec, HealthCheckView } from '../../../src/api/api-types.js';
import { addHealthCheck } from '../../../src/cluster/cluster-gossip.js';
import { DurationError, parseDuration } from '../../../src/time/duration.js';

export default class HealthCheckAdd extends CcmCommand<typeof HealthCheckAdd> {
  static override summary = 'Add (or replace) a user health check on a node: HTTP, TCP or command. Stored; survives restarts.';
  static override description =
    'HTTP: 2xx passing, 429 warning, anything else (or no answer within the timeout) critical. TCP: a connection is passing. ' +
    'Command (/bin/sh -c): exit 0 passing, 1 warning, anything else critical. The timeout must be shorter than the interval.';
  static override examples = [
    '<%= config.bin %> health check add n2 api --http http://127.0.0.1:8080/health --interval 5s --timeout 1s',
    '<%= config.bin %> health check add n2 db --tcp 127.0.0.1:5432 --interval 10s',
    '<%= config.bin %> health check add n2 load --command "test $(cut -d. -f1 /proc/loadavg) -lt 4" --interval 30s --timeout 2s',
  ];
  static override args = {
    node: Args.string({ description: 'node id, e.g. n2', required: true }),
    check: Args.string({ description: 'check name: 1-64 of a-z A-Z 0-9 _ . - (--name is the cluster, as in every command)', required: true }),
  };
  static override flags = {
    http: Flags.string({ summary: 'URL to GET.', exclusive: ['tcp', 'command'] }),
    tcp: Flags.string({ summary: 'host:port to connect to.', exclusive: ['http', 'command'] }),
    command: Flags.string({ summary: 'Command line run with /bin/sh -c (only on a cluster started with ccm up --allow-command-checks).', exclusive: ['http', 'tcp'] }),
    interval: Flags.string({ summary: 'How often to run it, e.g. 5s (default 10s).', default: '10s' }),
    timeout: Flags.string({ summary: 'Give up on a run after this long, e.g. 1s (default: 1s, or half the interval if shorter).' }),
  };

  async run(): Promise<HealthCheckView & { node: string }> {
    const name = this.args.check;
    const intervalMs = duration(this.flags.interval, '--interval');
    const timeoutMs = this.flags.timeout === undefined ? Math.min(1000, Math.floor(intervalMs / 2)) : duration(this.flags.timeout, '--timeout');
    const spec: HealthCheckSpec = { intervalMs, timeoutMs };
    if (this.flags.http !== undefined) spec.http = this.flags.http;
    else if (this.flags.tcp !== undefined) spec.tcp = this.flags.tcp;
    else if (this.flags.command !== undefined) spec.command = this.flags.command;
    else throw new CcmError('invalid_argument', 'give one of --http URL, --tcp host:port or --command "..."');
    const result = await addHealthCheck(this.clusterPaths(), this.args.node, name, spec);
    this.log(`${result.node}: check ${result.name} (${result.kind} ${result.target}) every ${intervalMs} ms, timeout ${timeoutMs} ms; now ${result.status}: ${result.output}`);
    return result;
  }
}

function duration(text: string, flag: string): number {
  try {
    return parseDuration(text, flag);
  } catch (err) {
    if (err instanceof DurationError) throw new CcmError('invalid_argument', err.message);
    throw err;
  }
}
