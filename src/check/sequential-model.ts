/**
 * What a linearizability search needs: a sequential specification (the model), the shape of a search's
 * answer, and the preparation both search algorithms share (which operations are searched, which info
 * operations are interchangeable).
 */
import type { Operation } from './history.js';

/** The outcome of applying an operation to a model state. */
export interface StepResult<S> {
  /** False if the operation's observed output is impossible in this state. */
  ok: boolean;
  /** The state after the operation (ignored when ok is false). */
  state: S;
}

/** A sequential specification: what a single-copy object would do, one operation at a time. */
export interface SequentialModel<S> {
  readonly name: string;
  /** The state before any operation. */
  init(): S;
  /**
   * Applies `op` in `state`. `op.status` is 'ok' (its output is known and must be explained) or 'info'
   * (output unknown: accept if the operation could have taken effect, and return the state it leaves).
   * Never sees 'fail' operations. Must be deterministic, must not mutate `state`, and an operation that
   * took effect must leave the same state whether its output is known or not (as a register's do).
   */
  step(state: S, op: Operation): StepResult<S>;
  /** Equal keys if and only if equal states (used to memoise configurations). */
  stateKey(state: S): string | number;
  /** True for an operation with no effect and no constraint (e.g. an indeterminate read): dropped. */
  isInert?(op: Operation): boolean;
  /**
   * True if the state after `op` does not depend on the state before it (a blind write). Optional; it lets
   * the search skip using such an indeterminate operation right after another one (the pair leaves what
   * the blind one alone leaves, with one operation fewer used up).
   */
  isBlind?(op: Operation): boolean;
  /** A short description of a state for counter-examples; default: the state key. */
  describeState?(state: S): string;
  /** Which independent partition an operation belongs to; default: its key ('' when it has none). */
  partitionKey?(op: Operation): string;
}

/** Porcupine's three answers. */
export type SearchResult = 'ok' | 'illegal' | 'unknown';

/** Caps on one search's memory (time is the driver's business: searches are generators it steps). */
export interface SearchLimits {
  /** Configurations remembered at once. */
  maxConfigurations: number;
  /** Approximate bytes those configurations may take. */
  maxMemoryBytes: number;
}

/** What a search found. */
export interface SearchOutcome {
  result: SearchResult;
  /** Why it stopped without an answer. */
  reason?: string;
  /** Configurations remembered (peak, for the frontier search). */
  configurations: number;
  /** For an illegal history, when the search can tell: the index (in the searched array) of the operation
   * whose completion could not be reached, i.e. the end of the shortest illegal prefix. */
  failingIndex?: number;
  /** Described states in which the failing (or watched) operation could not take effect. */
  stuckStates: string[];
}

/** A search in progress: step it with next() until done; each step is a bounded slice of work. */
export type SearchRun = Generator<void, SearchOutcome, void>;

/** The operations a search considers: fail operations certainly did not happen, inert ones do not matter. */
export function searchable<S>(model: SequentialModel<S>, ops: readonly Operation[]): Operation[] {
  return ops.filter((op) => op.status !== 'fail' && !(model.isInert?.(op) ?? false));
}

/** True for an operation that may take effect at any time after its invocation (no completion bound). */
export function isIndeterminate(op: Operation): boolean {
  return !Number.isFinite(op.completeMs);
}

function inputKey(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return String(value);
  }
}

/**
 * For each indeterminate operation, the index of the previous identical one (same function, key and
 * input), or -1. Identical indeterminate operations are interchangeable (both may take effect any time
 * after invocation, or never), so a search linearizes them in invocation order only: if a linearization
 * uses the later one and not the earlier, swapping them gives another. `ops` must be in invocation order.
 */
export function identicalPredecessors(ops: readonly Operation[]): Int32Array {
  const previous = new Int32Array(ops.length).fill(-1);
  const last = new Map<string, number>();
  ops.forEach((op, index) => {
    if (!isIndeterminate(op)) return;
    const identity = `${op.f}\u0000${op.key ?? ''}\u0000${inputKey(op.input)}`;
    const before = last.get(identity);
    if (before !== undefined) previous[index] = before;
    last.set(identity, index);
  });
  return previous;
}

/** 32-bit FNV-1a of a string. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A 32-bit hash of a state key. */
export function hashStateKey(key: string | number): number {
  if (typeof key === 'string') return hashString(key);
  let h = Number.isInteger(key) && Math.abs(key) < 2 ** 31 ? key | 0 : hashString(String(key));
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Describes a state with the model's describer, or its key. */
export function describeState<S>(model: SequentialModel<S>, state: S): string {
  return model.describeState ? model.describeState(state) : String(model.stateKey(state));
}
