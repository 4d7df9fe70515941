/**
 * Lifeguard's local health multiplier (memberlist awareness.go): a score in [0, max − 1] that rises when this node
 * sees signs that *it* is the slow one (probes failing without the helpers' nacks, having to refute accusations) and
 * falls with each clean probe. Timeouts are scaled by score + 1, so a struggling node doubts itself before it accuses
 * others.
 */
export class Awareness {
  private score = 0;

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`awareness max must be an integer >= 1 (got ${max})`);
  }

  /** Adds delta (may be negative) and clamps to [0, max − 1]. Returns the new score. */
  applyDelta(delta: number): number {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
    return this.score;
  }

  /** The current health score: 0 is healthy. */
  healthScore(): number {
    return this.score;
  }

  /** timeout · (score + 1). */
  scaleTimeout(timeoutMs: number): number {
    return scaleTimeout(timeoutMs, this.score);
  }
}

/** The Lifeguard scaling rule on its own: timeout · (score + 1). */
export function scaleTimeout(timeoutMs: number, healthScore: number): number {
  return timeoutMs * (healthScore + 1);
}
