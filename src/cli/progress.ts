/**
 * One line of progress on stderr while a long operation runs (`up`: nodes ready of N; `down`: nodes stopped;
 * `lease acquire --wait`: time waited and place in the queue; `core add`: entries behind the leader). It is
 * redrawn in place on a terminal and silent otherwise, so scripts and pipes see only the result on stdout.
 */
export interface Progress {
  /** Whether anything is shown (a terminal): skip work done only to show progress when not. */
  readonly isShown: boolean;
  /** Replaces the line with `text`. */
  update(text: string): void;
  /** Clears the line (a result follows on stdout). */
  done(): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { isShown: false, update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    isShown: true,
    update(text: string): void {
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\u001b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    done(): void {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}

/** Runs `poll` every `intervalMs` while `work` runs (only when progress is shown), and clears the line after. */
export async function withProgress<T>(progress: Progress, work: Promise<T>, poll: () => Promise<string | null> | string | null, intervalMs = 500): Promise<T> {
  if (!progress.isShown) return work;
  let stopped = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      try {
        const text = await poll();
        if (text !== null && !stopped) progress.update(text);
      } catch {
        // progress is best effort
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  void tick();
  try {
    return await work;
  } finally {
    stopped = true;
    progress.done();
  }
}
