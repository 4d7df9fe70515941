import { useApp } from 'ink';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { CommandRunner, SnapshotSource } from './dashboard-source.js';
import { DashboardView } from './dashboard-view.js';
import { createDashboardState, dashboardReducer } from './status-model.js';
import { useDashboardInput } from './use-dashboard-input.js';
import { useDashboardPoll } from './use-dashboard-poll.js';
import { useClock, useTerminalSize, type TerminalSize } from './use-terminal.js';

export interface DashboardAppProps {
  /** Where snapshots come from. */
  source: SnapshotSource;
  /** Runs kill / pause / resume / restart / isolate / heal. */
  runner: CommandRunner;
  /** Wall clock. @default Date.now */
  now?: () => number;
  /** Pause between polls. @default 1000 */
  pollIntervalMs?: number;
  /** How often the clock (TTL countdowns, ages) ticks; 0 never. @default 1000 */
  clockIntervalMs?: number;
  /** A fixed size instead of the terminal's (tests). */
  size?: TerminalSize;
  /** Read keys (needs a terminal on stdin). @default true */
  isInputActive?: boolean;
  /** Called when the user quits, before the app unmounts. */
  onQuit?: () => void;
}

/** The live view: wires the reducer to the poll hook, the input hook and the clock; draws DashboardView. */
export function DashboardApp({ source, runner, now = Date.now, pollIntervalMs = 1000, clockIntervalMs = 1000, size, isInputActive = true, onQuit }: DashboardAppProps) {
  const [state, dispatch] = useReducer(dashboardReducer, undefined, createDashboardState);
  const nowMs = useClock(now, clockIntervalMs);
  const { refreshNow } = useDashboardPoll(source, dispatch, { intervalMs: pollIntervalMs, now, focus: state.panel });
  // A newly shown panel gets its data at once, not at the next poll.
  const shownPanel = useRef(state.panel);
  useEffect(() => {
    if (shownPanel.current === state.panel) return;
    shownPanel.current = state.panel;
    refreshNow();
  }, [state.panel, refreshNow]);
  const { exit } = useApp();
  const quit = useCallback(() => {
    onQuit?.();
    exit();
  }, [onQuit, exit]);
  useDashboardInput({ state, dispatch, runner, now, onCommandDone: refreshNow, onQuit: quit, isActive: isInputActive });
  const { columns, rows } = useTerminalSize(size);
  return <DashboardView state={state} nowMs={nowMs} columns={columns} rows={rows} />;
}
