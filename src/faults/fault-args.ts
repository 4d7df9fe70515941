/**
 * Fault arguments as people type them on the command line: percentages, durations, clock offsets and node
 * ids. Each parser throws a CcmError (invalid_argument) naming the input, before anything is changed.
 */
import { CcmError } from '../errors/ccm-error.js';
import { DurationError, parseDuration } from '../time/duration.js';
import { MAX_CLOCK_RATE, MAX_DELAY_MS, MAX_SKEW_MS, MIN_CLOCK_RATE } from './faults.js';

/** `10%`, `0.5%` or `10` (percent) into a rate in [0, 1]. */
export function parsePercent(text: string, what = 'rate'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new CcmError('invalid_argument', `${what} "${text}" is not a percentage; write it like 10% or 2.5%`);
  const percent = Number(m[1]);
  if (!(percent >= 0 && percent <= 100)) throw new CcmError('invalid_argument', `${what} ${text} is outside 0-100%`);
  return percent / 100;
}

/** A duration (`200ms`, `1.5s`) as a CcmError-throwing parse, within [min, max]. */
export function parseDurationArg(text: string, what: string, range: { minMs?: number; maxMs?: number } = {}): number {
  let ms: number;
  try {
    ms = parseDuration(text, what);
  } catch (err) {
    if (err instanceof DurationError) throw new CcmError('invalid_argument', err.message);
    throw err;
  }
  const min = range.minMs ?? 0;
  if (ms < min) throw new CcmError('invalid_argument', `${what} ${text} is too short: at least ${min} ms`);
  if (range.maxMs !== undefined && ms > range.maxMs) throw new CcmError('invalid_argument', `${what} ${text} is too long: at most ${range.maxMs} ms`);
  return ms;
}

/** A link delay or jitter: 0 to 60 s. */
export function parseDelay(text: string, what = 'delay'): number {
  return parseDurationArg(text, what, { minMs: 0, maxMs: MAX_DELAY_MS });
}

/** A clock offset: `+3s` (ahead), `-500ms` (behind), `0s` (none); within ±1 day. */
export function parseSkew(text: string): number {
  if (!/^\s*[+-]?\d/.test(text)) throw new CcmError('invalid_argument', `clock offset "${text}" is not a duration; write it like +3s, -500ms or 0s`);
  const ms = parseDurationArg(text.replace(/^\s*\+/, ''), 'clock offset', { minMs: -MAX_SKEW_MS, maxMs: MAX_SKEW_MS });
  return ms;
}

/** A clock rate: `2x` (fast), `0.5x` (slow), `1x` (right); 0.1x to 10x. */
export function parseClockRate(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*x?\s*$/i.exec(text);
  const rate = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(rate) || rate < MIN_CLOCK_RATE || rate > MAX_CLOCK_RATE) {
    throw new CcmError('invalid_argument', `clock rate "${text}" is not a rate from ${MIN_CLOCK_RATE}x to ${MAX_CLOCK_RATE}x; write it like 2x, 0.5x or 1x`);
  }
  return rate;
}

/** `--between n1 n2` (or `n1,n2`) into a link's two ends; no flag means every link (`*`). */
export function parseBetween(between: readonly string[] | undefined): [string, string] {
  if (between === undefined || between.length === 0) return ['*', '*'];
  const ids = between.flatMap((x) => x.split(/[\s,]+/)).filter(Boolean);
  if (ids.length !== 2) throw new CcmError('invalid_argument', `--between needs exactly two nodes, e.g. --between n1 n2 (got ${ids.join(' ') || 'none'})`);
  return [ids[0], ids[1]];
}
