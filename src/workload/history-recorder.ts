/**
 * Records a chaos run's history as it happens: every operation's invocation and completion (Jepsen's
 * invoke/ok/fail/info), and every fault as an interval, on one monotonic clock that starts at 0 with the run.
 */
import type { EventType, Fault, HistoryEvent } from '../check/index.js';

/** Counts of completions so far, for the ops/s line. */
export interface HistoryCounts {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
}

/** An open fault interval, to close with `faultEnded`. */
export interface FaultHandle {
  readonly index: number;
}

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  readonly faults: Fault[] = [];
  readonly counts: HistoryCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  private readonly originMs: number;
  /** Each process's outstanding invocation (f and key), to catch a workload bug at its source. */
  private readonly outstanding = new Map<number, { f: string; key: string | undefined }>();

  constructor(private readonly clockMs: () => number = () => performance.now()) {
    this.originMs = clockMs();
  }

  /** Milliseconds since the recorder started (the history's time axis). */
  nowMs(): number {
    // rounded to µs: keeps history.json small; rounding is monotone, so times never go back
    return Math.round((this.clockMs() - this.originMs) * 1000) / 1000;
  }

  invoke(process: number, f: string, key: string | undefined, value: unknown): void {
    if (this.outstanding.has(process)) {
      throw new Error(`workload bug: process ${process} invokes ${f} while its ${this.outstanding.get(process)!.f} is outstanding`);
    }
    this.outstanding.set(process, { f, key });
    this.counts.invoked++;
    this.events.push({ process, type: 'invoke', f, ...(key !== undefined ? { key } : {}), value, timeMs: this.nowMs() });
  }

  complete(process: number, type: Exclude<EventType, 'invoke'>, value: unknown): void {
    const open = this.outstanding.get(process);
    if (open === undefined) throw new Error(`workload bug: process ${process} completes an operation it never invoked`);
    this.outstanding.delete(process);
    this.counts[type]++;
    this.events.push({ process, type, f: open.f, ...(open.key !== undefined ? { key: open.key } : {}), value, timeMs: this.nowMs() });
  }

  /** Whether the process has an operation outstanding. */
  isBusy(process: number): boolean {
    return this.outstanding.has(process);
  }

  /** Opens a fault interval (from `startMs` if given: when the action that injects it began). */
  faultStarted(kind: string, description: string, startMs = this.nowMs()): FaultHandle {
    this.faults.push({ kind, description, startMs, endMs: Infinity });
    return { index: this.faults.length - 1 };
  }

  faultEnded(handle: FaultHandle): void {
    const fault = this.faults[handle.index];
    if (fault !== undefined && !Number.isFinite(fault.endMs)) fault.endMs = this.nowMs();
  }

  /** Closes every fault still open (at the heal). */
  allFaultsEnded(): void {
    const now = this.nowMs();
    for (const fault of this.faults) if (!Number.isFinite(fault.endMs)) fault.endMs = now;
  }

  /** Faults open now, in words. */
  openFaults(): string[] {
    return this.faults.filter((f) => !Number.isFinite(f.endMs)).map((f) => f.description);
  }
}
