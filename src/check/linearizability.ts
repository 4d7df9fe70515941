/**
 * Linearizability checking, in the manner of Knossos and Porcupine.
 *
 * A history is linearizable if every operation that took effect can be given a point between its
 * invocation and its completion such that, in the order of those points, the operations form a legal
 * sequential execution of the model.
 *
 * - `fail` operations certainly did not take effect: dropped. Operations the model calls inert (a read
 *   that timed out: no effect, no constraint) are dropped too.
 * - `info` operations may take effect at any time after their invocation, or never: completion +∞.
 * - P-compositionality: linearizability is local, so each partition (by `model.partitionKey`, default the
 *   op's key) is checked on its own.
 * - Two exact searches run in competition, as Knossos runs its "wgl" and "linear" algorithms: the
 *   Wing–Gong–Lowe depth-first search with memoised (linearized bitset, state) configurations and
 *   just-in-time linearization (wgl-search.ts; fast on linearizable histories), and the just-in-time
 *   breadth-first frontier search (frontier-search.ts; fast on non-linearizable ones, and it names the
 *   failing operation). They take turns in short slices, WGL getting two thirds of the time; the first
 *   answer wins.
 * - Budgets: time (on an injected clock) for the whole check; configurations and bytes per search. When a
 *   budget runs out the answer is `unknown`, never a guess.
 *
 * Counter-example (for the smallest illegal partition), on its own budget:
 * 1. the failing operation X: the one whose return ends the shortest illegal prefix (the frontier search
 *    stops right there; failing that, a binary search over completion times finds it);
 * 2. the window: the latest start m such that, from every state the operations invoked before m could
 *    produce (in any order), the operations of the prefix still running at m or invoked after it admit no
 *    legal order (see findCounterExample for why that is a proof);
 * 3. shrinking: operations of the window are made optional (they may have taken effect within their own
 *    interval, with any result, or not at all), a group at a time, keeping each relaxation under which the
 *    window stays illegal.
 * What is left stands on its own, and is minimal (each remaining operation was shown to be needed) when
 * the budget allowed.
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import { frontierSearch } from './frontier-search.js';
import { describeOperation, formatMs, type HistoryEvent, type Operation, pairOperations } from './history.js';
import {
  isIndeterminate,
  searchable,
  type SearchLimits,
  type SearchOutcome,
  type SearchResult,
  type SearchRun,
  type SequentialModel,
} from './sequential-model.js';
import { wglSearch } from './wgl-search.js';

export type { SearchResult, SequentialModel, StepResult } from './sequential-model.js';

/** Which search answers: both in competition (default), or one alone (for tests and comparisons). */
export type LinearizabilityAlgorithm = 'competition' | 'wgl' | 'frontier';

/** Limits for checkLinearizability. */
export interface LinearizabilityOptions {
  /** Wall time for the verdict, all partitions together; default 10,000 ms. */
  timeBudgetMs?: number;
  /** Configurations one search may remember; default 4,000,000. */
  maxConfigurations?: number;
  /** Approximate bytes one search's configurations may take; default 512 MiB. */
  maxMemoryBytes?: number;
  /** Clock for the time budget, in ms; default performance.now (injected so tests can drive it). */
  nowMs?: () => number;
  /** default 'competition'. */
  algorithm?: LinearizabilityAlgorithm;
  /**
   * Budget for finding and shrinking a counter-example once a partition is illegal (on top of the
   * verdict's budget); false skips shrinking and reports the failing operation with its concurrent ones.
   */
  counterExample?: false | { timeBudgetMs?: number; maxChecks?: number };
}

/** How one partition's check went. */
export interface PartitionOutcome {
  key: string;
  result: SearchResult;
  /** Which search gave the answer. */
  answeredBy?: 'wgl' | 'frontier';
  /** Why the check stopped without an answer (time or memory budget). */
  reason?: string;
  /** Operations searched (fail and inert operations excluded). */
  operations: number;
  /** Configurations remembered by the searches. */
  configurations: number;
  elapsedMs: number;
}

/** A linearizability counter-example: a window of operations that no order can explain. */
export interface LinearizabilityCounterExample extends CounterExample {
  /** The partition (key). */
  key: string;
  /** The operation whose completion makes the history non-linearizable (the end of the shortest illegal prefix). */
  failingOp: Operation;
  /** The model states in which the failing operation could not take effect (described). */
  possibleStates: string[];
  /** The window: from windowStartMs the operations before are summed up by the states they could produce. */
  windowStartMs: number;
  windowEndMs: number;
  /** True if the window starts at the beginning of the history (from the model's initial state). */
  isFromStart: boolean;
  /** True if every operation in `ops` was shown to be needed (shrinking finished within its budget). */
  isMinimal: boolean;
}

/** The linearizability checker's result. */
export interface LinearizabilityResult extends CheckResult {
  checker: 'linearizability';
  /** Porcupine's answer; `verdict` says the same as valid/invalid/unknown. */
  result: SearchResult;
  model: string;
  partitions: PartitionOutcome[];
  counterExample?: LinearizabilityCounterExample;
  /** Configurations remembered over all partitions. */
  configurations: number;
  elapsedMs: number;
}

const DEFAULT_TIME_BUDGET_MS = 10_000;
const DEFAULT_MAX_CONFIGURATIONS = 4_000_000;
const DEFAULT_MAX_MEMORY_BYTES = 512 * 1024 * 1024;
const DEFAULT_COUNTER_EXAMPLE_BUDGET_MS = 2_000;
const DEFAULT_COUNTER_EXAMPLE_MAX_CHECKS = 600;

interface RaceOutcome extends SearchOutcome {
  answeredBy?: 'wgl' | 'frontier';
}

/**
 * Runs the chosen searches over one partition's operations (searchable, in invocation order), in turns,
 * until one answers or the deadline passes.
 */
function race<S>(
  model: SequentialModel<S>,
  ops: readonly Operation[],
  algorithm: LinearizabilityAlgorithm,
  limits: SearchLimits,
  nowMs: () => number,
  deadlineMs: number,
): RaceOutcome {
  const runners: { name: 'wgl' | 'frontier'; run: SearchRun }[] = [];
  if (algorithm !== 'frontier') runners.push({ name: 'wgl', run: wglSearch(model, ops, limits) });
  if (algorithm !== 'wgl') runners.push({ name: 'frontier', run: frontierSearch(model, ops, limits) });
  const reasons: string[] = [];
  let configurations = 0;
  // Weighted turns: the runner that has used the least (weighted) time goes next. Most histories are
  // linearizable and WGL is the faster on those, so it gets two thirds of the time: the race costs about
  // 1.5 times WGL when WGL answers, 3 times the frontier search when that answers.
  const weights = runners.map((runner) => (runner.name === 'wgl' ? 1 : 2));
  const usedMs = runners.map(() => 0);
  let now = nowMs();
  while (runners.length > 0) {
    if (now >= deadlineMs) {
      for (const runner of runners) runner.run.return({ result: 'unknown', configurations: 0, stuckStates: [] });
      reasons.push('time budget exceeded');
      break;
    }
    const r = usedMs.indexOf(Math.min(...usedMs));
    const runner = runners[r];
    const step = runner.run.next();
    const after = nowMs();
    usedMs[r] += (after - now) * weights[r];
    now = after;
    if (!step.done) continue;
    const outcome = step.value;
    if (outcome.result !== 'unknown') {
      for (const other of runners) if (other !== runner) other.run.return({ result: 'unknown', configurations: 0, stuckStates: [] });
      return { ...outcome, answeredBy: runner.name };
    }
    reasons.push(`${runner.name}: ${outcome.reason ?? 'no answer'}`);
    configurations = Math.max(configurations, outcome.configurations);
    runners.splice(r, 1);
    usedMs.splice(r, 1);
    weights.splice(r, 1);
  }
  return { result: 'unknown', reason: reasons.join('; '), configurations, stuckStates: [] };
}

/** An operation made indeterminate: it may have taken effect at any time after its invocation, or never. */
function relax(op: Operation): Operation {
  return { ...op, status: 'info', output: undefined, completeMs: Infinity };
}

function byInvocation(a: Operation, b: Operation): number {
  return a.invokeMs - b.invokeMs || a.id - b.id;
}

/** The operations invoked by `cutMs`; those still running at the cut become indeterminate. */
function prefixAt<S>(model: SequentialModel<S>, ops: readonly Operation[], cutMs: number): Operation[] {
  const prefix: Operation[] = [];
  for (const op of ops) {
    if (op.invokeMs > cutMs) continue;
    prefix.push(op.completeMs <= cutMs ? op : relax(op));
  }
  return searchable(model, prefix);
}

function concurrentWith(op: Operation, ops: readonly Operation[]): Operation[] {
  return ops.filter((other) => other.invokeMs <= op.completeMs && other.completeMs >= op.invokeMs);
}

function partitionName(key: string): string {
  return key === '' ? 'the register' : `key ${JSON.stringify(key)}`;
}

interface ShrinkContext<S> {
  model: SequentialModel<S>;
  nowMs: () => number;
  deadlineMs: number;
  maxChecks: number;
  checks: number;
  limits: SearchLimits;
}

/** Most model states a window may start from before the window is given up as too costly. */
const MAX_WINDOW_START_STATES = 4096;

/**
 * One check while shrinking, with at most a quarter of the shrink time left: both searches in competition
 * when they can (a plain prefix), the frontier search alone for a window (start states, optional ops).
 */
function shrinkCheck<S>(
  context: ShrinkContext<S>,
  ops: readonly Operation[],
  initialStates?: readonly S[],
): { result: SearchResult; stuckStates: string[] } {
  if (context.checks >= context.maxChecks) return { result: 'unknown', stuckStates: [] };
  const now = context.nowMs();
  if (now >= context.deadlineMs) return { result: 'unknown', stuckStates: [] };
  context.checks++;
  const searched = searchable(context.model, ops).sort(byInvocation);
  const deadline = now + Math.max(1, (context.deadlineMs - now) / 4);
  const hasOptional = searched.some((op) => op.status === 'info' && !isIndeterminate(op));
  if (initialStates === undefined && !hasOptional) {
    return race(context.model, searched, 'competition', context.limits, context.nowMs, deadline);
  }
  const run = frontierSearch(context.model, searched, context.limits, initialStates);
  for (;;) {
    const step = run.next();
    if (step.done) return step.value;
    if (context.nowMs() >= deadline) {
      run.return({ result: 'unknown', configurations: 0, stuckStates: [] });
      return { result: 'unknown', stuckStates: [] };
    }
  }
}

/** An operation made optional: it may have taken effect within its own interval, with any result, or not. */
function makeOptional(op: Operation): Operation {
  return { ...op, status: 'info', output: undefined };
}

function identityOf(op: Operation): string {
  try {
    return `${op.f}\u0000${JSON.stringify(op.input) ?? ''}`;
  } catch {
    return `${op.f}\u0000${String(op.input)}`;
  }
}

/**
 * Every state `ops` could lead to, in any order and any subset (a superset of what they could really
 * produce: enough for a sound window start), or undefined if there are more than `cap`.
 */
function reachableStates<S>(
  model: SequentialModel<S>,
  ops: readonly Operation[],
  cap: number,
  nowMs: () => number,
  deadlineMs: number,
): S[] | undefined {
  const representatives = new Map<string, Operation>();
  for (const op of ops) {
    const indeterminate = relax(op);
    if (model.isInert?.(indeterminate) ?? false) continue;
    representatives.set(identityOf(op), indeterminate);
  }
  const initial = model.init();
  const states = [initial];
  const seen = new Set<string | number>([model.stateKey(initial)]);
  for (let i = 0; i < states.length; i++) {
    if (nowMs() >= deadlineMs) return undefined;
    for (const op of representatives.values()) {
      const stepped = model.step(states[i], op);
      if (!stepped.ok) continue;
      const key = model.stateKey(stepped.state);
      if (seen.has(key)) continue;
      seen.add(key);
      states.push(stepped.state);
      if (states.length > cap) return undefined;
    }
  }
  return states;
}

/**
 * Finds the failing operation of an illegal partition, the latest window start from which the history is
 * still illegal, and then shrinks the window's operations.
 *
 * Soundness of a window [m, end]: if the history is linearizable, then starting from the state at m (one of
 * the states the operations invoked before m could produce, in some order), the operations invoked from m
 * on, plus those still running at m (optional: they may have taken effect before m), are linearizable. So
 * a window that is illegal from every such state proves the history illegal. Making an operation optional
 * (it may have taken effect within its own interval, with any result, or not) only allows more, so an
 * illegal window stays a proof after each accepted relaxation.
 */
function findCounterExample<S>(
  model: SequentialModel<S>,
  key: string,
  ops: readonly Operation[],
  verdict: SearchOutcome,
  nowMs: () => number,
  budgetMs: number,
  maxChecks: number,
): LinearizabilityCounterExample {
  const context: ShrinkContext<S> = {
    model,
    nowMs,
    deadlineMs: nowMs() + budgetMs,
    maxChecks,
    checks: 0,
    limits: { maxConfigurations: 250_000, maxMemoryBytes: 128 * 1024 * 1024 },
  };

  // 1. The failing operation: where the frontier search ran out of configurations (in the verdict, if it
  // answered there; else now). If it cannot say within half the budget, binary-search the shortest
  // illegal prefix over completion times instead.
  let failingOp: Operation | undefined;
  let stuckStates: string[] = [];
  const frontier =
    verdict.failingIndex !== undefined ? verdict : race(model, ops, 'frontier', context.limits, nowMs, nowMs() + budgetMs / 2);
  if (frontier.result === 'illegal' && frontier.failingIndex !== undefined) {
    failingOp = ops[frontier.failingIndex];
    stuckStates = frontier.stuckStates;
  }
  if (failingOp === undefined) {
    const cuts = [...new Set(ops.filter((op) => !isIndeterminate(op)).map((op) => op.completeMs))].sort((a, b) => a - b);
    let lo = 0;
    let hi = cuts.length - 1; // the whole history is known to be illegal
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (shrinkCheck(context, prefixAt(model, ops, cuts[mid])).result === 'illegal') hi = mid;
      else lo = mid + 1;
    }
    const ending = ops.filter((op) => op.completeMs === cuts[hi]);
    const cut = prefixAt(model, ops, cuts[hi]);
    failingOp =
      ending.find((op) => shrinkCheck(context, cut.map((other) => (other.id === op.id ? relax(other) : other))).result === 'ok') ??
      ending[0];
  }
  const failing = failingOp;
  const endMs = failing.completeMs;
  const prefix = prefixAt(model, ops, endMs);

  // 2. The latest window start that still proves the history illegal.
  const windowOps = (startMs: number, optional: ReadonlySet<number>): Operation[] =>
    prefix.map((op) => {
      if (op.invokeMs < startMs) return isIndeterminate(op) ? op : makeOptional(op);
      return optional.has(op.id) ? makeOptional(op) : op;
    });
  const startCache = new Map<number, S[] | undefined>();
  const startStates = (startMs: number): S[] | undefined => {
    if (!startCache.has(startMs)) {
      startCache.set(
        startMs,
        reachableStates(model, prefix.filter((op) => op.invokeMs < startMs), MAX_WINDOW_START_STATES, nowMs, context.deadlineMs),
      );
    }
    return startCache.get(startMs);
  };
  const checkWindow = (startMs: number, optional: ReadonlySet<number>): { result: SearchResult; stuckStates: string[] } => {
    const states = startStates(startMs);
    if (states === undefined) return { result: 'unknown', stuckStates: [] };
    const inWindow = windowOps(startMs, optional).filter((op) => op.completeMs >= startMs);
    return shrinkCheck(context, inWindow, states);
  };
  // candidate starts: the failing operation's invocation, then earlier invocations, latest first
  const starts = [...new Set(prefix.filter((op) => op.invokeMs <= failing.invokeMs).map((op) => op.invokeMs))].sort((a, b) => b - a);
  starts.push(-Infinity); // from the very beginning: the prefix itself, known to be illegal
  const noneOptional = new Set<number>();
  let legalIndex = -1;
  let illegalIndex = starts.length - 1;
  for (let index = 0; index < starts.length - 1; index = index * 2 + 1) {
    const outcome = checkWindow(starts[index], noneOptional);
    if (outcome.result === 'illegal') {
      illegalIndex = index;
      break;
    }
    legalIndex = index;
  }
  while (illegalIndex - legalIndex > 1) {
    const mid = (legalIndex + illegalIndex) >>> 1;
    if (checkWindow(starts[mid], noneOptional).result === 'illegal') illegalIndex = mid;
    else legalIndex = mid;
  }
  const startMs = starts[illegalIndex];

  // 3. Make optional every operation of the window that is not needed: cheap ones first (an optional
  // read constrains nothing), then the rest, in halving groups, the earliest first.
  const optional = new Set<number>();
  const candidates = prefix.filter((op) => op.invokeMs >= startMs && op.id !== failing.id && !isIndeterminate(op));
  const isCheap = (op: Operation): boolean => model.isInert?.(makeOptional(op)) ?? false;
  let isMinimal = true;
  for (const group of [candidates.filter(isCheap), candidates.filter((op) => !isCheap(op))]) {
    const pool = [...group].sort((a, b) => a.completeMs - b.completeMs);
    for (let size = Math.max(1, Math.ceil(pool.length / 2)); ; size = Math.max(1, Math.ceil(size / 2))) {
      const remaining = pool.filter((op) => !optional.has(op.id));
      for (let start = 0; start < remaining.length; start += size) {
        const chunk = remaining.slice(start, start + size);
        for (const op of chunk) optional.add(op.id);
        const outcome = checkWindow(startMs, optional).result;
        if (outcome !== 'illegal') {
          for (const op of chunk) optional.delete(op.id);
          // an operation kept because its check gave no answer is not shown to be needed
          if (size === 1 && outcome === 'unknown') isMinimal = false;
        }
      }
      if (size === 1) break;
    }
  }

  // 4. The states the failing operation met in the final window, when it had to take effect.
  const final = checkWindow(startMs, optional);
  if (final.result === 'illegal' && final.stuckStates.length > 0) stuckStates = final.stuckStates;

  const shown = candidates.filter((op) => !optional.has(op.id)).concat([failing]).sort(byInvocation);
  const others = prefix.filter((op) => op.completeMs >= startMs).length - shown.length;
  const startCount = startStates(startMs)?.length ?? 0;
  const lines = [
    `not linearizable on ${partitionName(key)}: linearizable up to just before ${formatMs(endMs)} ms, not once ` +
      `#${failing.id} (${failing.f} by p${failing.process}) completes.`,
    (Number.isFinite(startMs)
      ? `From ${formatMs(startMs)} ms, whatever state the earlier operations left (any of ${startCount} they could produce), `
      : 'From the start, ') +
      `these ${shown.length} operation${shown.length === 1 ? '' : 's'} admit no legal order` +
      (others > 0
        ? `, even if each of the ${others} other operation${others === 1 ? '' : 's'} in the window took effect or not, with any result, within its own interval:`
        : ':'),
    ...shown.map((op) => `  ${op.id === failing.id ? '>' : ' '} ${describeOperation(op)}`),
    ...(stuckStates.length > 0 ? [`#${failing.id} could not take effect in any reachable state: ${stuckStates.join(', ')}.`] : []),
    ...(isMinimal ? [] : ['(shrinking stopped at its budget: the window may not be minimal)']),
  ];
  return {
    key,
    failingOp: failing,
    ops: shown,
    possibleStates: stuckStates,
    windowStartMs: Number.isFinite(startMs) ? startMs : Math.min(...shown.map((op) => op.invokeMs)),
    windowEndMs: endMs,
    isFromStart: !Number.isFinite(startMs),
    isMinimal,
    description: lines.join('\n'),
  };
}

/** The counter-example without searching: the last completed operation and those concurrent with it. */
function unshrunkCounterExample(key: string, ops: readonly Operation[]): LinearizabilityCounterExample {
  const finite = ops.filter((op) => !isIndeterminate(op));
  // an illegal partition has a completed operation (indeterminate ones alone constrain nothing)
  const last = finite.reduce((a, b) => (b.completeMs > a.completeMs ? b : a), finite[0] ?? ops[0]);
  const shown = concurrentWith(last, finite);
  return {
    key,
    failingOp: last,
    ops: shown,
    possibleStates: [],
    windowStartMs: Math.min(...shown.map((op) => op.invokeMs)),
    windowEndMs: last.completeMs,
    isFromStart: true,
    isMinimal: false,
    description: `not linearizable on ${partitionName(key)} (counter-example not searched for)`,
  };
}

function verdictOf(result: SearchResult): Verdict {
  return result === 'ok' ? 'valid' : result === 'illegal' ? 'invalid' : 'unknown';
}

/**
 * Checks that operations (paired, see history.ts) are linearizable with respect to `model`, partition by
 * partition, within the budgets. Answers `unknown` rather than guessing when a budget runs out.
 */
export function checkOperations<S>(
  model: SequentialModel<S>,
  operations: readonly Operation[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const nowMs = options.nowMs ?? (() => performance.now());
  const startMs = nowMs();
  const deadlineMs = startMs + (options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS);
  const limits: SearchLimits = {
    maxConfigurations: options.maxConfigurations ?? DEFAULT_MAX_CONFIGURATIONS,
    maxMemoryBytes: options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES,
  };
  const partitionKey = model.partitionKey ?? ((op: Operation) => op.key ?? '');

  const groups = new Map<string, Operation[]>();
  for (const given of operations) {
    // an info operation has no completion, whatever time the client gave up at
    const op = given.status === 'info' && Number.isFinite(given.completeMs) ? { ...given, completeMs: Infinity } : given;
    const key = partitionKey(op);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [op]);
    else group.push(op);
  }

  const partitions: PartitionOutcome[] = [];
  const illegal: { key: string; ops: Operation[]; outcome: RaceOutcome }[] = [];
  for (const [key, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ops = searchable(model, group).sort(byInvocation);
    const partitionStartMs = nowMs();
    const outcome: RaceOutcome =
      partitionStartMs >= deadlineMs
        ? { result: 'unknown', reason: 'time budget exceeded before this partition', configurations: 0, stuckStates: [] }
        : race(model, ops, options.algorithm ?? 'competition', limits, nowMs, deadlineMs);
    partitions.push({
      key,
      result: outcome.result,
      ...(outcome.answeredBy !== undefined ? { answeredBy: outcome.answeredBy } : {}),
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      operations: ops.length,
      configurations: outcome.configurations,
      elapsedMs: nowMs() - partitionStartMs,
    });
    if (outcome.result === 'illegal') illegal.push({ key, ops, outcome });
  }

  const result: SearchResult = partitions.some((p) => p.result === 'illegal')
    ? 'illegal'
    : partitions.some((p) => p.result === 'unknown')
      ? 'unknown'
      : 'ok';

  let counterExample: LinearizabilityCounterExample | undefined;
  if (illegal.length > 0) {
    // the smallest illegal partition gives the smallest counter-example
    const smallest = illegal.reduce((a, b) => (b.ops.length < a.ops.length ? b : a));
    const shrink = options.counterExample;
    counterExample =
      shrink === false
        ? unshrunkCounterExample(smallest.key, smallest.ops)
        : findCounterExample(
            model,
            smallest.key,
            smallest.ops,
            smallest.outcome,
            nowMs,
            shrink?.timeBudgetMs ?? DEFAULT_COUNTER_EXAMPLE_BUDGET_MS,
            shrink?.maxChecks ?? DEFAULT_COUNTER_EXAMPLE_MAX_CHECKS,
          );
  }

  const configurations = partitions.reduce((sum, p) => sum + p.configurations, 0);
  const searched = partitions.reduce((sum, p) => sum + p.operations, 0);
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const summary =
    result === 'ok'
      ? `linearizable (${model.name}): ${plural(searched, 'operation')} in ${plural(partitions.length, 'partition')}`
      : result === 'illegal'
        ? `NOT linearizable (${model.name}) on ${illegal.map((p) => partitionName(p.key)).join(', ')}` +
          (counterExample ? `: ${describeOperation(counterExample.failingOp)} cannot be explained` : '')
        : `unknown (${model.name}): ` +
          partitions
            .filter((p) => p.result === 'unknown')
            .map((p) => `${partitionName(p.key)}: ${p.reason ?? 'no answer'}`)
            .join('; ');

  return {
    checker: 'linearizability',
    verdict: verdictOf(result),
    result,
    model: model.name,
    summary,
    partitions,
    ...(counterExample ? { counterExample, violations: [counterExample] } : {}),
    configurations,
    elapsedMs: nowMs() - startMs,
  };
}

/** Pairs the events (throws MalformedHistoryError on a malformed history) and checks linearizability. */
export function checkLinearizability<S>(
  model: SequentialModel<S>,
  events: readonly HistoryEvent[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  return checkOperations(model, pairOperations(events), options);
}
