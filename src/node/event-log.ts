import type { ClusterEvent } from '../api/api-types.js';

/** Events kept in memory for /v1/events (the TUI's panel); older ones are still in node.log. */
const RECENT_EVENTS_MAX = 500;

/**
 * The node's log: JSON lines on stdout, which the launcher points at nodes/<id>/node.log. Writes to a file
 * are synchronous in Node, so a crash loses no line already logged. Events (things a person watching the
 * cluster cares about) are also kept in a bounded ring for the API.
 */
export class EventLog {
  private readonly recent: ClusterEvent[] = [];
  private readonly listeners = new Set<(e: ClusterEvent) => void>();

  constructor(
    private readonly nodeId: string,
    private readonly now: () => number,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  /** A notable event: logged, kept for /v1/events, and passed to listeners (metrics, TUI streams). */
  event(type: string, message: string, fields: Record<string, unknown> = {}): void {
    const e: ClusterEvent = { ts: this.now(), source: this.nodeId, type, message, ...fields };
    this.recent.push(e);
    if (this.recent.length > RECENT_EVENTS_MAX) this.recent.splice(0, this.recent.length - RECENT_EVENTS_MAX);
    this.write(jsonLine({ level: 'info', event: true, ...e }));
    for (const l of this.listeners) l(e);
  }

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.write(jsonLine({ ts: this.now(), source: this.nodeId, level: 'info', message, ...fields }));
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.write(jsonLine({ ts: this.now(), source: this.nodeId, level: 'warn', message, ...fields }));
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.write(jsonLine({ ts: this.now(), source: this.nodeId, level: 'error', message, ...fields }));
  }

  recentEvents(sinceTs = 0): ClusterEvent[] {
    return this.recent.filter((e) => e.ts > sinceTs);
  }

  onEvent(listener: (e: ClusterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * One JSON line. Fields can hold what came from outside (a refused message's detail): a value JSON cannot encode
 * (too deep, circular, a BigInt) costs the line its fields, never the node.
 */
function jsonLine(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry) + '\n';
  } catch (err) {
    return JSON.stringify({ ts: entry.ts, source: entry.source, level: entry.level, message: String(entry.message), fieldsDropped: (err as Error).message }) + '\n';
  }
}
