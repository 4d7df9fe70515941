import { CcmError } from '../errors/ccm-error.js';
import type { HealthCheckSpec, HealthStatus, HealthSummary } from './api-types.js';
import type { StoredHealthCheck } from '../storage/health-check-store.js';

/** Health checks as the API defines them: valid specs, statuses and how results map to them (Consul's rules). */

/** A check name: 1–64 letters, digits, `_`, `.` or `-`. */
export const CHECK_NAME_RULE = /^[a-zA-Z0-9_.-]{1,64}$/;
/** Bounds on a user check's schedule: faster than this is a load test, not a health check. */
export const MIN_CHECK_INTERVAL_MS = 100;
export const MAX_CHECK_INTERVAL_MS = 86_400_000;
/** Output kept per check run (the tail of a command's output, the head of an HTTP body). */
export const MAX_CHECK_OUTPUT_CHARS = 1000;
const MAX_URL_LENGTH = 2048;
const MAX_COMMAND_LENGTH = 4096;

const SEVERITY: Record<HealthStatus, number> = { passing: 0, warning: 1, critical: 2 };

/** The worse of two statuses. */
export function worstStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** The summary a node gossips: the worst status, and the names of the checks that are not passing (at most 8). */
export function summarize(checks: readonly { name: string; status: HealthStatus }[]): HealthSummary {
  let status: HealthStatus = 'passing';
  const failing: string[] = [];
  for (const c of checks) {
    status = worstStatus(status, c.status);
    if (c.status !== 'passing') failing.push(c.name);
  }
  failing.sort();
  return { status, failing: failing.slice(0, 8) };
}

/** Higher is worse: passing below `warning`, warning below `critical`, critical from there. */
export function thresholdStatus(value: number, limits: { warning: number; critical: number }): HealthStatus {
  if (!(value < limits.critical)) return 'critical';
  if (!(value < limits.warning)) return 'warning';
  return 'passing';
}

/** Consul's HTTP rule: 2xx passing, 429 Too Many Requests warning, anything else critical. */
export function httpStatusToHealth(code: number): HealthStatus {
  if (code >= 200 && code < 300) return 'passing';
  if (code === 429) return 'warning';
  return 'critical';
}

/** Consul's script rule: exit 0 passing, exit 1 warning, any other exit (or a signal) critical. */
export function exitCodeToHealth(code: number | null): HealthStatus {
  if (code === 0) return 'passing';
  if (code === 1) return 'warning';
  return 'critical';
}

/** A user check, validated: what is stored and run. */
export type UserCheckDefinition = Omit<StoredHealthCheck, 'createdAtMs'>;

/**
 * Validates a user check received from outside (the CLI or any HTTP client). Throws invalid_argument naming the
 * problem; returns the definition to store. Exactly one of http/tcp/command; 0 < timeout < interval.
 */
export function validateCheckSpec(name: string, value: unknown): UserCheckDefinition {
  if (!CHECK_NAME_RULE.test(name)) {
    throw new CcmError('invalid_argument', `check name ${JSON.stringify(name)} must be 1-64 letters, digits, '_', '.' or '-'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CcmError('invalid_argument', 'a check is an object {"http"|"tcp"|"command": ..., "intervalMs": n, "timeoutMs": n}');
  }
  const spec = value as Record<string, unknown>;
  for (const field of Object.keys(spec)) {
    if (!['http', 'tcp', 'command', 'intervalMs', 'timeoutMs'].includes(field)) throw new CcmError('invalid_argument', `check ${name}: unknown field "${field}"`);
  }
  const kinds = (['http', 'tcp', 'command'] as const).filter((k) => spec[k] !== undefined);
  if (kinds.length !== 1) throw new CcmError('invalid_argument', `check ${name} needs exactly one of http, tcp or command (got ${kinds.length === 0 ? 'none' : kinds.join(' and ')})`);
  const kind = kinds[0];
  const target = spec[kind];
  if (typeof target !== 'string' || target.length === 0) throw new CcmError('invalid_argument', `check ${name}: ${kind} must be a non-empty string`);
  if (kind === 'http') validateUrl(name, target);
  if (kind === 'tcp') parseHostPort(name, target);
  if (kind === 'command' && (target.length > MAX_COMMAND_LENGTH || target.includes('\0'))) {
    throw new CcmError('invalid_argument', `check ${name}: command must be at most ${MAX_COMMAND_LENGTH} characters, without NUL`);
  }
  const intervalMs = spec.intervalMs;
  const timeoutMs = spec.timeoutMs;
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs <= 0) {
    throw new CcmError('invalid_argument', `check ${name}: interval must be a positive duration (got ${describeMs(intervalMs)})`);
  }
  if (intervalMs < MIN_CHECK_INTERVAL_MS || intervalMs > MAX_CHECK_INTERVAL_MS) {
    throw new CcmError('invalid_argument', `check ${name}: interval must be from ${MIN_CHECK_INTERVAL_MS}ms to 1d (got ${intervalMs}ms)`);
  }
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new CcmError('invalid_argument', `check ${name}: timeout must be a positive duration (got ${describeMs(timeoutMs)})`);
  }
  if (timeoutMs >= intervalMs) {
    throw new CcmError('invalid_argument', `check ${name}: timeout (${timeoutMs}ms) must be shorter than the interval (${intervalMs}ms), so runs never overlap`);
  }
  return { name, kind, target, intervalMs, timeoutMs };
}

function describeMs(v: unknown): string {
  return typeof v === 'number' ? `${v}ms` : JSON.stringify(v) ?? String(v);
}

function validateUrl(name: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CcmError('invalid_argument', `check ${name}: "${text}" is not a URL (for example http://127.0.0.1:8080/health)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CcmError('invalid_argument', `check ${name}: URL must be http or https (got ${url.protocol})`);
  if (text.length > MAX_URL_LENGTH) throw new CcmError('invalid_argument', `check ${name}: URL is longer than ${MAX_URL_LENGTH} characters`);
  return url;
}

/** `host:port` (or `[v6]:port`) → its parts; throws invalid_argument. */
export function parseHostPort(name: string, text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const host = at > 0 ? text.slice(0, at).replace(/^\[(.*)\]$/, '$1') : '';
  const portText = at > 0 ? text.slice(at + 1) : '';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (host.length === 0 || !(port >= 1 && port <= 65535)) {
    throw new CcmError('invalid_argument', `check ${name}: tcp target "${text}" must be host:port with a port from 1 to 65535`);
  }
  return { host, port };
}

/** The spec as the API shows it. */
export function specOf(def: UserCheckDefinition): HealthCheckSpec {
  return { [def.kind]: def.target, intervalMs: def.intervalMs, timeoutMs: def.timeoutMs };
}
