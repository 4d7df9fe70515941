import type { Random } from '../random/random.js';
import type { Awareness } from './awareness.js';
import type { MemberView, MembershipTable } from './membership-table.js';
import type { PingReqMessage, SwimMessage } from './messages.js';
import type { SwimConfig } from './swim-config.js';

/** Above this many slots the probe order is a random affine permutation (O(1) memory) instead of a shuffled array. */
export const SHUFFLED_ORDER_MAX_SLOTS = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The round robin over member slots, reshuffled at each wrap (memberlist resetNodes + shuffleNodes): every member is
 * probed once per round, in a fresh random order, which bounds detection time to one round. Up to 4096 slots it is a
 * Fisher–Yates shuffle; above, slot(i) = (a·i + c) mod n with gcd(a, n) = 1 and random a, c: still each slot once per
 * round, with O(1) memory, so 10,000 simulated nodes do not each hold a 10,000-entry array.
 */
export class ProbeOrder {
  private shuffled: Uint32Array | undefined;
  private multiplier = 1;
  private offset = 0;
  private length = 0;
  private position = 0;

  /** Starts a new round over `slotCount` slots. */
  reset(slotCount: number, random: Random): void {
    this.length = slotCount;
    this.position = 0;
    if (slotCount <= SHUFFLED_ORDER_MAX_SLOTS) {
      const order = new Uint32Array(slotCount);
      for (let i = 0; i < slotCount; i++) order[i] = i;
      for (let i = slotCount - 1; i > 0; i--) {
        const j = random.int(0, i);
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      this.shuffled = order;
      return;
    }
    this.shuffled = undefined;
    this.offset = random.int(0, slotCount - 1);
    let a = random.int(1, slotCount - 1);
    while (gcd(a, slotCount) !== 1) a = a + 1 >= slotCount ? 1 : a + 1;
    this.multiplier = a;
  }

  /** The next slot of this round, or undefined when the round is over. */
  next(): number | undefined {
    if (this.position >= this.length) return undefined;
    const i = this.position++;
    return this.shuffled !== undefined ? this.shuffled[i] : (this.multiplier * i + this.offset) % this.length;
  }
}

/**
 * A ping-req helper gives up on the target (and nacks) after this fraction of the probe timeout. The prober sends
 * ping-reqs at probeTimeout and decides at probeInterval, which is 2 × probeTimeout in every preset; memberlist nacks
 * after a full probeTimeout, so its nack lands just after the prober has decided and Lifeguard never sees it. At 0.8
 * the nack arrives in time on any link faster than 0.1 × probeTimeout each way.
 */
export const NACK_AFTER_PROBE_TIMEOUT_FRACTION = 0.8;

/** What the prober needs from its node. */
export interface ProberHost {
  readonly selfId: string;
  readonly table: MembershipTable;
  readonly config: SwimConfig;
  readonly random: Random;
  readonly awareness: Awareness;
  nextSeq(): number;
  /** Sends messages to an address (the node piggybacks broadcasts). */
  send(address: string, msgs: SwimMessage[]): void;
  /** A probe got no ack: the node raises a suspicion with the incarnation seen when the probe started. */
  onProbeFailed(target: MemberView, nowMs: number): void;
  /** Called at each wrap of the round robin: forget long-dead members (memberlist resetNodes). */
  onRoundEnd(nowMs: number): void;
  /** Whether probing is off (the node has left). */
  isProbingStopped(): boolean;
}

interface ProbeInFlight {
  seq: number;
  target: MemberView;
  startedAtMs: number;
  directDeadlineMs: number;
  endMs: number;
  isIndirectSent: boolean;
  expectedNacks: number;
  nacks: number;
}

interface Relay {
  originSeq: number;
  requesterAddress: string;
  deadlineMs: number;
  wantsNack: boolean;
}

/** Counters of the probe mechanism. */
export interface ProberStats {
  probes: number;
  probeFailures: number;
  indirectProbes: number;
  acksReceived: number;
  nacksReceived: number;
  relaysStarted: number;
  relaysDropped: number;
}

/**
 * SWIM's failure detector with Lifeguard (memberlist probe/probeNode): each period, ping the next member of a shuffled
 * round robin (with a suspect message attached if it is suspect: the buddy system, so it can refute at once); after
 * probeTimeoutMs without an ack ask `indirectChecks` alive members to ping it (ping-req) and nack if they cannot; if
 * no ack by the end of the (awareness-scaled) probe interval, suspect it. A clean direct ack lowers the health score;
 * a failure raises it by the nacks missing (or by 1 when no helper could nack), so a slow node blames itself first.
 */
export class Prober {
  private readonly order = new ProbeOrder();
  private isOrderStarted = false;
  private probe: ProbeInFlight | undefined;
  private nextProbeAtMs: number;
  private readonly relays = new Map<number, Relay>();
  readonly stats: ProberStats = { probes: 0, probeFailures: 0, indirectProbes: 0, acksReceived: 0, nacksReceived: 0, relaysStarted: 0, relaysDropped: 0 };

  constructor(private readonly host: ProberHost, firstProbeAtMs: number) {
    this.nextProbeAtMs = firstProbeAtMs;
  }

  /** Performs whatever is due at `nowMs`. */
  tick(nowMs: number): void {
    this.expireRelays(nowMs);
    const p = this.probe;
    if (p !== undefined) {
      if (!p.isIndirectSent && nowMs >= p.directDeadlineMs) this.sendIndirect(p);
      if (nowMs >= p.endMs) this.fail(p, nowMs);
    }
    if (this.probe === undefined && nowMs >= this.nextProbeAtMs && !this.host.isProbingStopped()) {
      // Keep the ticker's phase; a probe that ran over (awareness-scaled) is followed at once by the next one, as with
      // memberlist's buffered ticker, and missed ticks are skipped.
      this.nextProbeAtMs += this.host.config.probeIntervalMs;
      if (this.nextProbeAtMs <= nowMs) this.nextProbeAtMs = nowMs + this.host.config.probeIntervalMs;
      this.start(nowMs);
    }
  }

  /** The next monotonic time something is due. */
  nextDeadlineMs(): number {
    let next = Infinity;
    const p = this.probe;
    if (p !== undefined) next = p.isIndirectSent ? p.endMs : p.directDeadlineMs;
    else if (!this.host.isProbingStopped()) next = this.nextProbeAtMs;
    for (const r of this.relays.values()) if (r.deadlineMs < next) next = r.deadlineMs;
    return next;
  }

  /** The member being probed, if any (for the explain view). */
  currentTarget(): string | undefined {
    return this.probe?.target.id;
  }

  /** An ack: ends our probe, or is relayed to whoever asked us to ping. */
  handleAck(seq: number): void {
    const p = this.probe;
    if (p !== undefined && p.seq === seq) {
      this.stats.acksReceived++;
      // Only an ack within the probe timeout says we are healthy; a late or relayed one is neutral.
      if (!p.isIndirectSent) this.host.awareness.applyDelta(-1);
      this.probe = undefined;
      return;
    }
    const relay = this.relays.get(seq);
    if (relay !== undefined) {
      this.relays.delete(seq);
      this.host.send(relay.requesterAddress, [{ type: 'ack', seq: relay.originSeq }]);
    }
  }

  handleNack(seq: number): void {
    const p = this.probe;
    if (p !== undefined && p.seq === seq) {
      p.nacks++;
      this.stats.nacksReceived++;
    }
  }

  /** Someone asks us to ping `target` for them. */
  handlePingReq(fromAddress: string, msg: PingReqMessage, nowMs: number): void {
    if (this.relays.size >= this.host.config.maxPendingRelays) {
      const oldest = this.relays.keys().next().value as number;
      this.relays.delete(oldest);
      this.stats.relaysDropped++;
    }
    const seq = this.host.nextSeq();
    const deadlineMs = nowMs + NACK_AFTER_PROBE_TIMEOUT_FRACTION * this.host.config.probeTimeoutMs;
    this.relays.set(seq, { originSeq: msg.seq, requesterAddress: fromAddress, deadlineMs, wantsNack: msg.wantsNack });
    this.stats.relaysStarted++;
    this.host.send(msg.targetAddress, [{ type: 'ping', seq, target: msg.target }]);
  }

  private start(nowMs: number): void {
    const target = this.nextTarget(nowMs);
    if (target === undefined) return;
    const { config, awareness } = this.host;
    const seq = this.host.nextSeq();
    const probe: ProbeInFlight = {
      seq,
      target,
      startedAtMs: nowMs,
      directDeadlineMs: nowMs + config.probeTimeoutMs,
      endMs: nowMs + awareness.scaleTimeout(config.probeIntervalMs),
      isIndirectSent: false,
      expectedNacks: 0,
      nacks: 0,
    };
    this.probe = probe;
    this.stats.probes++;
    const msgs: SwimMessage[] = [{ type: 'ping', seq, target: target.id }];
    if (target.state !== 'alive') msgs.push({ type: 'suspect', member: target.id, incarnation: target.incarnation, from: this.host.selfId });
    this.host.send(target.address, msgs);
  }

  private nextTarget(nowMs: number): MemberView | undefined {
    const { table, selfId } = this.host;
    let checked = 0;
    // Each slot is looked at once at most, plus one wrap.
    const bound = table.slotCount() + 1;
    while (checked <= bound) {
      if (!this.isOrderStarted) {
        this.order.reset(table.slotCount(), this.host.random);
        this.isOrderStarted = true;
      }
      const slot = this.order.next();
      if (slot === undefined) {
        this.host.onRoundEnd(nowMs);
        this.order.reset(table.slotCount(), this.host.random);
        checked++;
        continue;
      }
      checked++;
      const m = table.recordAtSlot(slot);
      if (m === undefined || m.id === selfId || m.state === 'dead' || m.state === 'left') continue;
      return m;
    }
    return undefined;
  }

  private sendIndirect(p: ProbeInFlight): void {
    p.isIndirectSent = true;
    const { table, selfId, config, random } = this.host;
    const helpers = table.randomMembers(config.indirectChecks, random, (m) => m.id !== selfId && m.id !== p.target.id && m.state === 'alive');
    const msg: PingReqMessage = { type: 'ping-req', seq: p.seq, target: p.target.id, targetAddress: p.target.address, wantsNack: true };
    for (const h of helpers) {
      this.host.send(h.address, [msg]);
      p.expectedNacks++;
      this.stats.indirectProbes++;
    }
  }

  private fail(p: ProbeInFlight, nowMs: number): void {
    this.probe = undefined;
    this.stats.probeFailures++;
    // Lifeguard: with helpers, each nack missing says our own network may be the problem; without, blame ourselves once.
    const delta = p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1;
    this.host.awareness.applyDelta(delta);
    this.host.onProbeFailed(p.target, nowMs);
  }

  private expireRelays(nowMs: number): void {
    if (this.relays.size === 0) return;
    for (const [seq, r] of this.relays) {
      if (r.deadlineMs > nowMs) continue;
      this.relays.delete(seq);
      if (r.wantsNack) this.host.send(r.requesterAddress, [{ type: 'nack', seq: r.originSeq }]);
    }
  }
}
