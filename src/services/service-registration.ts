import { CcmError } from '../errors/ccm-error.js';
import type { ServiceCheckView } from '../api/api-types.js';
import { validateTtlMs } from '../core/commands.js';
import { MAX_LEASE_TTL_MS } from '../core/kv-types.js';
import { validateCheckSpec } from '../api/health-check-spec.js';

/** The rules a service registration must meet, checked whole (by the CLI, then by the node) before anything is written. */

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ADDRESS_RULE = /^[A-Za-z0-9._:[\]%-]{1,255}$/;
const TAG_RULE = /^[A-Za-z0-9._:=/-]{1,64}$/;
const MAX_TAGS = 32;
/** Service check defaults: Consul's interval is 10 s; the timeout must be shorter than the interval. */
export const DEFAULT_CHECK_INTERVAL_MS = 10_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 2000;
/** Consul's minimum for deregister_critical_service_after is 1 minute; it is our default (shorter is allowed, for tests and demos). */
export const DEFAULT_DEREGISTER_AFTER_MS = 60_000;
const MIN_DEREGISTER_AFTER_MS = 1000;

export function validateServiceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RULE.test(name)) {
    throw new CcmError('invalid_argument', `service name ${JSON.stringify(name)} is invalid: use 1-128 letters, digits and . _ - (starting with a letter or digit)`);
  }
  return name;
}

export function validateInstanceId(id: unknown): string {
  if (typeof id !== 'string' || !NAME_RULE.test(id)) {
    throw new CcmError('invalid_argument', `instance id ${JSON.stringify(id)} is invalid: use 1-128 letters, digits and . _ - (starting with a letter or digit)`);
  }
  return id;
}

export function validateAddress(address: unknown): string {
  if (typeof address !== 'string' || !ADDRESS_RULE.test(address)) {
    throw new CcmError('invalid_argument', `address ${JSON.stringify(address)} is invalid: give a host name or an IP address (such as 127.0.0.1)`);
  }
  return address;
}

export function validatePort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CcmError('invalid_argument', `port ${JSON.stringify(port)} is out of range: use a whole number from 1 to 65535`);
  }
  return port;
}

export function validateTags(tags: unknown): string[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw new CcmError('invalid_argument', 'tags must be a list of strings');
  if (tags.length > MAX_TAGS) throw new CcmError('invalid_argument', `at most ${MAX_TAGS} tags`);
  for (const t of tags) {
    if (typeof t !== 'string' || !TAG_RULE.test(t)) throw new CcmError('invalid_argument', `tag ${JSON.stringify(t)} is invalid: use 1-64 letters, digits and . _ : = / -`);
  }
  return [...new Set(tags as string[])];
}

export function validateDeregisterAfterMs(ms: unknown): number {
  if (ms === undefined || ms === null) return DEFAULT_DEREGISTER_AFTER_MS;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < MIN_DEREGISTER_AFTER_MS || ms > MAX_LEASE_TTL_MS) {
    throw new CcmError('invalid_argument', `deregister-after ${JSON.stringify(ms)} ms is out of range: use 1s to 7d`);
  }
  return ms;
}

/**
 * A service check: `{http: url}` or `{tcp: "host:port"}`, with optional intervalMs/timeoutMs (the health monitor's
 * rules: timeout shorter than interval, interval from 100 ms). Command checks are refused: a registration comes over
 * the network, and running its command on a node would let any client run anything there.
 */
export function validateServiceCheck(raw: unknown, id: string, deregisterAfterMs: unknown): ServiceCheckView | null {
  if (raw === undefined || raw === null) {
    if (deregisterAfterMs !== undefined && deregisterAfterMs !== null) throw new CcmError('invalid_argument', 'deregister-after needs a check (an instance without one is passing while its lease lives)');
    return null;
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new CcmError('invalid_argument', 'a check is {"http": url} or {"tcp": "host:port"}, with optional intervalMs and timeoutMs');
  const spec = raw as Record<string, unknown>;
  if (spec.command !== undefined) throw new CcmError('invalid_argument', 'service checks are http or tcp (command checks belong to a node: ccm health check add)');
  const def = validateCheckSpec(id, { ...spec, intervalMs: spec.intervalMs ?? DEFAULT_CHECK_INTERVAL_MS, timeoutMs: spec.timeoutMs ?? Math.min(DEFAULT_CHECK_TIMEOUT_MS, Math.max(1, Math.floor(Number(spec.intervalMs ?? DEFAULT_CHECK_INTERVAL_MS) / 2))) });
  if (def.kind === 'command') throw new CcmError('invalid_argument', 'service checks are http or tcp');
  return { kind: def.kind, target: def.target, intervalMs: def.intervalMs, timeoutMs: def.timeoutMs, deregisterAfterMs: validateDeregisterAfterMs(deregisterAfterMs) };
}

/** A registration request, validated whole before anything is written. */
export interface Registration {
  service: string;
  id: string;
  address: string;
  port: number;
  tags: string[];
  ttlMs: number;
  check: ServiceCheckView | null;
  by: string;
}

export function validateRegistration(service: unknown, body: Record<string, unknown>, defaultBy: string): Registration {
  const id = validateInstanceId(body.id);
  const by = body.by === undefined ? defaultBy : body.by;
  if (typeof by !== 'string' || by.length === 0 || by.length > 256) throw new CcmError('invalid_argument', '"by" must be 1-256 characters');
  return {
    service: validateServiceName(service),
    id,
    address: validateAddress(body.address),
    port: validatePort(body.port),
    tags: validateTags(body.tags),
    ttlMs: validateTtlMs(body.ttlMs),
    check: validateServiceCheck(body.check, id, body.deregisterAfterMs),
    by,
  };
}
