import { render } from 'ink';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { DashboardApp } from './app.js';
import { ClusterCommandRunner, type DashboardSource } from './dashboard-source.js';

/** The alternate screen (as top and less use): the view draws on its own screen, and quitting gives the old one back. */
const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

/**
 * The live view on a terminal: runs until q or Ctrl-C and restores the terminal (raw mode off, cursor shown,
 * the old screen back) however it ends.
 */
export async function runLiveDashboard(
  paths: ClusterPaths,
  source: DashboardSource,
  stdout: NodeJS.WriteStream,
  stdin: NodeJS.ReadStream,
): Promise<void> {
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
    // Whole frames: a few dozen lines at most 15 times a second, and a full redraw leaves no stale cell behind.
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
}
