import { useInput } from 'ink';
import { useRef, type Dispatch } from 'react';
import type { CommandRunner } from './dashboard-source.js';
import { describeCommand, interpretKey, type DashboardAction, type DashboardCommand, type DashboardState } from './status-model.js';

export interface DashboardInputOptions {
  state: DashboardState;
  dispatch: Dispatch<DashboardAction>;
  runner: CommandRunner;
  now: () => number;
  /** Called after a command ends, to poll at once. */
  onCommandDone: () => void;
  onQuit: () => void;
  /** False when stdin is not a terminal (no raw mode): keys are not read, Ctrl-C arrives as SIGINT. */
  isActive: boolean;
}

/**
 * Owns input: each key goes through `interpretKey` (pure), and what it asks for is dispatched, run, or quits.
 * A command's result (or error) is dispatched when it ends, and shows in the events panel.
 */
export function useDashboardInput({ state, dispatch, runner, now, onCommandDone, onQuit, isActive }: DashboardInputOptions): void {
  // Keys can arrive faster than renders: read the latest state, and mark a command busy before React catches up.
  const stateRef = useRef(state);
  stateRef.current = state;
  const runningRef = useRef<{ command: DashboardCommand; startedAtMs: number } | null>(null);
  useInput(
    (input, key) => {
      const current = runningRef.current && !stateRef.current.pending ? { ...stateRef.current, pending: runningRef.current } : stateRef.current;
      const intent = interpretKey(input, key, current, now());
      if (!intent) return;
      if (intent.kind === 'quit') return onQuit();
      if (intent.kind === 'dispatch') return dispatch(intent.action);
      const command = intent.command;
      const startedAtMs = now();
      runningRef.current = { command, startedAtMs };
      dispatch({ type: 'command-started', command, atMs: startedAtMs });
      runner.run(command).then(
        (message) => dispatch({ type: 'command-finished', command, isOk: true, message, atMs: now() }),
        (err: unknown) => dispatch({ type: 'command-finished', command, isOk: false, message: `${describeCommand(command)} failed: ${(err as Error).message}`, atMs: now() }),
      ).finally(() => {
        runningRef.current = null;
        onCommandDone();
      });
    },
    { isActive },
  );
}
