import os from 'node:os';
import type { CcmClient } from '../client/ccm-client.js';
import { CcmError } from '../errors/ccm-error.js';
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

/** "waiting for db: 3.2s, 2nd of 3 in line (held by worker-1)" — what `lease acquire --wait` shows while it waits. */
export async function describeWait(client: CcmClient, resource: string, holder: string, sinceMs: number): Promise<string> {
  const waited = formatDuration(Date.now() - sinceMs);
  const lock = await client.lock(resource, { timeoutMs: 1000 }).catch(() => null);
  if (!lock) return `waiting for ${resource}: ${waited}`;
  const at = lock.waiting.findIndex((w) => w.holder === holder);
  const place = at < 0 ? 'joining the queue' : `${ordinal(at + 1)} of ${lock.waiting.length} in line`;
  return `waiting for ${resource}: ${waited}, ${place} (held by ${lock.holder})`;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Lease utilization in a few lines (`ccm lease inspect`): share held, grants, hold and wait times, queue, refusals. */
export function formatLockStats(s: import('../api/api-types.js').LockStatsView, node: string): string[] {
  const ms = (v: number | null): string => (v === null ? '-' : formatDuration(v));
  return [
    `  utilization since ${new Date(s.sinceMs).toISOString().slice(11, 19)} (${formatDuration(s.observedMs)}, as ${node} saw it):`,
    `    held ${(s.heldFraction * 100).toFixed(1)}% of the time, ${s.grants} grant${s.grants === 1 ? '' : 's'}, ${s.refusals} refusal${s.refusals === 1 ? '' : 's'}` +
      `${s.waitsAbandoned ? `, ${s.waitsAbandoned} gave up waiting` : ''}`,
    `    hold: mean ${ms(s.hold.meanMs)}, p99 ${ms(s.hold.p99Ms)} (${s.hold.count} ended)`,
    `    wait: mean ${ms(s.wait.meanMs)}, p99 ${ms(s.wait.p99Ms)}; queue now ${s.queueDepth}, at most ${s.maxQueueDepth}`,
  ];
}
