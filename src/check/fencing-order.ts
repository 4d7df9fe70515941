/**
 * Fencing at the protected resource: the writes a resource accepted, in the order it accepted them, must carry
 * fencing tokens that never go down. A holder whose lease ran out (it was paused, partitioned, slow) may still try
 * to write with its old token; a fenced resource turns it away, an unfenced one lets it overwrite the data of a
 * newer holder (Kleppmann's "How to do distributed locking"; Jepsen's etcd lock finding).
 *
 * The input is the resource's own record of what it accepted (for the lease exercise, the data key's versions as a
 * watch on the core delivered them, in revision order), not what the clients claim, so a client cannot hide a
 * stale write by reporting it as refused.
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import type { Operation } from './history.js';

/** One write the resource accepted. */
export interface AcceptedWrite {
  /** Where it sits in the resource's order (the core revision). */
  revision: number;
  /** The fencing token it carried; undefined when it carried none (itself a violation). */
  token: number | undefined;
  /** Who wrote it, when known (p1). */
  writer?: string;
  /** What was written, for the report. */
  value?: string;
}

export interface FencingViolation extends CounterExample {
  kind: 'stale-token' | 'no-token';
  write: AcceptedWrite;
  /** The newer write it followed. */
  after?: AcceptedWrite;
}

export interface FencingOrderResult extends CheckResult {
  checker: 'fencing-order';
  writesChecked: number;
  violations: FencingViolation[];
  counterExample?: FencingViolation;
}

function describe(w: AcceptedWrite): string {
  return `${w.writer ?? 'someone'}'s write${w.value !== undefined ? ` ${JSON.stringify(w.value)}` : ''} (token ${w.token ?? 'none'}, revision ${w.revision})`;
}

/** Checks that the accepted writes, in revision order, carry tokens that never go down. */
export function checkFencingOrder(writes: readonly AcceptedWrite[], options: { maxViolations?: number } = {}): FencingOrderResult {
  const maxViolations = options.maxViolations ?? 100;
  const sorted = [...writes].sort((a, b) => a.revision - b.revision);
  const violations: FencingViolation[] = [];
  let highest: AcceptedWrite | undefined;
  for (const write of sorted) {
    if (write.token === undefined) {
      violations.push({ kind: 'no-token', write, description: `the resource accepted ${describe(write)} without a fencing token`, ops: [] as Operation[] });
      continue;
    }
    if (highest !== undefined && write.token < highest.token!) {
      violations.push({
        kind: 'stale-token',
        write,
        after: highest,
        description: `the resource accepted ${describe(write)} after ${describe(highest)}: a holder with an older token overwrote a newer holder's data`,
        ops: [],
      });
      continue;
    }
    if (highest === undefined || write.token > highest.token!) highest = write;
  }
  const verdict: Verdict = violations.length > 0 ? 'invalid' : 'valid';
  return {
    checker: 'fencing-order',
    verdict,
    summary:
      verdict === 'valid'
        ? `${sorted.length} accepted write${sorted.length === 1 ? '' : 's'}, tokens never went down`
        : `${violations.length} write${violations.length === 1 ? '' : 's'} accepted out of token order; first: ${violations[0].description}`,
    writesChecked: sorted.length,
    violations: violations.slice(0, maxViolations),
    ...(violations.length > 0 ? { counterExample: violations[0] } : {}),
  };
}
