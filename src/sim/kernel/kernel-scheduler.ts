import type { Scheduler } from '../../time/scheduler.js';
import type { SimKernel } from './sim-kernel.js';

/**
 * The kernel's agenda as a Scheduler, for code written against timers and promises (the coordination services):
 * a timer is a kernel event, and `runFor` lets every promise continuation settle between events, so a service's
 * async steps interleave with the simulated network exactly as the seed orders them.
 */
export class KernelScheduler implements Scheduler {
  constructor(private readonly kernel: SimKernel) {}

  now(): number {
    // The kernel clock's wall time: the same scale the services stamp their commands with.
    return this.kernel.clock.nowMs();
  }

  after(ms: number, fn: () => void): () => void {
    let isCancelled = false;
    this.kernel.at(this.kernel.nowMs + Math.max(0, ms), () => {
      if (!isCancelled) fn();
    });
    return () => {
      isCancelled = true;
    };
  }

  every(ms: number, fn: () => void): () => void {
    const step = Math.max(1, ms);
    let isCancelled = false;
    const tick = (): void => {
      if (isCancelled) return;
      this.kernel.at(this.kernel.nowMs + step, tick);
      fn();
    };
    this.kernel.at(this.kernel.nowMs + step, tick);
    return () => {
      isCancelled = true;
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Runs the kernel for `ms` of virtual time, settling promises after each event. */
  async runFor(ms: number): Promise<void> {
    const until = this.kernel.nowMs + ms;
    await settle();
    while (this.kernel.peekTime() <= until) {
      this.kernel.runNext();
      await settle();
    }
    this.kernel.runUntil(until);
    await settle();
  }
}

/**
 * Lets every pending promise continuation run. Nothing real is pending in a simulation (no sockets, no timers), so
 * one macrotask turn drains exactly the continuations the last event started, in a fixed order.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
