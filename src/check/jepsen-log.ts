/**
 * Parser for Jepsen's plain-text register histories (the format of test/fixtures/jepsen-etcd):
 *
 *   INFO  jepsen.util - P<TAB>:TYPE<TAB>:F<TAB>VALUE
 *
 * VALUE is `nil`, an integer, `[FROM TO]` (cas), or a keyword such as `:timed-out` (on info). Fields may be
 * separated by tabs or runs of spaces (some published logs use spaces). The log carries no times, so an
 * event's time is its 1-based line number: that keeps the real-time order, which is all a checker needs.
 */
import { readFile } from 'node:fs/promises';
import type { EventType, HistoryEvent } from './history.js';

/** A line of a Jepsen log that does not parse. */
export class JepsenLogError extends Error {
  readonly code = 'invalid_jepsen_log';
  constructor(readonly lineNumber: number, readonly line: string, reason: string) {
    super(`line ${lineNumber}: ${reason}: ${JSON.stringify(line.length > 100 ? `${line.slice(0, 97)}...` : line)}`);
    this.name = 'JepsenLogError';
  }
}

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:([\w-]+)(?:\s+(.*?))?\s*$/;
const TUPLE = /^\[\s*(\S+)\s+(\S+)\s*\]$/;

function parseScalar(text: string): number | null | string | undefined {
  if (text === 'nil') return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^:[\w-]+$/.test(text)) return text; // a keyword, e.g. :timed-out
  return undefined;
}

/** Parses a Jepsen value: nil → null, N → number, [A B] → [A, B], :keyword → ':keyword'. */
export function parseJepsenValue(text: string): unknown {
  const tuple = TUPLE.exec(text);
  if (tuple !== null) {
    const from = parseScalar(tuple[1]);
    const to = parseScalar(tuple[2]);
    if (from === undefined || to === undefined) return undefined;
    return [from, to];
  }
  return parseScalar(text);
}

/** Options for parseJepsenLog. */
export interface JepsenLogOptions {
  /** Key to put on every event (a Jepsen register log is about one register); default: none. */
  key?: string;
}

/** Parses the text of a Jepsen log into history events; blank lines are skipped. Throws JepsenLogError. */
export function parseJepsenLog(text: string, options: JepsenLogOptions = {}): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.trim() === '') return;
    const match = LINE.exec(line);
    if (match === null) throw new JepsenLogError(lineNumber, line, 'not a jepsen.util history line');
    const [, process, type, f, rawValue] = match;
    const value = rawValue === undefined || rawValue === '' ? null : parseJepsenValue(rawValue);
    if (value === undefined) throw new JepsenLogError(lineNumber, line, `cannot parse value ${JSON.stringify(rawValue)}`);
    events.push({
      process: Number(process),
      type: type as EventType,
      f,
      ...(options.key !== undefined ? { key: options.key } : {}),
      value,
      timeMs: lineNumber,
    });
  });
  return events;
}

/** Reads and parses a Jepsen log file. */
export async function readJepsenLog(path: string | URL, options: JepsenLogOptions = {}): Promise<HistoryEvent[]> {
  return parseJepsenLog(await readFile(path, 'utf8'), options);
}
