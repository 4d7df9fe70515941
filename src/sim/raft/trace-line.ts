/**
 * The simulator's trace: one line per event with fixed columns (VOPR style), so a seed reads top to bottom.
 *
 *    step  time_ms node  role          term  commit event
 *     412     1031 n3    leader           4      57 role candidate -> leader (won-election)
 */
import type { Role } from '../../raft/index.js';

export interface TraceFields {
  step: number;
  timeMs: number;
  /** '-' for cluster-wide events (partitions, heal). */
  node: string;
  role: Role | 'down' | '-';
  term: number | null;
  commit: number | null;
  event: string;
}

export const TRACE_HEADER = `${'step'.padStart(7)} ${'time_ms'.padStart(8)} ${'node'.padEnd(5)} ${'role'.padEnd(13)} ${'term'.padStart(5)} ${'commit'.padStart(7)} event`;

export function formatTraceLine(f: TraceFields): string {
  return (
    `${String(f.step).padStart(7)} ${String(f.timeMs).padStart(8)} ${f.node.padEnd(5)} ${f.role.padEnd(13)} ` +
    `${(f.term === null ? '-' : String(f.term)).padStart(5)} ${(f.commit === null ? '-' : String(f.commit)).padStart(7)} ${f.event}`
  );
}
