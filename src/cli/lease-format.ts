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

/** The --secret flag of every command that renews or ends a lease: the secret its grant printed, once. */
export const secretFlagOptions = {
  summary: "The lease's secret, printed once by the grant (acquire, grant, register, campaign); renewing or ending a lease needs it.",
  env: 'CCM_LEASE_SECRET',
} as const;
