/**
 * Hand-built histories for checker tests (test support, not a test): each operation is written as one
 * object with its interval, and becomes an invoke event and a completion event, in time order.
 */
import { type HistoryEvent, type Operation, pairOperations } from '../../src/check/history.js';

export interface OpSpec {
  /** process */
  p: number;
  f: string;
  key?: string;
  in?: unknown;
  out?: unknown;
  /** [invoke, completion] in ms; for info, the completion is when the client gave up. */
  t: [number, number];
  /** default ok; 'pending' leaves the operation without a completion. */
  status?: 'ok' | 'fail' | 'info' | 'pending';
}

export function history(...specs: OpSpec[]): HistoryEvent[] {
  // Sort key: time, then class, then order. At equal times completions (class 0) go before invocations
  // (class 1): a process's next op starts after its last ends. A zero-length op's invocation joins class 0
  // just before its own completion.
  const events: { event: HistoryEvent; rank: [number, number, number] }[] = [];
  specs.forEach((spec, index) => {
    const key = spec.key !== undefined ? { key: spec.key } : {};
    const isInstant = spec.status !== 'pending' && spec.t[0] === spec.t[1];
    events.push({
      event: { process: spec.p, type: 'invoke', f: spec.f, ...key, value: spec.in ?? null, timeMs: spec.t[0] },
      rank: [spec.t[0], isInstant ? 0 : 1, 2 * index],
    });
    if (spec.status !== 'pending') {
      const type = spec.status ?? 'ok';
      const value = spec.out !== undefined ? spec.out : type === 'info' ? 'timeout' : spec.in ?? null;
      events.push({ event: { process: spec.p, type, f: spec.f, ...key, value, timeMs: spec.t[1] }, rank: [spec.t[1], 0, 2 * index + 1] });
    }
  });
  return events
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.rank[2] - b.rank[2])
    .map((e) => e.event);
}

export function ops(...specs: OpSpec[]): Operation[] {
  return pairOperations(history(...specs));
}
