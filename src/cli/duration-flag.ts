import { parseDurationArg } from '../faults/fault-args.js';

/**
 * A time flag that used to take bare milliseconds (`kv get --timeout 5000`) and now takes a duration (`5s`). A bare
 * number still works for a release, read as milliseconds, with a warning on stderr that says what to write instead.
 */
export function durationOrLegacyMs(text: string, flag: string, range: { minMs?: number; maxMs?: number } = {}, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  if (/^\s*\d+\s*$/.test(text)) {
    const ms = Number(text);
    warn(`warning: ${flag} ${text.trim()} has no unit and is read as milliseconds; write ${ms}ms or ${formatShort(ms)} (bare numbers will be refused in a later release)`);
    return parseDurationArg(`${ms}ms`, flag, range);
  }
  return parseDurationArg(text, flag, range);
}

function formatShort(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3).replace(/0+$/, '')}s`;
}

/** The --timeout of a single request (kv get/put/del/txn/compact): a duration, default 5s, at most 60s. */
export const REQUEST_TIMEOUT_FLAG = {
  summary: 'Deadline of the request, e.g. 5s or 500ms (at most 60s; a bare number is read as milliseconds, deprecated).',
  default: '5s',
} as const;

export function requestTimeoutMs(text: string): number {
  return durationOrLegacyMs(text, '--timeout', { minMs: 1, maxMs: 60_000 });
}
