/** A scheduled simulator event: ordered by time, then by insertion (so a seed replays exactly). */
export interface Scheduled<T> {
  atMs: number;
  order: number;
  item: T;
}

/** A binary min-heap of events in virtual time. */
export class EventQueue<T> {
  private heap: Scheduled<T>[] = [];
  private nextOrder = 0;

  get length(): number {
    return this.heap.length;
  }

  push(atMs: number, item: T): void {
    const e: Scheduled<T> = { atMs, order: this.nextOrder++, item };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!isBefore(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  /** The time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0].atMs : Infinity;
  }

  pop(): Scheduled<T> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && isBefore(h[l], h[m])) m = l;
        if (r < h.length && isBefore(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function isBefore<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
