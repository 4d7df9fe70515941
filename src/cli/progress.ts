/**
 * One line of progress on stderr while a long operation runs (`up`: nodes ready of N; `down`: nodes stopped;
 * `lease acquire --wait`: time waited and place in the queue; `core add`: entries behind the leader). It is
 * redrawn in place on a terminal and silent otherwise, so scripts and pipes see only the result on stdout.
 */
export interface Progress {
  /** Replaces the line with `text`. */
  update(text: string): void;
  /** Clears the line (a result follows on stdout). */
  done(): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update(text: string): void {
      const width = Math.max(10, (stream.columns ?? 80) - 1);
      stream.write(`\r\u001b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    done(): void {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}
