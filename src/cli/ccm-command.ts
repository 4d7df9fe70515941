import fs from 'node:fs';
import { Command, Flags, Interfaces } from '@oclif/core';
import { setExplicitToken } from '../client/api-access.js';
import { CcmError } from '../errors/ccm-error.js';
import { clusterPaths, type ClusterPaths } from '../cluster/cluster-dir.js';
import { setColourMode } from './colour.js';
import { connectToEndpoints } from '../cluster/cluster-client.js';

export type CcmFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof CcmCommand)['baseFlags'] & T['flags']>;
export type CcmArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * The base of every ccm command: the global --name/--dir flags, --json, and one error policy.
 * An expected error (CcmError) prints `error: <message>` (or `{error:{code,message}}` under --json) and exits 1;
 * a flag parse error exits 2; anything else is a bug and shows its stack.
 */
export abstract class CcmCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    name: Flags.string({
      summary: 'Cluster name.',
      default: 'default',
      helpGroup: 'GLOBAL',
    }),
    dir: Flags.string({
      summary: 'Cluster home directory (holds one folder per cluster).',
      env: 'CCM_HOME',
      default: './.ccm',
      helpGroup: 'GLOBAL',
    }),
    token: Flags.string({
      summary: "The cluster's API token, for scripts and other hosts (default: read from the cluster directory).",
      env: 'CCM_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    endpoints: Flags.string({
      summary: 'Reach a cluster by its nodes\' API addresses, host:port,… (agents on other hosts), instead of its directory; with --token.',
      env: 'CCM_ENDPOINTS',
      helpGroup: 'GLOBAL',
    }),
    cacert: Flags.string({
      summary: "With --endpoints over HTTPS: the cluster CA's certificate file to trust.",
      env: 'CCM_CACERT',
      helpGroup: 'GLOBAL',
    }),
    color: Flags.boolean({
      summary: 'Colour states, roles, health and verdicts (on only on a terminal; NO_COLOR or --no-color turn it off).',
      default: true,
      allowNo: true,
      helpGroup: 'GLOBAL',
    }),
  };

  /** Commands about this host's own processes (up, down, agent, env) ignore --endpoints / CCM_ENDPOINTS. */
  static usesEndpoints = true;

  protected flags!: CcmFlags<T>;
  protected args!: CcmArgs<T>;
  /** Every positional argument, for commands that take a variable number (static strict = false). */
  protected positional: string[] = [];

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof CcmCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CcmFlags<T>;
    this.args = args as CcmArgs<T>;
    this.positional = argv as string[];
    setExplicitToken(this.flags.token);
    const endpoints = (flags as { endpoints?: string }).endpoints;
    if (endpoints && (this.ctor as unknown as typeof CcmCommand).usesEndpoints && !this.isLocalClusterPreferred()) {
      await connectToEndpoints(endpoints.split(',').filter((e) => e.trim().length > 0), { caFile: (flags as { cacert?: string }).cacert, home: this.clusterPaths() });
    }
    setColourMode({ isFlagOn: (flags as { color?: boolean }).color, isJson: this.jsonEnabled() });
  }

  /**
   * CCM_ENDPOINTS from the environment (as `eval "$(ccm env)"` sets it, for other programs) does not turn a cluster
   * this host runs into a remote one: its directory knows its processes (pause, kill, faults). Only an explicit
   * --endpoints does, or CCM_ENDPOINTS where no such directory exists.
   */
  private isLocalClusterPreferred(): boolean {
    const isExplicit = this.argv.some((a) => a === '--endpoints' || a.startsWith('--endpoints='));
    return !isExplicit && fs.existsSync(this.clusterPaths().clusterFile);
  }

  /** Where the cluster named by --name lives under --dir (or CCM_HOME). */
  protected clusterPaths(): ClusterPaths {
    return clusterPaths(this.flags.dir, this.flags.name);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof CcmError) {
      if (this.argv.includes('--json')) {
        process.stdout.write(JSON.stringify(err.toBody(), null, 2) + '\n');
      } else {
        process.stderr.write(`error: ${err.message}\n`);
      }
      process.exitCode = 1;
      return undefined;
    }
    if (err.oclif?.exit !== undefined || err.exitCode !== undefined) return super.catch(err);
    if (this.argv.includes('--json')) {
      process.stdout.write(JSON.stringify({ error: { code: 'internal', message: err.message } }, null, 2) + '\n');
      process.exitCode = 1;
      return undefined;
    }
    return super.catch(err);
  }
}

/** Whether a human-readable line should be printed: not under --json. */
export function isHuman(command: Command): boolean {
  return !command.jsonEnabled();
}
