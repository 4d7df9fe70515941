/**
 * Leader election on the core (the recipe of etcd's concurrency.Election, Curator's LeaderLatch, `consul lock`):
 * at most one leader per term, and no leader acting on an old term once a newer one was certainly elected.
 *
 * The history, keyed by election:
 * - `campaign`: ok output `{ term }` (the leadership's fencing token, strictly larger for every later leader);
 * - `is-leader`: the client's own belief, ok output `{ leader: true, term }` or `{ leader: false }`;
 * - `resign`.
 * Violations:
 * - `shared-term`: two campaigns of different processes won the same term;
 * - `term-not-increasing`: a campaign that certainly completed before another was invoked got the higher term;
 * - `stale-leader`: a process said it leads in term t although another process's campaign for a term above t had
 *   certainly completed before it was asked (a paused leader that wakes up and carries on: Curator's double-leader
 *   bugs, Jepsen's etcd lock finding). Saying so *while* a newer campaign is in flight is not a violation: the new
 *   leader may not be elected yet;
 * - `unknown-term`: a process claims a term it was never granted.
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import { formatMs, groupByKey, type Operation } from './history.js';

export interface ElectionViolation extends CounterExample {
  kind: 'shared-term' | 'term-not-increasing' | 'stale-leader' | 'unknown-term';
  key: string;
  atMs: number;
}

export interface ElectionSafetyResult extends CheckResult {
  checker: 'election-safety';
  terms: number;
  claims: number;
  violations: ElectionViolation[];
  counterExample?: ElectionViolation;
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function termOf(op: Operation): number | undefined {
  const t = field(op.output, 'term');
  return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
}

export function checkElectionSafety(operations: readonly Operation[], options: { maxViolations?: number } = {}): ElectionSafetyResult {
  const maxViolations = options.maxViolations ?? 100;
  const violations: ElectionViolation[] = [];
  let terms = 0;
  let claims = 0;
  for (const [key, ops] of groupByKey(operations)) {
    const wins = ops.filter((op) => op.f === 'campaign' && op.status === 'ok' && termOf(op) !== undefined);
    terms += wins.length;
    for (let i = 0; i < wins.length; i++) {
      for (let j = 0; j < wins.length; j++) {
        const [a, b] = [wins[i], wins[j]];
        if (i < j && termOf(a) === termOf(b) && a.process !== b.process) {
          violations.push({ kind: 'shared-term', key, atMs: Math.max(a.completeMs, b.completeMs), ops: [a, b], description: `term ${termOf(a)} of ${JSON.stringify(key)} was won twice: by p${a.process} (campaign #${a.id}) and p${b.process} (campaign #${b.id})` });
        } else if (i !== j && a.completeMs < b.invokeMs && termOf(a)! > termOf(b)!) {
          violations.push({ kind: 'term-not-increasing', key, atMs: b.completeMs, ops: [a, b], description: `terms of ${JSON.stringify(key)} went down: p${a.process} won term ${termOf(a)} at ${formatMs(a.completeMs)} ms, before p${b.process} campaigned (at ${formatMs(b.invokeMs)} ms) and won term ${termOf(b)}` });
        }
      }
    }
    const granted = new Map<number, Set<number>>(); // process -> terms it won
    for (const w of wins) {
      const set = granted.get(w.process) ?? new Set<number>();
      set.add(termOf(w)!);
      granted.set(w.process, set);
    }
    const byCompletion = [...wins].sort((a, b) => a.completeMs - b.completeMs);
    for (const claim of ops) {
      if (claim.f !== 'is-leader' || claim.status !== 'ok' || field(claim.output, 'leader') !== true) continue;
      claims++;
      const term = termOf(claim);
      if (term === undefined || !granted.get(claim.process)?.has(term)) {
        violations.push({ kind: 'unknown-term', key, atMs: claim.completeMs, ops: [claim], description: `p${claim.process} said it leads ${JSON.stringify(key)} in term ${term ?? '(none given)'}, which it never won` });
        continue;
      }
      const newer = byCompletion.find((w) => w.process !== claim.process && termOf(w)! > term && w.completeMs < claim.invokeMs);
      if (newer) {
        violations.push({
          kind: 'stale-leader',
          key,
          atMs: claim.completeMs,
          ops: [newer, claim],
          description:
            `p${claim.process} said it leads ${JSON.stringify(key)} in term ${term} at ${formatMs(claim.invokeMs)} ms, but p${newer.process} ` +
            `had already won term ${termOf(newer)} at ${formatMs(newer.completeMs)} ms: two leaders at once`,
        });
      }
    }
  }
  violations.sort((a, b) => a.atMs - b.atMs);
  const verdict: Verdict = violations.length > 0 ? 'invalid' : 'valid';
  return {
    checker: 'election-safety',
    verdict,
    summary:
      verdict === 'valid'
        ? `${terms} term${terms === 1 ? '' : 's'} won, ${claims} leadership claim${claims === 1 ? '' : 's'}: at most one leader per term, none stale`
        : `${violations.length} violation${violations.length === 1 ? '' : 's'}; first: ${violations[0].description}`,
    terms,
    claims,
    violations: violations.slice(0, maxViolations),
    ...(violations.length > 0 ? { counterExample: violations[0] } : {}),
  };
}
