import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import type { ClusterEvent } from '../api/api-types.js';
import { parseDuration, DurationError } from '../time/duration.js';
import { NODE_ID_PATTERN, type ClusterPaths } from './cluster-dir.js';

/**
 * One timeline of what happened in a cluster: the cluster's own events.log (what the CLI and the supervisor
 * did) merged with the event lines (`"event": true`) of every nodes/<id>/node.log, in time order.
 *
 * Reading is bounded: a first read takes at most the last `maxBytesPerFile` of each file, and each later read
 * at most that much of what was appended since, so a long run's logs never load whole into memory.
 */

/** Which events to keep. Every given field must match. */
export interface EventFilter {
  /** Keep events at or after this wall-clock ms. */
  sinceMs?: number;
  /** Keep events from these nodes, or about them (an event whose `node` field names one: `cli node-kill n2`). */
  nodes?: string[];
  /** Keep events of these types; a pattern ending in `*` matches a prefix (`raft-*`). */
  types?: string[];
}

export interface TimelineReadOptions {
  /** Bytes read per file per read (default 4 MiB). */
  maxBytesPerFile?: number;
}

export interface Timeline {
  events: ClusterEvent[];
  /** Files of which only the tail was read (older events exist that are not in `events`). */
  truncatedFiles: string[];
}

const DEFAULT_MAX_BYTES_PER_FILE = 4 * 1024 * 1024;

/** Where one file of the timeline is read up to. */
interface FileCursor {
  /** Just after the last complete line consumed. */
  offset: number;
  /** Inode, to notice a file replaced by a new one (down --purge, then up). */
  ino: number;
  /** The read stopped inside an over-long line: skip to the next newline before parsing. */
  isSkippingLine: boolean;
}

export class EventTimeline {
  private readonly cursors = new Map<string, FileCursor>();
  private readonly maxBytes: number;

  constructor(
    private readonly paths: ClusterPaths,
    opts: TimelineReadOptions = {},
  ) {
    this.maxBytes = opts.maxBytesPerFile ?? DEFAULT_MAX_BYTES_PER_FILE;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1024) throw new Error(`maxBytesPerFile must be an integer >= 1024 (got ${this.maxBytes})`);
  }

  /**
   * The events already in the files (the tail of each), filtered, in time order, the last `limit` of them
   * (0 or undefined: all that were read). Positions every cursor at the end, so `readNew` continues from here
   * with no gap and no duplicate.
   */
  readTail(filter: EventFilter = {}, limit?: number): Timeline {
    const events: ClusterEvent[] = [];
    const truncatedFiles: string[] = [];
    for (const source of timelineFiles(this.paths)) {
      const read = this.readFile(source, 'tail');
      if (read.isTruncated) truncatedFiles.push(source.file);
      events.push(...read.events);
    }
    const kept = sortByTime(events.filter((e) => matchesEventFilter(e, filter)));
    return { events: limit ? kept.slice(-limit) : kept, truncatedFiles };
  }

  /** Events appended since the last read (a file seen for the first time is read from its start), in time order. */
  readNew(filter: EventFilter = {}): ClusterEvent[] {
    const events: ClusterEvent[] = [];
    for (const source of timelineFiles(this.paths)) events.push(...this.readFile(source, 'new').events);
    return sortByTime(events.filter((e) => matchesEventFilter(e, filter)));
  }

  private readFile(source: TimelineFile, mode: 'tail' | 'new'): { events: ClusterEvent[]; isTruncated: boolean } {
    let fd: number;
    try {
      fd = fs.openSync(source.file, 'r');
    } catch {
      this.cursors.delete(source.file);
      return { events: [], isTruncated: false };
    }
    try {
      const stat = fs.fstatSync(fd);
      let cursor = this.cursors.get(source.file);
      if (cursor && (cursor.ino !== stat.ino || stat.size < cursor.offset)) cursor = undefined; // replaced or truncated
      if (!cursor) {
        // First sight of this file: a tail read starts near the end; a follow read from the start (a node that just appeared).
        const start = mode === 'tail' ? Math.max(0, stat.size - this.maxBytes) : 0;
        cursor = { offset: start, ino: stat.ino, isSkippingLine: start > 0 };
      }
      let isTruncated = cursor.isSkippingLine && mode === 'tail';
      if (stat.size - cursor.offset > this.maxBytes) {
        // More was appended than one read may take: keep the newest part, and say older lines were skipped.
        cursor.offset = stat.size - this.maxBytes;
        cursor.isSkippingLine = true;
        isTruncated = true;
      }
      const length = stat.size - cursor.offset;
      const buf = Buffer.alloc(length);
      const got = length > 0 ? fs.readSync(fd, buf, 0, length, cursor.offset) : 0;
      // Work in bytes: a read may start or end inside a multi-byte character, but never inside a newline.
      let from = 0;
      if (cursor.isSkippingLine) {
        const nl = buf.subarray(0, got).indexOf(0x0a);
        if (nl < 0) {
          // Still inside the over-long line: drop what we have, keep skipping.
          cursor.offset += got;
          this.cursors.set(source.file, cursor);
          return { events: [], isTruncated };
        }
        from = nl + 1;
        cursor.isSkippingLine = false;
      }
      const lastNl = buf.subarray(0, got).lastIndexOf(0x0a);
      const complete = lastNl < from ? '' : buf.subarray(from, lastNl).toString('utf8');
      cursor.offset += lastNl < from ? from : lastNl + 1;
      this.cursors.set(source.file, cursor);
      const events: ClusterEvent[] = [];
      for (const line of complete.split('\n')) {
        if (line.length === 0) continue;
        const e = parseEventLine(line, source);
        if (e) events.push(e);
      }
      return { events, isTruncated };
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** One file of the timeline: the cluster's events.log, or one node's node.log. */
export interface TimelineFile {
  file: string;
  /** The node whose log this is; undefined for events.log. */
  nodeId?: string;
}

/** events.log first, then every node's log, by node number (a node added later shows up at the next read). */
export function timelineFiles(paths: ClusterPaths): TimelineFile[] {
  const files: TimelineFile[] = [{ file: paths.eventsLog }];
  let ids: string[] = [];
  try {
    ids = fs.readdirSync(paths.nodesDir).filter((d) => NODE_ID_PATTERN.test(d));
  } catch {
    // no nodes dir yet (or the cluster was purged)
  }
  ids.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  for (const id of ids) files.push({ file: path.join(paths.nodesDir, id, 'node.log'), nodeId: id });
  return files;
}

/**
 * One line as an event, or null: a node.log line counts only if it is marked `"event": true` (its other lines
 * are the node's ordinary log); every well-formed events.log line counts. The `event` and `level` markers are
 * dropped; a missing source is filled from the file.
 */
export function parseEventLine(line: string, source: TimelineFile): ClusterEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null; // a crash trace or a torn line
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const { event: isEvent, level: _level, ...rest } = v as Record<string, unknown>;
  if (source.nodeId !== undefined && isEvent !== true) return null;
  if (typeof rest.ts !== 'number' || !Number.isFinite(rest.ts)) return null;
  if (typeof rest.type !== 'string' || typeof rest.message !== 'string') return null;
  const src = typeof rest.source === 'string' ? rest.source : (source.nodeId ?? 'cli');
  return { ...rest, ts: rest.ts, source: src, type: rest.type, message: rest.message };
}

export function matchesEventFilter(e: ClusterEvent, f: EventFilter): boolean {
  if (f.sinceMs !== undefined && e.ts < f.sinceMs) return false;
  if (f.nodes && f.nodes.length > 0 && !f.nodes.includes(e.source) && !(typeof e.node === 'string' && f.nodes.includes(e.node))) return false;
  if (f.types && f.types.length > 0 && !f.types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : e.type === t))) return false;
  return true;
}

/** Stable: events with the same ts keep their file order (events.log first, then n1, n2, ...). */
function sortByTime(events: ClusterEvent[]): ClusterEvent[] {
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i).map((x) => x.e);
}

/** `--since`: a duration back from now (`5m`, `90s`) or an absolute time (`2025-01-31T10:00:00Z`). */
export function parseSince(text: string, nowMs: number): number {
  try {
    const ms = parseDuration(text, '--since');
    if (ms < 0) throw new CcmError('invalid_argument', `--since "${text}" must not be negative`);
    return nowMs - ms;
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const t = Date.parse(text.trim());
    if (Number.isFinite(t)) return t;
  }
  throw new CcmError('invalid_argument', `--since "${text}" is neither a duration (5m, 90s, 1h) nor a date (2025-01-31T10:00:00Z)`);
}

/** `n1,n2` and repeated flags, as one list, without empties. */
export function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** One line for people: time, source, type, message (and the node it is about, when that is not the source). */
export function formatEventLine(e: ClusterEvent, opts: { withDate?: boolean } = {}): string {
  const iso = new Date(e.ts).toISOString();
  const time = opts.withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso.slice(11, 23);
  return `${time}  ${e.source.padEnd(10)} ${e.type.padEnd(24)} ${e.message}`;
}

/** How often a follower looks for appended lines. */
export const FOLLOW_INTERVAL_MS = 250;

/** Calls `onEvent` for every new matching event, polling every `intervalMs`, until `signal` aborts. */
export function followEventTimeline(
  timeline: EventTimeline,
  filter: EventFilter,
  signal: AbortSignal,
  onEvent: (e: ClusterEvent) => void,
  intervalMs = FOLLOW_INTERVAL_MS,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setInterval(() => {
      for (const e of timeline.readNew(filter)) onEvent(e);
    }, intervalMs);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        // What arrived between the last poll and the signal.
        for (const e of timeline.readNew(filter)) onEvent(e);
        resolve();
      },
      { once: true },
    );
  });
}
