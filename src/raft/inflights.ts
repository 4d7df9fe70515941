/**
 * Inflights: the flow-control window of append messages sent to one follower and not yet acknowledged
 * (etcd's tracker/inflights.go). A ring buffer of each message's last index and size; full means pause: at
 * `capacity` messages, or (with `maxBytes` > 0) at `maxBytes` of entries, so a follower catching up on large
 * entries never has more than that in flight (etcd's MaxInflightBytes).
 */
import { assertInvariant } from './errors.js';

export class Inflights {
  private readonly indexes: number[];
  private readonly sizes: number[];
  private start = 0;
  /** How many messages are in flight. */
  count = 0;
  /** Total bytes in flight. */
  bytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes = 0,
  ) {
    this.indexes = new Array<number>(capacity).fill(0);
    this.sizes = new Array<number>(capacity).fill(0);
  }

  /** Records a message whose last entry is `index`; indexes must be added in increasing order. */
  add(index: number, sizeBytes: number): void {
    assertInvariant(!this.full(), 'cannot add to a full inflights window');
    let next = this.start + this.count;
    if (next >= this.capacity) next -= this.capacity;
    this.indexes[next] = index;
    this.sizes[next] = sizeBytes;
    this.count++;
    this.bytes += sizeBytes;
  }

  /** Frees every message whose last index is <= `index` (they were acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.indexes[this.start] <= index) {
      this.bytes -= this.sizes[this.start];
      this.start++;
      if (this.start >= this.capacity) this.start = 0;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
