/**
 * Lease exclusivity and fencing: no two clients hold a resource's lease at the same time, and fencing
 * tokens only go up.
 *
 * The lease workload's operations, keyed by resource:
 * - `acquire`: input `{ ttlMs }` (or the TTL as a number); ok output `{ token }` (or the token as a number).
 * - `renew` (or `keepalive`): input `{ token? }`; ok when the server extended the lease.
 * - `release`: input `{ token? }`.
 * - `use` (or `write`): input `{ token }`; ok when the protected resource accepted the token (fencing; `write` is
 *   a write the core itself fenced: it must never be accepted once a newer grant exists).
 * renew/release/use by a process refer to that process's latest ok acquire of the same resource (and,
 * when they carry a token, only to the acquire that returned it).
 *
 * The hold interval (the rule, and why it is conservative). A checker may only call two holders a
 * violation if both *certainly* held valid leases at the same moment. An ok acquire was granted at some
 * unknown instant g between its invocation and completion, and the server's TTL started then, so:
 * - the hold certainly began by the acquire's **completion** (starting at the invocation, as the naive rule
 *   does, would flag a normal hand-over: B asks while A holds, A releases, B is granted, all overlapping);
 * - it certainly lasted until the earliest of: the **invocation** of the holder's release (ok or info: the
 *   release may take effect as soon as it is sent; a failed release ends nothing) and its validity, which
 *   is at least **acquire invocation + TTL** (g ≥ invocation), extended to `renew invocation + TTL` by
 *   each ok renew (an ok renew proves the lease was alive, hence never lost, until then).
 * So hold = [acquire.complete, min(release.invoke, max(acquire.invoke, ok renews' invoke) + TTL) − margin].
 * Two holds of one resource that overlap (strictly) are a violation. An info acquire may or may not have
 * been granted: it is never a certain holder and its token is unknown, so it is not checked.
 *
 * Fencing tokens: if acquire A certainly completed before acquire B was invoked, A's token must be lower
 * than B's; two different ok acquires never share a token. And the protected resource must never accept
 * (ok `use` or `write`) a token lower than one it accepted in a use that completed before this use was invoked,
 * nor (ok `write`) a token once an acquire with a higher token completed before the write was invoked: a stale
 * token accepted.
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import { formatMs, groupByKey, type Operation } from './history.js';

/** Options for checkLeaseExclusivity. */
export interface LeaseExclusivityOptions {
  /** TTL for acquires whose input carries none; default: none (held until released). */
  defaultTtlMs?: number;
  /** Shortened from the end of every hold, for clock-rate differences between server and recorder; default 0. */
  marginMs?: number;
  /** Most violations listed; default 100. */
  maxViolations?: number;
}

/** One certain hold of a lease. */
export interface LeaseHold {
  key: string;
  process: number;
  acquire: Operation;
  token: number | undefined;
  startMs: number;
  endMs: number;
  /** What ended the certain hold: a release was sent, the TTL may have run out, or the history ended. */
  endReason: 'release' | 'expiry' | 'history-end';
  /** The release or last renew that bounds the hold, if any. */
  boundingOp?: Operation;
}

/** A lease violation. */
export interface LeaseViolation extends CounterExample {
  kind: 'overlapping-holders' | 'token-not-increasing' | 'duplicate-token' | 'stale-token-accepted';
  key: string;
  /** When the violation shows (for ordering and the report). */
  atMs: number;
}

/** The lease checker's result. */
export interface LeaseExclusivityResult extends CheckResult {
  checker: 'lease-exclusivity';
  holds: LeaseHold[];
  /** What the history holds: ok grants, fenced writes accepted, and fenced writes refused as stale. */
  counts: { resources: number; grants: number; writesAccepted: number; writesRefusedStale: number };
  violations: LeaseViolation[];
  counterExample?: LeaseViolation;
}

function numberField(value: unknown, field: string): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value !== null && typeof value === 'object' && field in value) {
    const inner = (value as Record<string, unknown>)[field];
    if (typeof inner === 'number' && Number.isFinite(inner)) return inner;
  }
  return undefined;
}

function holdText(hold: LeaseHold): string {
  const token = hold.token === undefined ? 'no token' : `token ${hold.token}`;
  const end =
    hold.endReason === 'release'
      ? `its release was sent at ${formatMs(hold.endMs)}`
      : hold.endReason === 'expiry'
        ? `its TTL could run out at ${formatMs(hold.endMs)}`
        : 'the history ended';
  return `p${hold.process} (${token}) certainly held it from ${formatMs(hold.startMs)} (acquire #${hold.acquire.id} completed) until ${end}`;
}

/** Certain holds of each resource, from ok acquires and the renews and releases that follow them. */
export function leaseHolds(operations: readonly Operation[], options: LeaseExclusivityOptions = {}): LeaseHold[] {
  const marginMs = options.marginMs ?? 0;
  const holds: LeaseHold[] = [];
  for (const [key, ops] of groupByKey(operations)) {
    const sorted = [...ops].sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
    for (const acquire of sorted) {
      if (acquire.f !== 'acquire' || acquire.status !== 'ok') continue;
      const token = numberField(acquire.output, 'token');
      const ttlMs = numberField(acquire.input, 'ttlMs') ?? options.defaultTtlMs;
      // operations of this process on this resource after the acquire, until its next acquire
      const later = sorted.filter((op) => op.process === acquire.process && op.invokeMs >= acquire.completeMs);
      const nextAcquire = later.find((op) => op.f === 'acquire');
      const belongs = (op: Operation): boolean => {
        if (nextAcquire !== undefined && op.invokeMs >= nextAcquire.invokeMs) return false;
        const opToken = numberField(op.input, 'token');
        return opToken === undefined || token === undefined || opToken === token;
      };
      let validUntilMs = ttlMs === undefined ? Infinity : acquire.invokeMs + ttlMs;
      let boundingOp: Operation | undefined;
      for (const renew of later) {
        if ((renew.f !== 'renew' && renew.f !== 'keepalive') || renew.status !== 'ok' || !belongs(renew)) continue;
        if (ttlMs !== undefined && renew.invokeMs + ttlMs > validUntilMs) {
          validUntilMs = renew.invokeMs + ttlMs;
          boundingOp = renew;
        }
      }
      const release = later.find((op) => op.f === 'release' && op.status !== 'fail' && belongs(op));
      let endMs = validUntilMs;
      let endReason: LeaseHold['endReason'] = Number.isFinite(validUntilMs) ? 'expiry' : 'history-end';
      if (release !== undefined && release.invokeMs <= endMs) {
        endMs = release.invokeMs;
        endReason = 'release';
        boundingOp = release;
      }
      holds.push({
        key,
        process: acquire.process,
        acquire,
        token,
        startMs: acquire.completeMs,
        endMs: endMs - marginMs,
        endReason,
        ...(boundingOp !== undefined ? { boundingOp } : {}),
      });
    }
  }
  return holds;
}

/** Checks that no two clients certainly held a lease at once and that fencing tokens increase. */
export function checkLeaseExclusivity(
  operations: readonly Operation[],
  options: LeaseExclusivityOptions = {},
): LeaseExclusivityResult {
  const maxViolations = options.maxViolations ?? 100;
  const holds = leaseHolds(operations, options);
  const violations: LeaseViolation[] = [];
  const add = (violation: LeaseViolation): void => {
    violations.push(violation);
  };

  const byKey = new Map<string, LeaseHold[]>();
  for (const hold of holds) {
    const list = byKey.get(hold.key) ?? [];
    list.push(hold);
    byKey.set(hold.key, list);
  }

  for (const [key, list] of byKey) {
    const sorted = [...list].sort((a, b) => a.startMs - b.startMs || a.acquire.id - b.acquire.id);
    // 1. overlapping certain holds (sweep by start time)
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length && sorted[j].startMs < sorted[i].endMs; j++) {
        const [a, b] = [sorted[i], sorted[j]];
        if (b.endMs <= b.startMs || a.endMs <= a.startMs) continue; // an empty certain hold overlaps nothing
        if (a.process === b.process && a.token !== undefined && a.token === b.token) continue; // the same grant, acquired again
        add({
          kind: 'overlapping-holders',
          key,
          atMs: b.startMs,
          description:
            `two holders of ${JSON.stringify(key)} at once, from ${formatMs(b.startMs)} to ${formatMs(Math.min(a.endMs, b.endMs))}: ` +
            `${holdText(a)}; and ${holdText(b)}.`,
          ops: [a.acquire, b.acquire, ...(a.boundingOp ? [a.boundingOp] : []), ...(b.boundingOp ? [b.boundingOp] : [])],
        });
      }
    }
    // 2. tokens: unique, and increasing along real-time order of grants
    const granted = sorted.filter((hold) => hold.token !== undefined).map((hold) => hold.acquire);
    const tokenOf = (op: Operation): number => numberField(op.output, 'token') as number;
    for (let i = 0; i < granted.length; i++) {
      for (let j = 0; j < granted.length; j++) {
        const [a, b] = [granted[i], granted[j]];
        if (i === j) continue;
        if (i < j && tokenOf(a) === tokenOf(b) && a.process !== b.process) {
          add({
            kind: 'duplicate-token',
            key,
            atMs: Math.max(a.completeMs, b.completeMs),
            description: `fencing token ${tokenOf(a)} of ${JSON.stringify(key)} was granted twice: acquires #${a.id} (p${a.process}) and #${b.id} (p${b.process}).`,
            ops: [a, b],
          });
        } else if (a.completeMs < b.invokeMs && tokenOf(a) > tokenOf(b)) {
          add({
            kind: 'token-not-increasing',
            key,
            atMs: b.completeMs,
            description:
              `fencing tokens of ${JSON.stringify(key)} went down: acquire #${a.id} (p${a.process}) ` +
              `completed at ${formatMs(a.completeMs)} with token ${tokenOf(a)}, before acquire #${b.id} (p${b.process}) was invoked ` +
              `at ${formatMs(b.invokeMs)}, which got token ${tokenOf(b)}.`,
            ops: [a, b],
          });
        }
      }
    }
  }

  // 3. fencing at the resource: an accepted use never carries a token below one accepted strictly earlier
  const isUse = (op: Operation): boolean => op.f === 'use' || op.f === 'write';
  for (const [key, ops] of groupByKey(operations)) {
    const uses = ops.flatMap((op) => {
      const token = isUse(op) && op.status === 'ok' ? numberField(op.input, 'token') : undefined;
      return token === undefined ? [] : [{ op, token }];
    });
    const byCompletion = [...uses].sort((a, b) => a.op.completeMs - b.op.completeMs);
    let highest: { op: Operation; token: number } | undefined; // among the uses completed so far
    let completed = 0;
    for (const use of [...uses].sort((a, b) => a.op.invokeMs - b.op.invokeMs)) {
      while (completed < byCompletion.length && byCompletion[completed].op.completeMs < use.op.invokeMs) {
        const done = byCompletion[completed++];
        if (highest === undefined || done.token > highest.token) highest = done;
      }
      if (highest === undefined || use.token >= highest.token) continue;
      add({
        kind: 'stale-token-accepted',
        key,
        atMs: use.op.completeMs,
        description:
          `the resource ${JSON.stringify(key)} accepted stale token ${use.token} (use #${use.op.id} by p${use.op.process}, invoked at ` +
          `${formatMs(use.op.invokeMs)}) after it had accepted token ${highest.token} (use #${highest.op.id} by p${highest.op.process}, ` +
          `completed at ${formatMs(highest.op.completeMs)}).`,
        ops: [highest.op, use.op],
      });
    }
  }

  // 4. a fenced write accepted after a newer grant had certainly been made carried a stale token
  for (const [key, ops] of groupByKey(operations)) {
    const grants = ops.filter((op) => op.f === 'acquire' && op.status === 'ok' && numberField(op.output, 'token') !== undefined);
    for (const write of ops) {
      if (write.f !== 'write' || write.status !== 'ok') continue;
      const token = numberField(write.input, 'token');
      if (token === undefined) continue;
      const newer = grants.find((g) => g.completeMs < write.invokeMs && (numberField(g.output, 'token') as number) > token);
      if (newer === undefined) continue;
      add({
        kind: 'stale-token-accepted',
        key,
        atMs: write.completeMs,
        description:
          `the core accepted a write to ${JSON.stringify(key)} with stale token ${token} (write #${write.id} by p${write.process}, invoked at ${formatMs(write.invokeMs)}) ` +
          `after a newer grant: acquire #${newer.id} by p${newer.process} got token ${numberField(newer.output, 'token')}, completed at ${formatMs(newer.completeMs)}.`,
        ops: [newer, write],
      });
    }
  }

  violations.sort((a, b) => a.atMs - b.atMs || a.ops.length - b.ops.length);
  const listed = violations.slice(0, maxViolations);
  const verdict: Verdict = violations.length > 0 ? 'invalid' : 'valid';
  const counterExample = listed[0];
  const kinds = [...new Set(violations.map((v) => v.kind))].join(', ');
  const counts = {
    resources: groupByKey(operations).size,
    grants: operations.filter((op) => op.f === 'acquire' && op.status === 'ok').length,
    writesAccepted: operations.filter((op) => isUse(op) && op.status === 'ok').length,
    writesRefusedStale: operations.filter((op) => isUse(op) && op.status === 'fail' && (op.output as { error?: string } | undefined)?.error === 'stale_token').length,
  };
  const countsText = `${counts.grants} grants, ${counts.writesAccepted} fenced writes accepted, ${counts.writesRefusedStale} refused as stale`;
  return {
    checker: 'lease-exclusivity',
    verdict,
    summary:
      verdict === 'valid'
        ? `no overlapping holders, tokens increasing, no stale token accepted: ${holds.length} certain holds on ${byKey.size} resource${byKey.size === 1 ? '' : 's'}; ${countsText}`
        : `${violations.length} violation${violations.length === 1 ? '' : 's'} (${kinds}) among ${countsText}; first: ${counterExample?.description ?? ''}`,
    holds,
    counts,
    violations: listed,
    ...(counterExample ? { counterExample } : {}),
  };
}
