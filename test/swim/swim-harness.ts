import { SeededRandom } from '../../src/random/random.js';
import { localConfig, type SwimConfig } from '../../src/swim/swim-config.js';
import type { MemberMeta } from '../../src/swim/membership-table.js';
import type { SwimMessage, SwimPacket } from '../../src/swim/messages.js';
import { SwimNode, type MemberEvent } from '../../src/swim/swim-node.js';
import { ManualClock } from '../../src/time/clock.js';

/** A datagram in flight between two harness nodes. */
export interface InFlight {
  from: string;
  to: string;
  packet: SwimPacket;
  bytes: number;
}

/**
 * A hand-driven cluster for rule-level tests: nothing moves unless the test says so (etcd's interaction-env idea).
 * Addresses are ids. Push-pulls are exchanged synchronously when collected; datagrams wait in `inFlight` until
 * deliver() (which a `drop` filter can thin out).
 */
export class SwimHarness {
  readonly clock = new ManualClock(0);
  readonly nodes = new Map<string, SwimNode>();
  readonly inFlight: InFlight[] = [];
  readonly sent: InFlight[] = [];
  readonly events: { observer: string; event: MemberEvent }[] = [];
  readonly down = new Set<string>();
  drop: (p: InFlight) => boolean = () => false;
  private readonly random: SeededRandom;

  constructor(seed = 1, readonly config: SwimConfig = localConfig()) {
    this.random = new SeededRandom(seed);
  }

  add(id: string, opts: { meta?: Partial<MemberMeta>; config?: Partial<SwimConfig> } = {}): SwimNode {
    const meta: MemberMeta = { joinedAtMs: this.clock.nowMs() + this.nodes.size, tags: {}, ...opts.meta };
    const node = new SwimNode({ id, address: id, meta, config: { ...this.config, ...opts.config }, clock: this.clock, random: this.random.fork() });
    this.nodes.set(id, node);
    this.down.delete(id);
    return node;
  }

  node(id: string): SwimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Adds nodes and joins each through the first, then runs until they all see each other alive. */
  cluster(ids: string[]): void {
    for (const id of ids) this.add(id);
    for (const id of ids.slice(1)) this.node(id).join([{ id: ids[0], address: ids[0] }]);
    this.collect();
    this.runUntil(() => ids.every((a) => ids.every((b) => this.node(a).member(b)?.state === 'alive')), 10_000);
    this.events.length = 0;
  }

  /** Drains every node: datagrams go in flight, push-pulls are exchanged now, events are recorded. */
  collect(): void {
    for (let round = 0; round < 100; round++) {
      let isQuiet = true;
      for (const [id, node] of this.nodes) {
        if (this.down.has(id)) {
          node.drain();
          continue;
        }
        const ready = node.drain();
        for (const p of ready.packets) {
          const f = { from: id, to: p.to, packet: p.packet, bytes: p.bytes };
          this.inFlight.push(f);
          this.sent.push(f);
        }
        for (const e of ready.events) this.events.push({ observer: id, event: e });
        for (const pp of ready.pushPulls) {
          isQuiet = false;
          const peer = this.nodes.get(pp.to);
          if (peer === undefined || this.down.has(pp.to)) continue;
          const reply = peer.receivePushPull(id, pp.state);
          node.receivePushPullReply(pp.to, reply);
        }
        if (ready.packets.length > 0 || ready.events.length > 0) isQuiet = false;
      }
      if (isQuiet) return;
    }
  }

  /** Delivers every datagram in flight (except those `drop` rejects), then collects what that produced. */
  deliver(): void {
    const batch = this.inFlight.splice(0);
    for (const p of batch) {
      if (this.down.has(p.to) || this.drop(p)) continue;
      this.nodes.get(p.to)?.receivePacket(p.from, p.packet, p.bytes);
    }
    this.collect();
  }

  /** Advances time in steps, ticking every node and delivering everything after each step. */
  advance(ms: number, stepMs = 5): void {
    const end = this.clock.monotonicMs() + ms;
    while (this.clock.monotonicMs() < end) {
      this.clock.set(Math.min(end, this.clock.monotonicMs() + stepMs));
      for (const [id, node] of this.nodes) if (!this.down.has(id)) node.tick();
      this.collect();
      this.deliver();
    }
  }

  runUntil(done: () => boolean, maxMs: number, stepMs = 5): boolean {
    const end = this.clock.monotonicMs() + maxMs;
    while (!done()) {
      if (this.clock.monotonicMs() >= end) return false;
      this.advance(stepMs, stepMs);
    }
    return true;
  }

  kill(id: string): void {
    this.down.add(id);
  }

  eventsOf(type: MemberEvent['type'], about?: string): { observer: string; event: MemberEvent }[] {
    return this.events.filter((e) => e.event.type === type && (about === undefined || e.event.memberId === about));
  }

  /** Messages of a type sent so far (optionally from / to a node). */
  messagesSent(type: SwimMessage['type'], filter: { from?: string; to?: string } = {}): SwimMessage[] {
    return this.sent
      .filter((p) => (filter.from === undefined || p.from === filter.from) && (filter.to === undefined || p.to === filter.to))
      .flatMap((p) => p.packet.msgs)
      .filter((m) => m.type === type);
  }
}
