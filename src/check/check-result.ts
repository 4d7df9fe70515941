/**
 * What every checker returns: a verdict, a one-line summary and, when the history is invalid (or the check
 * gave up), the smallest counter-example found, in words and as the operations involved.
 */
import type { Operation } from './history.js';

/**
 * valid: the property holds on this history. invalid: it is violated (see the counter-example).
 * unknown: the checker ran out of its time or memory budget, or the history lacks what it needs.
 */
export type Verdict = 'valid' | 'invalid' | 'unknown';

/** A violation: what is wrong, in words, and the operations that show it (highlighted in the report). */
export interface CounterExample {
  description: string;
  ops: Operation[];
}

/** The result of one checker on one history. */
export interface CheckResult {
  /** Which property was checked: linearizability, lease-exclusivity, lost-writes, watch-order, registry-staleness. */
  checker: string;
  verdict: Verdict;
  /** One line for the text verdict. */
  summary: string;
  /** The smallest counter-example found (present when invalid; may be present when unknown, as a hint). */
  counterExample?: CounterExample;
  /** Every violation found, smallest first (the counter-example is the first); may be capped. */
  violations?: CounterExample[];
}

/** Combines verdicts: invalid if any is invalid, else unknown if any is unknown, else valid. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('invalid')) return 'invalid';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'valid';
}
