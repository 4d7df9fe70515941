/**
 * One way to wait between tries: exponential from `firstMs`, capped at `maxMs`, with optional jitter so that
 * contenders who failed together do not try again together.
 */
export interface BackoffPolicy {
  /** The wait after the first failure. */
  firstMs: number;
  /** The longest wait. */
  maxMs: number;
  /** Growth per try (default 2). */
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
