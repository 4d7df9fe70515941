/** Durations as people type them: `250ms`, `10s`, `1.5m`, `2h`, `1d` (a bare number is rejected: say the unit). */
const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*([+-]?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

export class DurationError extends Error {}

/** Parses a duration into milliseconds; throws DurationError with a message naming the input. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = PATTERN.exec(text);
  if (!m) throw new DurationError(`${what} "${text}" is not a duration; write it like 250ms, 10s, 5m, 1h or 1d`);
  const ms = Number(m[1]) * UNITS_MS[m[2]];
  if (!Number.isFinite(ms)) throw new DurationError(`${what} "${text}" is out of range`);
  return Math.round(ms);
}

/** A short human form: 850ms, 12.3s, 4m05s, 2h10m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)}ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)}s`;
  if (a < 3_600_000) {
    const m = Math.floor(a / 60_000);
    const s = Math.floor((a % 60_000) / 1000);
    return `${sign}${m}m${String(s).padStart(2, '0')}s`;
  }
  const h = Math.floor(a / 3_600_000);
  const m = Math.floor((a % 3_600_000) / 60_000);
  return `${sign}${h}h${String(m).padStart(2, '0')}m`;
}
