import { MinHeap } from '../../swim/min-heap.js';

/** A scheduled simulator event: ordered by time, then by insertion (so a seed replays exactly). */
export interface Scheduled<T> {
  atMs: number;
  order: number;
  item: T;
}

/** Events in virtual time, earliest first (ties in insertion order). */
export class EventQueue<T> {
  private readonly heap = new MinHeap<Scheduled<T>>(isBefore);
  private nextOrder = 0;

  get length(): number {
    return this.heap.length;
  }

  push(atMs: number, item: T): void {
    this.heap.push({ atMs, order: this.nextOrder++, item });
  }

  /** The time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.heap.peek()?.atMs ?? Infinity;
  }

  pop(): Scheduled<T> | undefined {
    return this.heap.pop();
  }
}

function isBefore<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
