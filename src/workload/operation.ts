/**
 * One client operation, recorded: invoke, run, then ok / fail / info by what the error says about whether
 * the operation may have taken effect (Jepsen's rule):
 * - ok: it took effect;
 * - fail: it certainly did not (`proposal_dropped`, `no_leader`, `not_leader`, `failed_precondition`,
 *   `not_found`, `invalid_argument`, `held`, a connection refused before anything was sent...);
 * - info: it may or may not have (`timeout`, a connection lost after sending, anything unexpected).
 * A read that did not return is recorded as fail: it has no effect either way.
 */
import { CcmError } from '../errors/ccm-error.js';
import type { HistoryRecorder } from './history-recorder.js';

/** Errors after which the operation certainly did not take effect. */
const DEFINITE_FAILURES: ReadonlySet<string> = new Set([
  'proposal_dropped',
  'no_leader',
  'not_leader',
  'failed_precondition',
  'not_found',
  'invalid_argument',
  'already_exists',
  'conflict',
  'held',
  'compacted',
  'not_running',
]);

/** Errors that mean the node (or the leader) could not be reached: the client backs off a little. */
const UNREACHABLE: ReadonlySet<string> = new Set(['no_leader', 'not_leader', 'unavailable', 'not_running']);

/** How a failed request is recorded. */
export interface ErrorOutcome {
  type: 'fail' | 'info';
  /** What the history records as the completion's value. */
  value: { error: string; message: string };
  /** The node or the leader was unreachable: worth a short pause before the next operation. */
  isUnreachable: boolean;
}

/** Classifies an error by whether the operation may have happened. */
export function classifyError(err: unknown, isReadOnly: boolean): ErrorOutcome {
  if (!(err instanceof CcmError)) {
    return { type: isReadOnly ? 'fail' : 'info', value: { error: 'internal', message: (err as Error)?.message ?? String(err) }, isUnreachable: false };
  }
  const notSent = err.code === 'unavailable' && (err.details as { notSent?: boolean } | undefined)?.notSent === true;
  const definite = DEFINITE_FAILURES.has(err.code) || notSent;
  return {
    type: isReadOnly || definite ? 'fail' : 'info',
    value: { error: err.code, message: err.message },
    isUnreachable: UNREACHABLE.has(err.code),
  };
}

/** What `recordOperation` returns: how it ended and the value recorded. */
export type OperationOutcome<T> = { type: 'ok'; result: T; value: unknown } | ({ result?: undefined } & ErrorOutcome);

/**
 * Invokes, runs and completes one operation. `toValue` turns the result into the completion's value;
 * `onError` may claim an error as a definite outcome (e.g. a read of a missing key is an ok read of nil).
 */
export async function recordOperation<T>(
  recorder: HistoryRecorder,
  op: { process: number; f: string; key?: string; input: unknown; isReadOnly?: boolean },
  run: () => Promise<T>,
  toValue: (result: T) => unknown,
  onError?: (err: unknown) => { type: 'ok'; value: unknown } | { type: 'fail'; value: ErrorOutcome['value'] } | undefined,
): Promise<OperationOutcome<T>> {
  recorder.invoke(op.process, op.f, op.key, op.input);
  let result: T;
  try {
    result = await run();
  } catch (err) {
    const claimed = onError?.(err);
    if (claimed !== undefined) {
      recorder.complete(op.process, claimed.type, claimed.value);
      if (claimed.type === 'ok') return { type: 'ok', result: undefined as T, value: claimed.value };
      return { type: 'fail', value: claimed.value as ErrorOutcome['value'], isUnreachable: false };
    }
    const outcome = classifyError(err, op.isReadOnly ?? false);
    recorder.complete(op.process, outcome.type, outcome.value);
    return outcome;
  }
  const value = toValue(result);
  recorder.complete(op.process, 'ok', value);
  return { type: 'ok', result, value };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
