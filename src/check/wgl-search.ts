/**
 * The Wing–Gong search with Lowe's memoisation, as Porcupine's checkSingle runs it (depth first).
 *
 * The history is a linked list of call and return entries in time order (calls before returns at equal
 * times, so operations that touch are concurrent). Just in time, the search linearizes one of the calls
 * that come before the first remaining return (the candidates), steps the model, lifts the call and its
 * return out of the list and starts again from the head. When it reaches a return whose call is not
 * linearized yet, that operation's deadline has passed: it backtracks and tries the next candidate. Every
 * (set of linearized operations, model state) configuration reached is remembered (a bitset and the state
 * key, hashed incrementally: Zobrist bits XOR a state hash); reaching one again is a dead end, and so is
 * reaching one that differs only by having used more indeterminate operations (it is dominated).
 *
 * Indeterminate operations (completion +∞) live in a second list. They are tried only after every ordinary
 * candidate (they are only needed to explain something), identical ones only in invocation order, never
 * when they would leave the state unchanged (using one then is never better than keeping it), and never
 * right after another one when skipping that other one gives the same state (it was used for nothing). Once
 * every operation with a completion is linearized the search succeeds: the rest never happened.
 *
 * Fast on linearizable histories (it follows one good order); on a non-linearizable one it must exhaust
 * every configuration before the failure, which the frontier search does better; the checker runs both.
 */
import { SeededRandom } from '../random/random.js';
import type { Operation } from './history.js';
import {
  describeState,
  hashStateKey,
  identicalPredecessors,
  isIndeterminate,
  type SearchLimits,
  type SearchRun,
  type SequentialModel,
} from './sequential-model.js';

/** Per-entry overhead of a remembered configuration beyond its bitset (object, array slot, key). */
const CONFIGURATION_OVERHEAD_BYTES = 72;
const ITERATIONS_PER_SLICE = 2048;
const NIL = -1;

/**
 * Remembered configurations with one set of linearized finite operations and one state: the sets of
 * indeterminate operations used to get there, minimal ones only. A configuration that used a superset of
 * a remembered set is dominated (same future, fewer options) and needs no search.
 */
interface CacheEntry {
  finite: Uint32Array;
  key: string | number;
  infoSets: Uint32Array[];
}

/**
 * Searches `ops` (one partition, in invocation order, no fail or inert operations).
 *
 * For an illegal history it also names the failing operation: the furthest return at which any
 * configuration got stuck. Every configuration the search can reach was explored, and none got past that
 * return, while one reached it with every earlier return passed: so the history is linearizable up to just
 * before it and not once it is reached, which is where the shortest illegal prefix ends.
 */
export function* wglSearch<S>(
  model: SequentialModel<S>,
  ops: readonly Operation[],
  limits: SearchLimits,
): SearchRun {
  const n = ops.length;
  const stuckStates: string[] = [];
  if (n === 0) return { result: 'ok', configurations: 0, stuckStates };

  const isInfo = new Uint8Array(n);
  const nodeTime = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    isInfo[i] = isIndeterminate(ops[i]) ? 1 : 0;
    nodeTime[2 * i] = ops[i].invokeMs;
    nodeTime[2 * i + 1] = ops[i].completeMs;
  }

  // Finite operations: call node 2i and return node 2i+1, in one list. Indeterminate calls in two more:
  // blind ones (the state after does not depend on the state before) and the others.
  const isBlind = new Uint8Array(n);
  const finiteNodes: number[] = [];
  const blindNodes: number[] = [];
  const infoNodes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!isInfo[i]) finiteNodes.push(2 * i, 2 * i + 1);
    else if (model.isBlind?.(ops[i]) ?? false) {
      isBlind[i] = 1;
      blindNodes.push(2 * i);
    } else infoNodes.push(2 * i);
  }
  finiteNodes.sort((a, b) => nodeTime[a] - nodeTime[b] || (a & 1) - (b & 1) || a - b);
  const rank = new Int32Array(2 * n);
  finiteNodes.forEach((node, position) => {
    rank[node] = position;
  });
  blindNodes.sort((a, b) => nodeTime[a] - nodeTime[b] || a - b);
  infoNodes.sort((a, b) => nodeTime[a] - nodeTime[b] || a - b);

  const headFinite = 2 * n;
  const headInfo = 2 * n + 1;
  const headBlind = 2 * n + 2;
  const next = new Int32Array(2 * n + 3).fill(NIL);
  const prev = new Int32Array(2 * n + 3).fill(NIL);
  const link = (head: number, nodes: number[]): void => {
    let last = head;
    for (const node of nodes) {
      next[last] = node;
      prev[node] = last;
      last = node;
    }
    next[last] = NIL;
  };
  link(headFinite, finiteNodes);
  link(headInfo, infoNodes);
  link(headBlind, blindNodes);

  const mustFollow = identicalPredecessors(ops);

  // Linearized operations as two bitsets: finite operations and indeterminate ones, each densely indexed.
  const index = new Int32Array(n);
  let finiteCount = 0;
  let infoCount = 0;
  for (let i = 0; i < n; i++) index[i] = isInfo[i] ? infoCount++ : finiteCount++;
  const finiteWords = (finiteCount + 31) >>> 5;
  const infoWords = (infoCount + 31) >>> 5;
  const finiteBits = new Uint32Array(finiteWords);
  const infoBits = new Uint32Array(infoWords);
  // Zobrist hashing over finite operations only: configurations that differ in indeterminate operations
  // share a bucket, where dominance is checked
  const random = new SeededRandom(n * 7919 + 17);
  const opHash = new Uint32Array(n);
  for (let i = 0; i < n; i++) opHash[i] = isInfo[i] ? 0 : Math.floor(random.next() * 4294967296) >>> 0;
  let bitsHash = 0;

  const cache = new Map<number, CacheEntry[]>();
  const bytesPerEntry = finiteWords * 4 + infoWords * 4 + CONFIGURATION_OVERHEAD_BYTES;
  const maxEntries = Math.max(1, Math.min(limits.maxConfigurations, Math.floor(limits.maxMemoryBytes / bytesPerEntry)));
  let configurations = 0;

  const isLinearized = (i: number): boolean => {
    const bits = isInfo[i] ? infoBits : finiteBits;
    return (bits[index[i] >>> 5] & (1 << (index[i] & 31))) !== 0;
  };
  const setLinearized = (i: number, isOn: boolean): void => {
    const bits = isInfo[i] ? infoBits : finiteBits;
    if (isOn) bits[index[i] >>> 5] |= 1 << (index[i] & 31);
    else bits[index[i] >>> 5] &= ~(1 << (index[i] & 31));
    if (!isInfo[i]) bitsHash = (bitsHash ^ opHash[i]) >>> 0;
  };

  /** True if (linearized ∪ {i}, key) was reached before or is dominated; otherwise remembers it. */
  const seenOrRemember = (i: number, key: string | number): boolean => {
    const hash = (bitsHash ^ opHash[i] ^ hashStateKey(key)) >>> 0;
    let bucket = cache.get(hash);
    const word = index[i] >>> 5;
    const mask = 1 << (index[i] & 31);
    // the prospective bitsets, word by word, without allocating
    const finiteWord = isInfo[i] ? (w: number) => finiteBits[w] : (w: number) => (w === word ? (finiteBits[w] | mask) >>> 0 : finiteBits[w]);
    const infoWord = isInfo[i] ? (w: number) => (w === word ? (infoBits[w] | mask) >>> 0 : infoBits[w]) : (w: number) => infoBits[w];
    let entry: CacheEntry | undefined;
    if (bucket !== undefined) {
      for (const candidate of bucket) {
        if (candidate.key !== key) continue;
        let equal = true;
        for (let w = 0; w < finiteWords; w++) {
          if (candidate.finite[w] !== finiteWord(w)) {
            equal = false;
            break;
          }
        }
        if (equal) {
          entry = candidate;
          break;
        }
      }
    } else {
      bucket = [];
      cache.set(hash, bucket);
    }
    if (entry !== undefined) {
      for (const set of entry.infoSets) {
        let isSubset = true;
        for (let w = 0; w < infoWords; w++) {
          if ((set[w] & ~infoWord(w)) !== 0) {
            isSubset = false;
            break;
          }
        }
        if (isSubset) return true;
      }
    }
    const infoSet = new Uint32Array(infoWords);
    for (let w = 0; w < infoWords; w++) infoSet[w] = infoWord(w);
    if (entry === undefined) {
      const finite = new Uint32Array(finiteWords);
      for (let w = 0; w < finiteWords; w++) finite[w] = finiteWord(w);
      bucket.push({ finite, key, infoSets: [infoSet] });
      configurations++;
      return false;
    }
    const before = entry.infoSets.length;
    entry.infoSets = entry.infoSets.filter((set) => {
      for (let w = 0; w < infoWords; w++) if ((infoSet[w] & ~set[w]) !== 0) return true;
      return false; // a superset of the new set: dominated now
    });
    entry.infoSets.push(infoSet);
    configurations += entry.infoSets.length - before;
    return false;
  };

  const unlink = (node: number): void => {
    next[prev[node]] = next[node];
    if (next[node] !== NIL) prev[next[node]] = prev[node];
  };
  const relink = (node: number): void => {
    next[prev[node]] = node;
    if (next[node] !== NIL) prev[next[node]] = node;
  };
  // A call and its return are lifted together and put back in the reverse order (the list is a stack of
  // removals, so each node's prev and next are still right when it goes back).
  const lift = (i: number): void => {
    unlink(2 * i);
    if (!isInfo[i]) unlink(2 * i + 1);
  };
  const unlift = (i: number): void => {
    if (!isInfo[i]) relink(2 * i + 1);
    relink(2 * i);
  };

  // The stack of linearized operations, with the state before each and the horizon it was tried under.
  const stackOp: number[] = [];
  const stackState: S[] = [];
  const stackHorizon: number[] = []; // the return node that bounded the candidates
  let furthestStuck = NIL; // the furthest return node any configuration got stuck at

  let state = model.init();
  let stateKey = model.stateKey(state);
  let node = next[headFinite];
  // 0: finite candidates; 1: blind indeterminate ones; 2: the other indeterminate ones
  let phase = 0;
  let horizonNode = NIL;
  let horizonMs = 0;
  let iterations = 0;

  for (;;) {
    if (next[headFinite] === NIL) return { result: 'ok', configurations, stuckStates };
    if (++iterations % ITERATIONS_PER_SLICE === 0) yield;

    let candidate = NIL;
    if (phase === 0) {
      if ((node & 1) === 1) {
        // The first remaining return: every finite candidate was tried; now the indeterminate ones. A
        // blind one right after another indeterminate one would make that one useless: not tried.
        horizonNode = node;
        horizonMs = nodeTime[node];
        const top = stackOp.length > 0 ? stackOp[stackOp.length - 1] : NIL;
        phase = top !== NIL && isInfo[top] === 1 ? 2 : 1;
        node = next[phase === 1 ? headBlind : headInfo];
        continue;
      }
      candidate = node >> 1;
    } else if (node !== NIL && nodeTime[node] <= horizonMs) {
      candidate = node >> 1;
      const earlier = mustFollow[candidate];
      if (earlier !== NIL && !isLinearized(earlier)) {
        node = next[node];
        continue;
      }
    } else if (phase === 1) {
      phase = 2;
      node = next[headInfo];
      continue;
    }

    if (candidate !== NIL) {
      const stepped = model.step(state, ops[candidate]);
      const key = stepped.ok ? model.stateKey(stepped.state) : stateKey;
      let isUseless = isInfo[candidate] === 1 && key === stateKey;
      const last = stackOp.length - 1;
      if (!isUseless && stepped.ok && isInfo[candidate] === 1 && last >= 0 && isInfo[stackOp[last]] === 1) {
        // the indeterminate operation just before was used for nothing if skipping it gives the same state
        const skipping = model.step(stackState[last], ops[candidate]);
        isUseless = skipping.ok && model.stateKey(skipping.state) === key;
      }
      if (stepped.ok && !isUseless && !seenOrRemember(candidate, key)) {
        if (configurations >= maxEntries) {
          return { result: 'unknown', reason: `memory budget exceeded (${configurations} configurations)`, configurations, stuckStates };
        }
        stackOp.push(candidate);
        stackState.push(state);
        stackHorizon.push(horizonNode);
        state = stepped.state;
        stateKey = key;
        setLinearized(candidate, true);
        lift(candidate);
        phase = 0;
        node = next[headFinite];
      } else {
        node = next[node];
      }
      continue;
    }

    // No candidate left before the first return's deadline: stuck here. Undo the last linearization.
    if (furthestStuck === NIL || rank[horizonNode] > rank[furthestStuck]) {
      furthestStuck = horizonNode;
      stuckStates.length = 0;
    }
    if (horizonNode === furthestStuck && stuckStates.length < 8) {
      const described = describeState(model, state);
      if (!stuckStates.includes(described)) stuckStates.push(described);
    }
    const undone = stackOp.pop();
    if (undone === undefined) return { result: 'illegal', configurations, failingIndex: furthestStuck >> 1, stuckStates };
    state = stackState.pop() as S;
    stateKey = model.stateKey(state);
    horizonNode = stackHorizon.pop() as number;
    horizonMs = nodeTime[horizonNode];
    setLinearized(undone, false);
    unlift(undone);
    phase = isInfo[undone] === 0 ? 0 : isBlind[undone] === 1 ? 1 : 2;
    node = next[2 * undone];
  }
}
