/**
 * The history model shared by every checker: Jepsen-style events (invoke, then ok/fail/info), paired into
 * operations with an invocation and a completion time.
 *
 * Semantics of a completion (as in Jepsen):
 * - `ok`: the operation took effect, once, somewhere between its invocation and its completion;
 * - `fail`: it certainly did not take effect;
 * - `info`: indeterminate (timed out, connection lost): it may have taken effect at any time after its
 *   invocation, or never. Its completion time is +∞ for every checker.
 * An invocation with no completion at the end of the history is treated as `info`.
 */

/** The kind of a history event. */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** One line of a history: a client process invoking an operation, or learning its outcome. */
export interface HistoryEvent {
  /** The client process (a logical client: at most one outstanding operation at a time). */
  process: number;
  type: EventType;
  /** The operation's function: read, write, cas, acquire, release, watch, lookup, ... */
  f: string;
  /** The key (register, resource, config key or service) the operation is on; checkers partition by it. */
  key?: string;
  /** On invoke: the operation's input. On completion: its output (or the error, for fail/info). */
  value: unknown;
  /** When the event happened, in milliseconds on one monotonic clock (the recorder's). */
  timeMs: number;
}

/** How an operation ended. */
export type OperationStatus = 'ok' | 'fail' | 'info';

/** An invocation paired with its completion. */
export interface Operation {
  /** Index in the array `pairOperations` returns (operations are numbered in invocation order). */
  id: number;
  process: number;
  f: string;
  key?: string;
  /** The invoke event's value. */
  input: unknown;
  /** The completion event's value (undefined when the history ended before a completion). */
  output: unknown;
  status: OperationStatus;
  invokeMs: number;
  /** Completion time; Infinity for `info` operations (they may take effect at any time after invocation). */
  completeMs: number;
  /** When the client actually heard back (for display): equals completeMs except for info, where it is the
   * time of the info event, or Infinity if the history ended first. */
  returnedMs: number;
  /** Index of the invoke event in the event array. */
  invokeIndex: number;
  /** Index of the completion event, or -1 if the history ended before one. */
  completeIndex: number;
}

/** A fault the nemesis injected, for reports: a partition, a killed or paused node, clock skew. */
export interface Fault {
  kind: string;
  description: string;
  startMs: number;
  /** Infinity if the fault was still active when the history ended. */
  endMs: number;
}

/** One thing wrong with a history's shape, with the index of the event at fault. */
export interface HistoryProblem {
  eventIndex: number;
  message: string;
}

/** A history that cannot be paired: the checkers refuse to guess. `problems` lists every defect found. */
export class MalformedHistoryError extends Error {
  readonly code = 'malformed_history';
  constructor(readonly problems: HistoryProblem[]) {
    const shown = problems.slice(0, 5).map((p) => `  event #${p.eventIndex}: ${p.message}`);
    const more = problems.length > 5 ? [`  ... and ${problems.length - 5} more`] : [];
    super(`malformed history (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${[...shown, ...more].join('\n')}`);
    this.name = 'MalformedHistoryError';
  }
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

/** Operations paired from a history, and the defects found (events at fault are skipped). */
export interface PairingResult {
  operations: Operation[];
  problems: HistoryProblem[];
}

/**
 * Pairs what can be paired and lists every defect instead of throwing: for reports, which should show a
 * malformed history rather than nothing. Checkers use pairOperations.
 */
export function pairHistory(events: readonly HistoryEvent[]): PairingResult {
  const problems: HistoryProblem[] = [];
  const operations: Operation[] = [];
  // process -> the operation it has outstanding
  const outstanding = new Map<number, Operation>();
  let lastTimeMs = -Infinity;

  events.forEach((event, index) => {
    const problem = (message: string): void => {
      problems.push({ eventIndex: index, message });
    };
    if (event === null || typeof event !== 'object') {
      problem('not an event object');
      return;
    }
    if (!Number.isInteger(event.process) || event.process < 0) {
      problem(`process must be a non-negative integer, got ${String(event.process)}`);
      return;
    }
    if (!EVENT_TYPES.has(event.type)) {
      problem(`type must be invoke, ok, fail or info, got ${JSON.stringify(event.type)}`);
      return;
    }
    if (typeof event.f !== 'string' || event.f === '') {
      problem(`f must be a non-empty string, got ${JSON.stringify(event.f)}`);
      return;
    }
    if (event.key !== undefined && typeof event.key !== 'string') {
      problem(`key must be a string when present, got ${JSON.stringify(event.key)}`);
      return;
    }
    if (typeof event.timeMs !== 'number' || !Number.isFinite(event.timeMs)) {
      problem(`timeMs must be a finite number, got ${String(event.timeMs)}`);
      return;
    }
    if (event.timeMs < lastTimeMs) {
      problem(`time goes back: ${event.timeMs} ms after an event at ${lastTimeMs} ms (events must be in time order)`);
      return;
    }
    lastTimeMs = event.timeMs;

    const open = outstanding.get(event.process);
    if (event.type === 'invoke') {
      if (open !== undefined) {
        problem(
          `process ${event.process} invokes ${event.f} while its ${open.f} (invoked at event #${open.invokeIndex}) is still outstanding`,
        );
        return;
      }
      const operation: Operation = {
        id: operations.length,
        process: event.process,
        f: event.f,
        ...(event.key !== undefined ? { key: event.key } : {}),
        input: event.value,
        output: undefined,
        status: 'info',
        invokeMs: event.timeMs,
        completeMs: Infinity,
        returnedMs: Infinity,
        invokeIndex: index,
        completeIndex: -1,
      };
      operations.push(operation);
      outstanding.set(event.process, operation);
      return;
    }
    if (open === undefined) {
      problem(`${event.type} ${event.f} from process ${event.process}, which has no outstanding invocation`);
      return;
    }
    if (open.f !== event.f) {
      problem(`process ${event.process} completes ${event.f} but invoked ${open.f} (event #${open.invokeIndex})`);
      return;
    }
    if (event.key !== undefined && event.key !== open.key) {
      problem(
        `process ${event.process} completes ${event.f} on key ${JSON.stringify(event.key)} but invoked it on ${JSON.stringify(open.key)}`,
      );
      return;
    }
    outstanding.delete(event.process);
    open.output = event.value;
    open.status = event.type;
    open.completeIndex = index;
    open.returnedMs = event.timeMs;
    open.completeMs = event.type === 'info' ? Infinity : event.timeMs;
  });
  return { operations, problems };
}

/** Every defect in a history's shape (empty if it is well-formed). Never throws. */
export function validateHistory(events: readonly HistoryEvent[]): HistoryProblem[] {
  return pairHistory(events).problems;
}

/**
 * Pairs each invocation with its process's next completion. Throws MalformedHistoryError (listing every
 * defect) if a process has two outstanding operations, a completion has no invocation or names another
 * function or key, a time is not finite, or time goes back. Invocations never completed become `info`.
 */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const { operations, problems } = pairHistory(events);
  if (problems.length > 0) throw new MalformedHistoryError(problems);
  return operations;
}

/** A value in a short readable form (for counter-examples and reports). */
export function formatValue(value: unknown): string {
  if (value === undefined) return '?';
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

/** A time in ms for text output ("∞" for an info operation's completion). */
export function formatMs(timeMs: number): string {
  if (!Number.isFinite(timeMs)) return '∞';
  return Number.isInteger(timeMs) ? String(timeMs) : timeMs.toFixed(1);
}

/** One line describing an operation: `#12 p3 cas(x) [1,2] → ok  [120 .. 130]`, `#13 p4 read(x) → ok 2  [..]`. */
export function describeOperation(op: Operation): string {
  const key = op.key !== undefined ? `(${op.key})` : '';
  const input = op.input === null || op.input === undefined ? '' : ` ${formatValue(op.input)}`;
  const sameAsInput = op.output === undefined || (input !== '' && formatValue(op.output) === formatValue(op.input));
  const outcome =
    op.status === 'ok'
      ? sameAsInput ? 'ok' : `ok ${formatValue(op.output)}`
      : op.status === 'fail'
        ? 'fail'
        : 'info (indeterminate)';
  const returned = op.status === 'info' && Number.isFinite(op.returnedMs) ? `, timed out at ${formatMs(op.returnedMs)}` : '';
  return `#${op.id} p${op.process} ${op.f}${key}${input} → ${outcome}  [${formatMs(op.invokeMs)} .. ${formatMs(op.completeMs)}${returned}]`;
}

/** Groups operations by key (operations without a key share the key ''). Preserves order within a group. */
export function groupByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of operations) {
    const key = op.key ?? '';
    let group = groups.get(key);
    if (group === undefined) {
      group = [];
      groups.set(key, group);
    }
    group.push(op);
  }
  return groups;
}

/** True if `a` certainly completed before `b` was invoked (real-time precedence). */
export function precedes(a: Operation, b: Operation): boolean {
  return a.completeMs < b.invokeMs;
}
