/**
 * The one way to wait between tries. Which code uses what:
 * - A wait that changes from try to try (grows, is capped, or is jittered) always comes from here: `backoffMs` where
 *   the loop or timer keeps its own count of failures (a join, a reconnecting stream, the supervisor's restarts),
 *   `Backoff` where it kept a mutable "next wait" (a dialer, the memory governor).
 * - A loop that is "try one operation; on a retryable error wait and try again, until it succeeds or the tries or the
 *   deadline run out" is `retry()`, also when its wait is constant (`fixedBackoff(ms)`).
 * - Plain sleeps stay where nothing failed: polls that wait for a condition with a constant step (a node ready, a
 *   leader known, a process gone, a lock free), pacing (a workload's think time, a probe interval), and a constant
 *   wait inside a long-running loop that owns its stop rules (a lease renewal, a campaign, a relayed watch), where
 *   the rules, not the step, are what a reader needs to see.
 * Nothing here reads a clock or sets a timer unless given one: `retry` takes `sleep` and `now` (the machine's by
 * default), and jitter takes `random`.
 */
import { systemScheduler } from './scheduler.js';

export interface BackoffPolicy {
  /** The wait after the first failure. */
  firstMs: number;
  /** The longest wait. */
  maxMs: number;
  /** Growth per try (default 2; 1: a constant wait). */
  factor?: number;
  /** 'full': a random wait from 0 to the computed one (AWS's "full jitter"); 'none' (the default): exactly it. */
  jitter?: 'full' | 'none';
}

/** The wait before try `attempt + 1` (`attempt` counts from 0: the first failure). `random` is in [0, 1). */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  const exact = Math.min(policy.maxMs, policy.firstMs * factor ** Math.min(Math.max(0, attempt), 30));
  return policy.jitter === 'full' ? exact * random() : exact;
}

/** The same wait after every failure. */
export function fixedBackoff(ms: number): BackoffPolicy {
  return { firstMs: ms, maxMs: ms, factor: 1 };
}

/** Failures in a row and the wait each one earns; `reset()` after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** One more failure: the wait before the next try. */
  next(): number {
    return backoffMs(this.failures++, this.policy, this.random);
  }

  /** A success: the next failure waits `firstMs` again. */
  reset(): void {
    this.failures = 0;
  }

  /** Failures since the last success. */
  get count(): number {
    return this.failures;
  }
}

export interface RetryOptions {
  policy: BackoffPolicy;
  /** Whether an error is worth another try (default: every error). One that is not is thrown at once. */
  shouldRetry?: (err: unknown, attempt: number) => boolean;
  /** Tries in all, the first included (default: no limit). */
  attempts?: number;
  /** No try starts at or after this time (on `now`'s scale): a wait that would end there throws the last error instead. */
  deadlineMs?: number;
  /** Told before each wait. */
  onRetry?: (err: unknown, waitMs: number, attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/**
 * Calls `fn` (with the try's number, from 0) until it resolves, waiting `backoffMs` between tries; throws the last
 * error when it is not retryable or the tries or the deadline run out.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? systemScheduler.sleep;
  const now = opts.now ?? systemScheduler.now;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.shouldRetry && !opts.shouldRetry(err, attempt)) throw err;
      if (opts.attempts !== undefined && attempt + 1 >= opts.attempts) throw err;
      const waitMs = backoffMs(attempt, opts.policy, opts.random);
      if (opts.deadlineMs !== undefined && now() + waitMs >= opts.deadlineMs) throw err;
      opts.onRetry?.(err, waitMs, attempt);
      await sleep(waitMs);
    }
  }
}
