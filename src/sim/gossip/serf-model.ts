/**
 * Serf's convergence model (serf.io/docs/internals/simulator.html): after r gossip rounds,
 * infected(r) = n / (1 + (n+1)·e^(−fanout·(1−loss)·(1−fail)·r)).
 */
export function serfInfected(n: number, fanout: number, loss: number, round: number, fail = 0): number {
  return n / (1 + (n + 1) * Math.exp(-fanout * (1 - loss) * (1 - fail) * round));
}

/** The model's fraction per round, from round 0 to the first round reaching `target` (inclusive), at most maxRounds. */
export function serfCurve(n: number, fanout: number, loss: number, target = 0.9999, maxRounds = 200): { round: number; fraction: number }[] {
  const out: { round: number; fraction: number }[] = [];
  for (let r = 0; r <= maxRounds; r++) {
    const fraction = serfInfected(n, fanout, loss, r) / n;
    out.push({ round: r, fraction });
    if (fraction >= target) break;
  }
  return out;
}

/** Rounds (fractional, by bisection) for the model to reach `target` of n. */
export function serfRoundsTo(n: number, fanout: number, loss: number, target = 0.9999): number {
  let lo = 0;
  let hi = 1;
  while (serfInfected(n, fanout, loss, hi) / n < target) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (serfInfected(n, fanout, loss, mid) / n >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}
