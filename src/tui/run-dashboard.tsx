import type { ClusterStatus } from '../api/api-types.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { clusterStatus } from '../cluster/cluster-status.js';
import { readRunningCluster } from '../cluster/launcher.js';
import { DashboardSource, defaultDashboardHooks } from './dashboard-source.js';
import { renderPlainDashboard } from './plain-dashboard.js';

export interface RunDashboardIo {
  /** --json: print the status once (the command returns it) instead of starting the view. */
  isJson: boolean;
  log: (line: string) => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/**
 * `ccm top` and `ccm status --watch`. A cluster that is missing or has every node stopped is an error before
 * anything draws. Under --json the status is returned once; on a stdout that is not a terminal, the plain
 * table is printed once; on a terminal, the live view runs until q or Ctrl-C.
 */
export async function runDashboard(paths: ClusterPaths, io: RunDashboardIo): Promise<ClusterStatus | undefined> {
  readRunningCluster(paths);
  if (io.isJson) return clusterStatus(paths, { probeReachability: true });
  const stdout = io.stdout ?? process.stdout;
  const stdin = io.stdin ?? process.stdin;
  const source = new DashboardSource(paths, { hooks: defaultDashboardHooks(paths) });
  if (!stdout.isTTY) {
    const snapshot = await source.fetch();
    io.log(renderPlainDashboard(snapshot, Date.now()));
    return snapshot.status;
  }
  const { runLiveDashboard } = await importInkForATerminal();
  await runLiveDashboard(paths, source, stdout, stdin);
  return undefined;
}

/**
 * ink draws nothing but its last frame when the environment says CI (it reads CI and CONTINUOUS_INTEGRATION
 * once, when it loads). A terminal on stdout means somebody is watching, so the view loads ink with those
 * set aside, and puts them back for everything else this process starts.
 */
async function importInkForATerminal(): Promise<typeof import('./live-dashboard.js')> {
  const keys = ['CI', 'CONTINUOUS_INTEGRATION'] as const;
  const saved = keys.map((k) => process.env[k]);
  for (const k of keys) delete process.env[k];
  try {
    return await import('./live-dashboard.js');
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] !== undefined) process.env[k] = saved[i];
    });
  }
}
