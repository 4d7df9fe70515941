import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/** ANSI colour codes out, so frames compare as text. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
}

/**
 * Waits until `check` holds for the latest frame: ink renders after effects and input run, so tests wait on
 * what the frame shows, never on a fixed delay. Yields to the event loop between looks; fails after `deadlineMs`.
 */
export async function until(what: string, check: () => boolean, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export type Rendered = ReturnType<typeof render>;

/** Renders `tree` and waits until the input hook listens on stdin (keys written before that would be lost). */
export async function renderInteractive(tree: ReactElement): Promise<Rendered> {
  const r = render(tree);
  await until('the input hook to listen', () => r.stdin.listenerCount('readable') > 0);
  return r;
}

export const KEY = { up: '\u001B[A', down: '\u001B[B', ctrlC: '\u0003', escape: '\u001B' } as const;
