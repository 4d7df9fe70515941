import type { BroadcastMessage } from './messages.js';
import { MinHeap } from './min-heap.js';

/** Times a broadcast is sent before it is dropped: retransmitMult · ceil(log10(n + 1)) (memberlist retransmitLimit). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

interface QueuedBroadcast {
  readonly key: string;
  readonly msg: BroadcastMessage;
  readonly bytes: number;
  readonly id: number;
  transmits: number;
  isLive: boolean;
}

/** A snapshot of one queued broadcast, for tests and the explain view. */
export interface QueuedBroadcastView {
  key: string;
  msg: BroadcastMessage;
  bytes: number;
  transmits: number;
}

/** memberlist's order: fewest transmits first, then larger messages (harder to fit later), then newer. */
function isSentBefore(a: QueuedBroadcast, b: QueuedBroadcast): boolean {
  if (a.transmits !== b.transmits) return a.transmits < b.transmits;
  if (a.bytes !== b.bytes) return a.bytes > b.bytes;
  return a.id > b.id;
}

/** How many too-large entries one getBroadcasts call looks past before it stops (keeps a call O(k log m)). */
const MAX_SKIPPED_PER_CALL = 4;

/**
 * memberlist's TransmitLimitedQueue. A new broadcast about a member invalidates the queued one about the same member.
 * getBroadcasts packs the queue's head into a byte budget, counts a transmit for each message taken and drops those
 * that reach the retransmit limit. A heap with lazy deletion keeps each call O(k log m) even when a partition heals
 * and thousands of broadcasts are queued.
 */
export class BroadcastQueue {
  private readonly heap = new MinHeap<QueuedBroadcast>(isSentBefore);
  private readonly byKey = new Map<string, QueuedBroadcast>();
  private nextId = 1;
  private liveCount = 0;
  private dropped = 0;

  constructor(private readonly maxLength: number) {}

  /** Queues a broadcast about `key` (a member id), replacing any queued broadcast about the same member. */
  enqueue(key: string, msg: BroadcastMessage, bytes: number): void {
    const old = this.byKey.get(key);
    if (old !== undefined) {
      old.isLive = false;
      this.liveCount--;
    }
    const entry: QueuedBroadcast = { key, msg, bytes, id: this.nextId++, transmits: 0, isLive: true };
    this.heap.push(entry);
    this.byKey.set(key, entry);
    this.liveCount++;
    if (this.liveCount > this.maxLength) this.prune(this.maxLength);
    else if (this.heap.length > 2 * this.liveCount + 64) this.heap.rebuild((e) => e.isLive);
  }

  /** Queued broadcasts still to be sent. */
  get length(): number {
    return this.liveCount;
  }

  /** Broadcasts dropped by prune (queue full) so far. */
  get droppedCount(): number {
    return this.dropped;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /**
   * Takes broadcasts that fit `limitBytes` counting `overheadBytes` per message, in queue order; each taken message
   * counts one transmit and leaves the queue at `transmitLimit`. Returns the messages and their total size (without
   * overhead).
   */
  getBroadcasts(overheadBytes: number, limitBytes: number, transmitLimit: number): { messages: BroadcastMessage[]; bytes: number } {
    const messages: BroadcastMessage[] = [];
    if (this.liveCount === 0) return { messages, bytes: 0 };
    const taken: QueuedBroadcast[] = [];
    const skipped: QueuedBroadcast[] = [];
    let remaining = limitBytes;
    let bytes = 0;
    while (remaining - overheadBytes > 0 && skipped.length < MAX_SKIPPED_PER_CALL) {
      const e = this.heap.pop();
      if (e === undefined) break;
      if (!e.isLive) continue;
      if (e.bytes + overheadBytes > remaining) {
        skipped.push(e);
        continue;
      }
      taken.push(e);
      messages.push(e.msg);
      remaining -= e.bytes + overheadBytes;
      bytes += e.bytes;
    }
    for (const e of skipped) this.heap.push(e);
    for (const e of taken) {
      e.transmits++;
      if (e.transmits >= transmitLimit) {
        e.isLive = false;
        this.byKey.delete(e.key);
        this.liveCount--;
      } else {
        this.heap.push(e);
      }
    }
    return { messages, bytes };
  }

  /** Keeps the `maxRetain` broadcasts that would be sent first (memberlist Prune drops the most transmitted). */
  prune(maxRetain: number): void {
    const live = this.heap.toArray().filter((e) => e.isLive);
    live.sort((a, b) => (isSentBefore(a, b) ? -1 : isSentBefore(b, a) ? 1 : 0));
    for (const e of live.slice(maxRetain)) {
      e.isLive = false;
      this.byKey.delete(e.key);
      this.liveCount--;
      this.dropped++;
    }
    this.heap.rebuild((e) => e.isLive);
  }

  /** The queue in send order. */
  view(): QueuedBroadcastView[] {
    return this.heap
      .toArray()
      .filter((e) => e.isLive)
      .sort((a, b) => (isSentBefore(a, b) ? -1 : 1))
      .map((e) => ({ key: e.key, msg: e.msg, bytes: e.bytes, transmits: e.transmits }));
  }
}
