import fs from 'node:fs';
import { CcmError } from '../errors/ccm-error.js';
import { nodeLogPath, type ClusterPaths } from './cluster-dir.js';

export interface LogLine {
  /** Readable form: time, level, message, extra fields. */
  text: string;
  /** The parsed JSON entry, or null for a raw line (a crash trace written by the runtime). */
  entry: Record<string, unknown> | null;
}

/** Reading the tail is bounded: logs of a long run can be large. */
const TAIL_READ_BYTES = 4 * 1024 * 1024;

export function formatLogLine(raw: string): LogLine {
  let entry: Record<string, unknown> | null = null;
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === 'object') entry = v as Record<string, unknown>;
  } catch {
    return { text: raw, entry: null };
  }
  if (!entry) return { text: raw, entry: null };
  const { ts, source, level, message, event: _isEvent, type, ...rest } = entry;
  const time = typeof ts === 'number' ? new Date(ts).toISOString().slice(11, 23) : '';
  const extras = Object.entries(rest)
    .filter(([k]) => k !== 'stack')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  const kind = type ? `[${String(type)}] ` : '';
  const stack = typeof rest.stack === 'string' ? `\n${rest.stack}` : '';
  return { text: `${time} ${String(source ?? '')} ${String(level ?? '').padEnd(5)} ${kind}${String(message ?? '')}${extras ? `  ${extras}` : ''}${stack}`, entry };
}

export function readLogLines(paths: ClusterPaths, id: string, count: number): LogLine[] {
  if (!Number.isInteger(count) || count < 0) throw new CcmError('invalid_argument', `--lines must be a whole number >= 0 (got ${count})`);
  const file = nodeLogPath(paths, id);
  if (!fs.existsSync(file)) return [];
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const start = Math.max(0, size - TAIL_READ_BYTES);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n').filter((l) => l.length > 0);
    if (start > 0) lines.shift();
    return (count === 0 ? [] : lines.slice(-count)).map(formatLogLine);
  } finally {
    fs.closeSync(fd);
  }
}

/** Calls `onLine` for every line appended from now on, until the process is interrupted. */
export function followLog(paths: ClusterPaths, id: string, onLine: (line: LogLine) => void): Promise<void> {
  const file = nodeLogPath(paths, id);
  let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  let partial = '';
  return new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        return;
      }
      if (size < offset) offset = 0; // truncated or replaced
      if (size === offset) return;
      const fd = fs.openSync(file, 'r');
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      fs.closeSync(fd);
      offset = size;
      const text = partial + buf.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) if (p.length > 0) onLine(formatLogLine(p));
    }, 200);
    process.once('SIGINT', () => {
      clearInterval(poll);
      resolve();
    });
  });
}
