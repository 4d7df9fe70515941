import { render } from 'ink';
import type { ClusterStatus } from '../client/api-types.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { clusterStatus } from '../cluster/cluster-status.js';
import { readRunningCluster } from '../cluster/launcher.js';
import { DashboardApp } from './app.js';
import { ClusterCommandRunner, DashboardSource, defaultDashboardHooks } from './dashboard-source.js';
import { renderPlainDashboard } from './plain-dashboard.js';

/** The alternate screen (as top and less use): the view draws on its own screen, and quitting gives the old one back. */
const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

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
 * table is printed once; on a terminal, the live view runs until q or Ctrl-C and the terminal is restored
 * (raw mode off, cursor shown, the old screen back) however it ends.
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
  let isRestored = false;
  const restore = (): void => {
    if (isRestored) return;
    isRestored = true;
    stdout.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
  };
  stdout.write(ENTER_ALT_SCREEN);
  // A crash or an exit from elsewhere must not leave the terminal on the alternate screen.
  process.once('exit', restore);
  const instance = render(<DashboardApp source={source} runner={new ClusterCommandRunner(paths)} isInputActive={Boolean(stdin.isTTY)} />, {
    stdout,
    stdin,
    // Ctrl-C is a key like q (the input hook quits); without raw mode it is SIGINT, handled below.
    exitOnCtrlC: false,
    patchConsole: true,
    // Rewrite only the lines that changed: a poll that changes one number redraws one line.
    incrementalRendering: false,
    maxFps: 15,
  });
  const onSignal = (): void => instance.unmount();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.once(s, onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', restore);
    restore();
  }
  return undefined;
}
