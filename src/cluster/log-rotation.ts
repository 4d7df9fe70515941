import fs from 'node:fs';

/**
 * Logs rotate by size: past its limit a log becomes `<name>.1` (replacing the previous one) and a new one starts, so
 * a cluster that runs for weeks, or a node flooded with refused input, never fills the disk with logs. Readers
 * (`ccm logs`, `ccm events`, the TUI) read the current file; the `.1` file keeps the previous stretch for a person.
 */

/** node.log's default limit (ClusterSettings.logMaxBytes). */
export const DEFAULT_LOG_MAX_BYTES = 64 * 1024 * 1024;
/** events.log's limit: written only by the CLI and the supervisor, it grows slowly. */
export const EVENTS_LOG_MAX_BYTES = 16 * 1024 * 1024;
/** A rotation marker older than this was left by a process that died mid-rotation. */
const STALE_ROTATION_MS = 10_000;

/**
 * Rotates a log that several processes append to by path (events.log: the CLI, the supervisor). Only one rotates:
 * the one that creates the `.rotating` marker, and it checks the size again once it holds it, so two processes that
 * both saw the file too big do not rotate twice (the second would rename the fresh file over the rotated one).
 * An append that races the rename lands in `.1`, which loses nothing. Never throws.
 */
export function rotateSharedLogIfLarge(file: string, maxBytes: number): boolean {
  try {
    if (fs.statSync(file).size <= maxBytes) return false;
  } catch {
    return false;
  }
  const marker = `${file}.rotating`;
  let fd: number;
  try {
    fd = fs.openSync(marker, 'wx');
  } catch {
    try {
      if (Date.now() - fs.statSync(marker).mtimeMs > STALE_ROTATION_MS) fs.rmSync(marker, { force: true });
    } catch {
      // gone meanwhile
    }
    return false;
  }
  try {
    if (fs.statSync(file).size <= maxBytes) return false;
    fs.renameSync(file, `${file}.1`);
    return true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(marker, { force: true });
  }
}

/**
 * A writer for a process's own log on its stdout (a node's node.log: the launcher points fds 1 and 2 at it, opened
 * for append). The process is the file's only writer and writes synchronously, so it rotates by copying the file to
 * `.1` and truncating it in place: fds 1 and 2 keep working (O_APPEND writes go to the new end). When stdout is not a
 * regular file (a pipe, a terminal), it just writes.
 */
export function selfRotatingStdout(logPath: string, maxBytes: number, write: (line: string) => void = (line) => process.stdout.write(line)): (line: string) => void {
  let size: number;
  try {
    const stat = fs.fstatSync(1);
    if (!stat.isFile() || !isSameFile(stat, logPath)) return write;
    size = stat.size;
  } catch {
    return write;
  }
  return (line: string) => {
    write(line);
    size += Buffer.byteLength(line);
    if (size <= maxBytes) return;
    try {
      fs.copyFileSync(logPath, `${logPath}.1`);
      fs.ftruncateSync(1, 0);
      size = 0;
    } catch {
      size = 0; // try again after another maxBytes, rather than on every line
    }
  };
}

function isSameFile(stat: fs.Stats, file: string): boolean {
  try {
    const other = fs.statSync(file);
    return other.ino === stat.ino && other.dev === stat.dev;
  } catch {
    return false;
  }
}
