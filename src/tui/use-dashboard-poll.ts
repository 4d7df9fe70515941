import { useEffect, useRef, type Dispatch } from 'react';
import type { SnapshotSource } from './dashboard-source.js';
import type { PanelId } from './panel-ids.js';
import type { DashboardAction } from './status-model.js';

export interface DashboardPollOptions {
  /** Pause between the end of one poll and the start of the next (polls never overlap). */
  intervalMs: number;
  /** Wall clock, for the time of a failure. */
  now: () => number;
  /** The panel shown: the data only it needs is fetched only while it is shown. */
  focus?: PanelId;
}

/**
 * Owns polling: fetches a snapshot, dispatches it (or the failure), waits, repeats, until unmount. A failed
 * poll is an action like any other; the loop keeps going, so the view recovers when the cluster does.
 * `refreshNow` cuts the wait short (after a key ran a command, the view shows its effect at once).
 */
export function useDashboardPoll(source: SnapshotSource, dispatch: Dispatch<DashboardAction>, { intervalMs, now, focus }: DashboardPollOptions): { refreshNow: () => void } {
  const refreshRef = useRef<() => void>(() => undefined);
  // Read through a ref: a caller passing a new function each render must not restart the loop.
  const nowRef = useRef(now);
  nowRef.current = now;
  const focusRef = useRef(focus);
  focusRef.current = focus;
  useEffect(() => {
    let isStopped = false;
    let isRefreshWanted = false;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | null = null;
    const loop = async (): Promise<void> => {
      while (!isStopped) {
        isRefreshWanted = false;
        try {
          const snapshot = await source.fetch(focusRef.current);
          if (!isStopped) dispatch({ type: 'snapshot-received', snapshot });
        } catch (err) {
          if (!isStopped) dispatch({ type: 'poll-failed', message: (err as Error).message, atMs: nowRef.current() });
        }
        if (isStopped || isRefreshWanted) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, intervalMs);
        });
        wake = null;
      }
    };
    void loop();
    refreshRef.current = () => {
      isRefreshWanted = true;
      clearTimeout(timer);
      wake?.();
    };
    return () => {
      isStopped = true;
      clearTimeout(timer);
      wake?.();
    };
  }, [source, dispatch, intervalMs]);
  return { refreshNow: () => refreshRef.current() };
}
