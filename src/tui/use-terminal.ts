import { useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** The terminal's size, following resizes; `fixed` (tests) overrides it. */
export function useTerminalSize(fixed?: TerminalSize): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed?.columns, fixed?.rows]);
  return fixed ?? size;
}

/**
 * The time frames are drawn for, ticking every `intervalMs` (0: never; tests pass time in). Components get
 * it as a prop and never read the clock themselves.
 */
export function useClock(now: () => number, intervalMs: number): number {
  const [nowMs, setNowMs] = useState(now);
  const nowRef = useRef(now);
  nowRef.current = now;
  useEffect(() => {
    if (intervalMs <= 0) return;
    const timer = setInterval(() => setNowMs(nowRef.current()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return nowMs;
}
