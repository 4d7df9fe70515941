import { ManualClock } from '../../time/clock.js';
import { EventQueue } from './event-queue.js';

/**
 * The one simulation kernel: a virtual clock and one agenda of events. Every simulated protocol (the Raft
 * cluster, the gossip cluster, and whatever shares them) schedules its work here as closures, so several of them
 * can run on the same virtual time and one seed orders all of their events: ties run in the order they were
 * scheduled. The kernel decides nothing and draws no random numbers; the simulations and the network do, from
 * Randoms forked off the run's seed.
 */
export class SimKernel {
  /** Virtual time, for components that take a Clock (a SwimNode); its monotonic time is `nowMs`. */
  readonly clock = new ManualClock(0);
  private readonly queue = new EventQueue<() => void>();
  private stepCount = 0;

  /** Virtual now (ms). */
  get nowMs(): number {
    return this.clock.monotonicMs();
  }

  /** Events run so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** Runs `run` at virtual time `timeMs` (never in the past), after the events already due then. */
  at(timeMs: number, run: () => void): void {
    this.queue.push(Math.max(timeMs, this.nowMs), run);
  }

  /** The time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.queue.peekTime();
  }

  /** Runs the earliest event (advancing the clock to it). Returns false when nothing is left to do. */
  runNext(): boolean {
    const next = this.queue.pop();
    if (next === undefined) return false;
    if (next.timeMs > this.nowMs) this.clock.set(next.timeMs);
    this.stepCount++;
    next.item();
    return true;
  }

  /** Runs every event due up to and including `timeMs`, then moves the clock to `timeMs`. */
  runUntil(timeMs: number): void {
    while (this.queue.peekTime() <= timeMs) this.runNext();
    if (this.nowMs < timeMs) this.clock.set(timeMs);
  }
}
