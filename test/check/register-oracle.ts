/**
 * A brute-force linearizability oracle for tiny register histories (test support, not a test), written
 * independently of the checker: it searches sequences of linearization points directly. A sequence is
 * legal if points can be chosen non-decreasing with each operation's point inside its interval; so the
 * search keeps the current point `now`, places an operation at max(now, its invocation) if that is not
 * after its completion, and fails a branch once a mandatory operation's completion is behind `now`.
 *
 * Mandatory: ok operations. Optional: info operations (completion +∞, any result) and, for window checks,
 * info operations with a finite completion (inside their interval, any result, or not at all).
 * Fail operations and info reads are ignored.
 */
import type { Operation } from '../../src/check/history.js';

type Value = number | null;

function sameValue(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null);
}

/** Register semantics: the state after `op`, or undefined if its known output is impossible. */
function apply(state: Value, op: Operation): Value | undefined {
  const isKnown = op.status === 'ok';
  if (op.f === 'read') return isKnown && !sameValue(op.output, state) ? undefined : state;
  if (op.f === 'write') return (op.input as Value) ?? null;
  const [from, to] = op.input as [Value, Value];
  if (sameValue(state, from)) return to;
  return isKnown ? undefined : state;
}

export function oracleLinearizable(operations: readonly Operation[], initialStates: readonly Value[] = [null]): boolean {
  const ops = operations.filter((op) => op.status !== 'fail' && !(op.f === 'read' && op.status !== 'ok'));
  const mandatory = ops.map((op) => op.status === 'ok');
  const placed = new Array<boolean>(ops.length).fill(false);

  const search = (state: Value, now: number): boolean => {
    let allPlaced = true;
    for (let i = 0; i < ops.length; i++) {
      if (!mandatory[i] || placed[i]) continue;
      allPlaced = false;
      if (ops[i].completeMs < now) return false; // its deadline passed
    }
    if (allPlaced) return true;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      const at = Math.max(now, ops[i].invokeMs);
      if (at > ops[i].completeMs) continue;
      const next = apply(state, ops[i]);
      if (next === undefined) continue;
      placed[i] = true;
      const found = search(next, at);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return initialStates.some((state) => search(state, -Infinity));
}

/** Every register value reachable from nil by any subset of `ops`, in any order (a superset, as the checker's). */
export function reachableValues(ops: readonly Operation[]): Value[] {
  const values = new Set<Value>([null]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of ops) {
      if (op.f === 'read') continue;
      for (const state of [...values]) {
        const next = apply(state, { ...op, status: 'info' });
        if (next !== undefined && !values.has(next)) {
          values.add(next);
          changed = true;
        }
      }
    }
  }
  return [...values];
}
