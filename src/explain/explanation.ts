/**
 * What `ccm explain` answers: the answer in one sentence, the reasons in a few more (each from a recorded event or a
 * node's own state, with its time), and the facts they were drawn from (for --json).
 */
import { CcmError } from '../errors/ccm-error.js';
import type { ClusterEvent } from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { EventTimeline, type EventFilter } from '../cluster/event-timeline.js';
import { byNodeId } from '../cluster/launcher.js';
import { processState } from '../cluster/process-table.js';

export interface Explanation {
  /** What was asked: `leader`, `member n3`, `lease db`, `core`, `config app.color`. */
  subject: string;
  /** The answer, in one sentence. */
  answer: string;
  /** Why, in sentences, most telling first. */
  because: string[];
  /** The data the sentences were drawn from. */
  facts: Record<string, unknown>;
}

/** "12:03:05.120" (UTC, as ccm events prints times). */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** "2.3 s", "4 min 10 s". */
export function ago(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "n1", "n1 and n2", "n1, n2 and n3". */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The explanation as the terminal shows it, wrapped at 80 columns. */
export function renderExplanation(e: Explanation): string {
  const lines = wrap(e.answer, 80, '');
  if (e.because.length > 0) {
    lines.push('');
    for (const sentence of e.because) lines.push(...wrap(sentence, 80, '  - ', '    '));
  }
  return lines.join('\n');
}

export function wrap(text: string, width: number, first: string, rest = first): string[] {
  const out: string[] = [];
  let line = first;
  let isLineEmpty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!isLineEmpty && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else {
      line += (isLineEmpty ? '' : ' ') + word;
    }
    isLineEmpty = false;
  }
  if (!isLineEmpty || out.length === 0) out.push(line);
  return out;
}

const READ_TIMEOUT_MS = 2000;

/** Asks every running node for a route; a node down or not answering comes back as its reason. */
export async function askEveryNode<T>(file: ClusterFile, route: string): Promise<Map<string, T | NodeError>> {
  const answers = new Map<string, T | NodeError>();
  await Promise.all(
    [...file.nodes].sort((a, b) => byNodeId(a.id, b.id)).map(async (n) => {
      const state = processState(n.pid, n.id);
      if (state !== 'running') {
        answers.set(n.id, { error: state });
        return;
      }
      try {
        answers.set(n.id, await requestJson<T>({ host: file.host, port: n.ports.http }, 'GET', route, undefined, { timeoutMs: READ_TIMEOUT_MS }));
      } catch (err) {
        const code = err instanceof CcmError ? err.code : 'internal';
        answers.set(n.id, { error: code === 'timeout' ? 'not answering' : (err as Error).message.split('\n')[0], code });
      }
    }),
  );
  return new Map([...answers.entries()].sort((a, b) => byNodeId(a[0], b[0])));
}

/** A node that could not answer: its state (stopped, paused), `not answering`, or the error it answered with. */
export interface NodeError {
  error: string;
  code?: string;
}

export function isErrorAnswer(v: unknown): v is NodeError {
  return typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'string';
}

/** The latest recorded events matching `filter` (from events.log and every node.log). */
export function recentEvents(paths: ClusterPaths, filter: EventFilter, limit = 2000): ClusterEvent[] {
  return new EventTimeline(paths).readTail(filter, limit).events;
}
