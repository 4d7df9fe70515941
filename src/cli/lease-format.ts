import os from 'node:os';
import { CcmError } from '../client/api-errors.js';
import { DurationError, formatDuration, parseDuration } from '../time/duration.js';

/** Parses a --ttl or --timeout value into ms, as a CcmError on bad input. */
export function durationFlag(text: string, flag: string): number {
  try {
    return parseDuration(text, flag);
  } catch (err) {
    if (err instanceof DurationError) throw new CcmError('invalid_argument', err.message);
    throw err;
  }
}

/** The holder name used when none is given: host and process. */
export function defaultHolder(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** "in 9.8s (12:00:10)" for a deadline in wall-clock ms. */
export function describeExpiry(atMs: number): string {
  return `${new Date(atMs).toISOString().slice(11, 19)} (in ${formatDuration(Math.max(0, atMs - Date.now()))})`;
}

/** Lease utilization in a few lines (`ccm lease inspect`): share held, grants, hold and wait times, queue, refusals. */
export function formatLockStats(s: import('../client/api-types.js').LockStatsView, node: string): string[] {
  const ms = (v: number | null): string => (v === null ? '-' : formatDuration(v));
  return [
    `  utilization since ${new Date(s.sinceMs).toISOString().slice(11, 19)} (${formatDuration(s.observedMs)}, as ${node} saw it):`,
    `    held ${(s.heldFraction * 100).toFixed(1)}% of the time, ${s.grants} grant${s.grants === 1 ? '' : 's'}, ${s.refusals} refusal${s.refusals === 1 ? '' : 's'}` +
      `${s.waitsAbandoned ? `, ${s.waitsAbandoned} gave up waiting` : ''}`,
    `    hold: mean ${ms(s.hold.meanMs)}, p99 ${ms(s.hold.p99Ms)} (${s.hold.count} ended)`,
    `    wait: mean ${ms(s.wait.meanMs)}, p99 ${ms(s.wait.p99Ms)}; queue now ${s.queueDepth}, at most ${s.maxQueueDepth}`,
  ];
}
