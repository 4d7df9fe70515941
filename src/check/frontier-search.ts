/**
 * The just-in-time breadth-first search (Lowe's JIT linearization, Knossos's "linear" algorithm).
 *
 * It walks the history once, in time order, keeping the frontier: every configuration the object could be
 * in at that moment. A configuration is a model state, the operations still running that have already
 * taken effect (linearized before their return), and the set of indeterminate operations already used.
 * An invocation changes nothing (the operation is now pending everywhere). At the return of operation X,
 * each configuration where X has not yet taken effect must make it take effect now: the search tries
 * every sequence of pending operations ending with X (others may take effect first) and keeps the results.
 * If no configuration survives, the history up to X's return is not linearizable: X is the failing
 * operation and the shortest illegal prefix ends there, found with no backtracking over the past.
 *
 * An `info` operation with a finite completion (the checker makes these when it shrinks a counter-example)
 * is optional: it may have taken effect inside its interval, with any output, or not at all.
 *
 * Pruning, all exact: identical indeterminate operations are used in invocation order; an indeterminate
 * operation that would leave the state unchanged is never used; and a configuration that has used a
 * superset of another's indeterminate operations (same state, same running set) is dropped: the other can
 * do everything it can. The sequences at a return are explored breadth first, so that the configuration
 * with fewer indeterminate operations used is usually met before those it dominates.
 *
 * Cost grows with concurrency (operations running at once), not with history length; the WGL search is
 * usually faster on linearizable histories, this one on non-linearizable ones. The checker runs both.
 */
import type { Operation } from './history.js';
import {
  describeState,
  identicalPredecessors,
  isIndeterminate,
  type SearchLimits,
  type SearchRun,
  type SequentialModel,
} from './sequential-model.js';

const STEPS_PER_SLICE = 1024;
/** Approximate bytes per configuration beyond its bitset and running list. */
const CONFIGURATION_OVERHEAD_BYTES = 96;

/** Configurations with the same state and running set, as an antichain of used-indeterminate bitsets. */
interface Group<S> {
  state: S;
  stateKey: string | number;
  /** Running (finite, not yet returned) operations that already took effect, ascending. */
  running: number[];
  /** Minimal sets of used indeterminate operations (no set contains another). */
  usedSets: Uint32Array[];
}

function isSubset(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w] & ~b[w]) !== 0) return false;
  return true;
}

function groupKey(stateKey: string | number, running: readonly number[]): string {
  return `${typeof stateKey === 'number' ? 'n' : 's'}${stateKey}|${running.join(',')}`;
}

/**
 * Adds a configuration unless one with fewer used indeterminate operations is there; drops those it
 * dominates. Returns false if it was dominated (already covered).
 */
function addConfiguration<S>(
  groups: Map<string, Group<S>>,
  state: S,
  stateKey: string | number,
  running: number[],
  used: Uint32Array,
): boolean {
  const key = groupKey(stateKey, running);
  const group = groups.get(key);
  if (group === undefined) {
    groups.set(key, { state, stateKey, running, usedSets: [used] });
    return true;
  }
  for (const existing of group.usedSets) if (isSubset(existing, used)) return false;
  group.usedSets = group.usedSets.filter((existing) => !isSubset(used, existing));
  group.usedSets.push(used);
  return true;
}

function countConfigurations<S>(groups: Map<string, Group<S>>): number {
  let count = 0;
  for (const group of groups.values()) count += group.usedSets.length;
  return count;
}

interface Frame<S> {
  state: S;
  stateKey: string | number;
  running: number[];
  used: Uint32Array;
  /** The last operation of the sequence was indeterminate: a blind one now would make it useless. */
  isAfterInfo: boolean;
}

/**
 * Searches `ops` (one partition, in invocation order, no fail or inert operations), starting from any of
 * `initialStates` (default: the model's initial state).
 */
export function* frontierSearch<S>(
  model: SequentialModel<S>,
  ops: readonly Operation[],
  limits: SearchLimits,
  initialStates: readonly S[] = [model.init()],
): SearchRun {
  const n = ops.length;
  if (n === 0) return { result: 'ok', configurations: 0, stuckStates: [] };

  // Indeterminate operations get a bit each, in invocation order.
  const infoBit = new Int32Array(n).fill(-1);
  let infoCount = 0;
  for (let i = 0; i < n; i++) if (isIndeterminate(ops[i])) infoBit[i] = infoCount++;
  const words = (infoCount + 31) >>> 5;
  const mustFollow = identicalPredecessors(ops);
  const isBlind = ops.map((op, i) => infoBit[i] >= 0 && (model.isBlind?.(op) ?? false));

  // Invocations (kind 0) before returns (kind 1) at equal times: operations that touch are concurrent.
  const events: { timeMs: number; kind: 0 | 1; index: number }[] = [];
  for (let i = 0; i < n; i++) {
    events.push({ timeMs: ops[i].invokeMs, kind: 0, index: i });
    if (infoBit[i] < 0) events.push({ timeMs: ops[i].completeMs, kind: 1, index: i });
  }
  events.sort((a, b) => a.timeMs - b.timeMs || a.kind - b.kind || a.index - b.index);

  const bytesPerConfiguration = words * 4 + CONFIGURATION_OVERHEAD_BYTES + 8 * 8;
  const maxConfigurations = Math.max(
    1,
    Math.min(limits.maxConfigurations, Math.floor(limits.maxMemoryBytes / bytesPerConfiguration)),
  );

  let frontier = new Map<string, Group<S>>();
  for (const initial of initialStates) addConfiguration(frontier, initial, model.stateKey(initial), [], new Uint32Array(words));
  let peak = countConfigurations(frontier);

  const runningOps: number[] = []; // finite operations invoked and not yet returned
  const invokedInfo: number[] = []; // indeterminate operations invoked so far, in order
  let steps = 0;

  for (const event of events) {
    const x = event.index;
    if (event.kind === 0) {
      if (infoBit[x] >= 0) invokedInfo.push(x);
      else runningOps.push(x);
      continue;
    }

    // The return of x: x must have taken effect in every surviving configuration.
    const survivors = new Map<string, Group<S>>();
    const visited = new Map<string, Group<S>>();
    const stuck = new Map<string | number, S>();

    const candidatesOf = (running: readonly number[], used: Uint32Array, isAfterInfo: boolean): number[] => {
      const candidates: number[] = [];
      for (const op of runningOps) if (!running.includes(op)) candidates.push(op);
      for (const op of invokedInfo) {
        if (isAfterInfo && isBlind[op]) continue;
        const bit = infoBit[op];
        if ((used[bit >>> 5] & (1 << (bit & 31))) !== 0) continue;
        const earlier = mustFollow[op];
        if (earlier >= 0) {
          const earlierBit = infoBit[earlier];
          if ((used[earlierBit >>> 5] & (1 << (earlierBit & 31))) === 0) continue;
        }
        candidates.push(op);
      }
      return candidates;
    };

    const isOptional = ops[x].status === 'info';
    // Breadth first over all configurations at once, so that one reached with fewer indeterminate
    // operations used is met before the ones it dominates.
    const queue: Frame<S>[] = [];
    for (const group of frontier.values()) {
      for (const used of group.usedSets) {
        if (group.running.includes(x)) {
          addConfiguration(survivors, group.state, group.stateKey, group.running.filter((op) => op !== x), used);
          continue;
        }
        // an optional operation may not have happened at all
        if (isOptional) addConfiguration(survivors, group.state, group.stateKey, group.running, used);
        if (addConfiguration(visited, group.state, group.stateKey, group.running, used)) {
          queue.push({ state: group.state, stateKey: group.stateKey, running: group.running, used, isAfterInfo: false });
        }
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const frame = queue[head];
      queue[head] = undefined as unknown as Frame<S>; // let it be collected
      // dominated by a configuration found after this one was queued?
      if (!visited.get(groupKey(frame.stateKey, frame.running))?.usedSets.includes(frame.used)) continue;
      for (const op of candidatesOf(frame.running, frame.used, frame.isAfterInfo)) {
        if (++steps % STEPS_PER_SLICE === 0) yield;
        const stepped = model.step(frame.state, ops[op]);
        if (!stepped.ok) {
          if (op === x && stuck.size < 8) stuck.set(frame.stateKey, frame.state);
          continue;
        }
        const key = model.stateKey(stepped.state);
        const bit = infoBit[op];
        if (bit >= 0 && key === frame.stateKey) continue; // an indeterminate no-op is never worth using
        let used2 = frame.used;
        if (bit >= 0) {
          used2 = frame.used.slice();
          used2[bit >>> 5] |= 1 << (bit & 31);
        }
        if (op === x) {
          addConfiguration(survivors, stepped.state, key, frame.running, used2);
          continue;
        }
        const running2 = bit >= 0 ? frame.running : [...frame.running, op].sort((a, b) => a - b);
        if (!addConfiguration(visited, stepped.state, key, running2, used2)) continue;
        if (visited.size + survivors.size + frontier.size > maxConfigurations) {
          return {
            result: 'unknown',
            reason: `memory budget exceeded (${visited.size + survivors.size + frontier.size} configurations)`,
            configurations: visited.size + survivors.size + frontier.size,
            stuckStates: [],
          };
        }
        queue.push({ state: stepped.state, stateKey: key, running: running2, used: used2, isAfterInfo: bit >= 0 });
      }
    }

    runningOps.splice(runningOps.indexOf(x), 1);
    if (survivors.size === 0) {
      return {
        result: 'illegal',
        configurations: peak,
        failingIndex: x,
        stuckStates: [...stuck.values()].map((s) => describeState(model, s)),
      };
    }
    frontier = survivors;
    peak = Math.max(peak, countConfigurations(frontier));
    if (peak > maxConfigurations) {
      return { result: 'unknown', reason: `memory budget exceeded (${peak} configurations)`, configurations: peak, stuckStates: [] };
    }
  }
  return { result: 'ok', configurations: peak, stuckStates: [] };
}
