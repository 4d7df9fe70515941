/**
 * Service registry staleness: a lookup never returns an instance after it was certainly deregistered or
 * its lease certainly ended, plus a margin.
 *
 * The registry workload's operations, keyed by service name:
 * - `register`: input `{ instanceId, ttlMs? }`; with ttlMs the registration lives on a lease of that TTL;
 * - `keepalive` (or `renew`): input `{ instanceId }`: refreshes that lease;
 * - `deregister`: input `{ instanceId }`;
 * - `lookup`: ok output `{ instances: [...] }` or the array itself; an instance is its id string or an
 *   object with `instanceId` or `id`.
 *
 * When a registration R is certainly gone (the latest moment it could still exist):
 * - after the completion of an ok deregister of the instance invoked after R completed (one concurrent with
 *   R may have run first and removed nothing);
 * - with a lease: after its latest possible expiry. The lease was created by R's completion (or, for an info
 *   register, at most `indeterminateWithinMs` after its invocation) and expires at most TTL later; an ok
 *   keepalive refreshed it by its completion, so pushes that bound to completion + TTL; an info keepalive
 *   may have refreshed it at any moment the lease was alive (at most `indeterminateWithinMs` after its
 *   invocation), so it can push the bound by up to one more TTL.
 * Without a deregister, a lease or a bound on indeterminate requests, a registration may live forever.
 * A lookup L returning instance i is stale if every registration of i invoked before L completed was
 * certainly gone more than `marginMs` before L was invoked (or i was never registered at all).
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import { formatMs, type Operation } from './history.js';

/** Options for checkRegistryStaleness. */
export interface RegistryStalenessOptions {
  /** Allowed lag between an instance's end and lookups no longer returning it; default 1,000 ms. */
  marginMs?: number;
  /** How long after its invocation an indeterminate (info) request can still take effect; default Infinity. */
  indeterminateWithinMs?: number;
  /** Most violations listed; default 100. */
  maxViolations?: number;
}

/** A registration and the latest moment it could still exist. */
export interface RegistrationLifetime {
  service: string;
  instanceId: string;
  register: Operation;
  /** Infinity if it may still exist. */
  goneByMs: number;
  /** What bounds it: the deregister, or the lease's latest expiry. */
  endedBy: 'deregister' | 'lease' | 'never';
  /** The deregister or last keepalive that fixes goneByMs. */
  boundingOp?: Operation;
}

/** A stale (or phantom) lookup. */
export interface RegistryViolation extends CounterExample {
  kind: 'stale-instance' | 'unregistered-instance';
  service: string;
  instanceId: string;
  lookup: Operation;
}

/** The registry checker's result. */
export interface RegistryStalenessResult extends CheckResult {
  checker: 'registry-staleness';
  lookupsChecked: number;
  lifetimes: RegistrationLifetime[];
  violations: RegistryViolation[];
  counterExample?: RegistryViolation;
}

function instanceIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.instanceId === 'string') return record.instanceId;
    if (typeof record.id === 'string') return record.id;
  }
  return undefined;
}

function lookedUpInstances(output: unknown): string[] | undefined {
  const list =
    Array.isArray(output)
      ? output
      : output !== null && typeof output === 'object' && Array.isArray((output as { instances?: unknown }).instances)
        ? (output as { instances: unknown[] }).instances
        : undefined;
  if (list === undefined) return undefined;
  const ids = list.map(instanceIdOf);
  return ids.every((id): id is string => id !== undefined) ? ids : undefined;
}

function ttlOf(input: unknown): number | undefined {
  if (input !== null && typeof input === 'object') {
    const ttl = (input as { ttlMs?: unknown }).ttlMs;
    if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0) return ttl;
  }
  return undefined;
}

/** The lifetime bound of every registration (see the module comment for the rule). */
export function registrationLifetimes(
  operations: readonly Operation[],
  options: RegistryStalenessOptions = {},
): RegistrationLifetime[] {
  const withinMs = options.indeterminateWithinMs ?? Infinity;
  const lifetimes: RegistrationLifetime[] = [];
  const byInstance = new Map<string, Operation[]>();
  for (const op of operations) {
    if (!['register', 'keepalive', 'renew', 'deregister'].includes(op.f) || op.status === 'fail') continue;
    const instanceId = instanceIdOf(op.input);
    if (instanceId === undefined) continue;
    const id = `${op.key ?? ''}\u0000${instanceId}`;
    const list = byInstance.get(id) ?? [];
    list.push(op);
    byInstance.set(id, list);
  }
  for (const ops of byInstance.values()) {
    const sorted = [...ops].sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
    const registers = sorted.filter((op) => op.f === 'register');
    registers.forEach((register, index) => {
      const instanceId = instanceIdOf(register.input) as string;
      const nextRegister = registers[index + 1];
      // a later registration starts its own lifetime; requests invoked after it belong to it
      const mine = sorted.filter(
        (op) => op !== register && op.invokeMs >= register.invokeMs && (nextRegister === undefined || op.invokeMs < nextRegister.invokeMs),
      );
      const createdByMs = register.status === 'ok' ? register.completeMs : register.invokeMs + withinMs;

      let goneByMs = Infinity;
      let endedBy: RegistrationLifetime['endedBy'] = 'never';
      let boundingOp: Operation | undefined;

      const deregister = mine.find((op) => op.f === 'deregister' && op.status === 'ok' && op.invokeMs > register.completeMs);
      if (deregister !== undefined) {
        goneByMs = deregister.completeMs;
        endedBy = 'deregister';
        boundingOp = deregister;
      }

      const ttlMs = ttlOf(register.input);
      if (ttlMs !== undefined) {
        let expiryMs = createdByMs + ttlMs;
        let lastKeepalive: Operation | undefined;
        const keepalives = mine.filter((op) => op.f === 'keepalive' || op.f === 'renew');
        for (const keepalive of keepalives) {
          if (keepalive.status === 'ok' && keepalive.completeMs + ttlMs > expiryMs) {
            expiryMs = keepalive.completeMs + ttlMs;
            lastKeepalive = keepalive;
          }
        }
        // an info keepalive refreshes at most once, at a moment the lease was alive: by at most one TTL
        const unused = new Set(keepalives.filter((op) => op.status === 'info'));
        for (let changed = true; changed; ) {
          changed = false;
          for (const keepalive of unused) {
            if (keepalive.invokeMs > expiryMs) continue;
            unused.delete(keepalive);
            expiryMs = Math.max(expiryMs, Math.min(expiryMs, keepalive.invokeMs + withinMs) + ttlMs);
            lastKeepalive = keepalive;
            changed = true;
          }
        }
        if (expiryMs < goneByMs) {
          goneByMs = expiryMs;
          endedBy = 'lease';
          boundingOp = lastKeepalive;
        }
      }
      lifetimes.push({
        service: register.key ?? '',
        instanceId,
        register,
        goneByMs,
        endedBy,
        ...(boundingOp !== undefined ? { boundingOp } : {}),
      });
    });
  }
  return lifetimes;
}

/** Checks that no lookup returned an instance certainly gone for longer than the margin. */
export function checkRegistryStaleness(
  operations: readonly Operation[],
  options: RegistryStalenessOptions = {},
): RegistryStalenessResult {
  const marginMs = options.marginMs ?? 1_000;
  const maxViolations = options.maxViolations ?? 100;
  const lifetimes = registrationLifetimes(operations, options);
  const byInstance = new Map<string, RegistrationLifetime[]>();
  for (const lifetime of lifetimes) {
    const id = `${lifetime.service}\u0000${lifetime.instanceId}`;
    const list = byInstance.get(id) ?? [];
    list.push(lifetime);
    byInstance.set(id, list);
  }

  const violations: RegistryViolation[] = [];
  let lookupsChecked = 0;
  const lookups = operations.filter((op) => op.f === 'lookup' && op.status === 'ok').sort((a, b) => a.invokeMs - b.invokeMs);
  for (const lookup of lookups) {
    const instances = lookedUpInstances(lookup.output);
    if (instances === undefined) continue;
    lookupsChecked++;
    const service = lookup.key ?? '';
    for (const instanceId of new Set(instances)) {
      const candidates = (byInstance.get(`${service}\u0000${instanceId}`) ?? []).filter(
        (lifetime) => lifetime.register.invokeMs < lookup.completeMs,
      );
      if (candidates.some((lifetime) => lifetime.goneByMs + marginMs >= lookup.invokeMs)) continue;
      if (candidates.length === 0) {
        violations.push({
          kind: 'unregistered-instance',
          service,
          instanceId,
          lookup,
          description: `lookup #${lookup.id} of ${JSON.stringify(service)} (p${lookup.process} at ${formatMs(lookup.invokeMs)}) returned instance ${JSON.stringify(instanceId)}, which was never registered before it.`,
          ops: [lookup],
        });
        continue;
      }
      const latest = candidates.reduce((a, b) => (b.goneByMs > a.goneByMs ? b : a));
      const how =
        latest.endedBy === 'deregister'
          ? `deregistered by #${latest.boundingOp?.id} (completed at ${formatMs(latest.goneByMs)})`
          : `its lease ended by ${formatMs(latest.goneByMs)} at the latest (registered by #${latest.register.id}` +
            `${latest.boundingOp !== undefined ? `, last keepalive #${latest.boundingOp.id}` : ', no keepalive'})`;
      violations.push({
        kind: 'stale-instance',
        service,
        instanceId,
        lookup,
        description:
          `lookup #${lookup.id} of ${JSON.stringify(service)} (p${lookup.process}, invoked at ${formatMs(lookup.invokeMs)}) returned instance ` +
          `${JSON.stringify(instanceId)}, ${formatMs(lookup.invokeMs - latest.goneByMs)} ms after it was ${how}; the margin is ${formatMs(marginMs)} ms.`,
        ops: [latest.register, ...(latest.boundingOp !== undefined ? [latest.boundingOp] : []), lookup],
      });
    }
  }

  const listed = violations.slice(0, maxViolations);
  const counterExample = listed[0];
  const verdict: Verdict = violations.length > 0 ? 'invalid' : 'valid';
  return {
    checker: 'registry-staleness',
    verdict,
    summary:
      verdict === 'valid'
        ? `no stale lookups: ${lookupsChecked} lookups, ${lifetimes.length} registrations (margin ${formatMs(marginMs)} ms)`
        : `${violations.length} stale lookup result${violations.length === 1 ? '' : 's'}; first: ${counterExample?.description ?? ''}`,
    lookupsChecked,
    lifetimes,
    violations: listed,
    ...(counterExample ? { counterExample } : {}),
  };
}
