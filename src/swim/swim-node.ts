import { CcmError } from '../errors/ccm-error.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import {
  judgeAlive,
  judgeDead,
  judgeSuspect,
  MembershipTable,
  refutationIncarnation,
  type MemberMeta,
  type MemberState,
  type MemberView,
  type Roster,
} from './membership-table.js';
import {
  envelopeBytes,
  jsonEquals,
  messageBytes,
  metaProblem,
  parseSwimPacket,
  SWIM_PROTOCOL_VERSION,
  type AliveMessage,
  type BroadcastMessage,
  type DeadMessage,
  type SuspectMessage,
  type SwimMessage,
  type SwimPacket,
  type WireLimits,
} from './messages.js';
import { Prober, type ProberStats } from './prober.js';
import { buildPushPullState, parsePushPullState, pushPullScale, reconnectProbability, remoteStateToMessages, type PushPullState } from './push-pull.js';
import { confirmationsWanted, Suspicion, SuspicionTimers, suspicionTimeoutMs } from './suspicion.js';
import { validateSwimConfig, type SwimConfig } from './swim-config.js';

/** Bound on accusers remembered by answerAccuser; the memory is cleared when full. */
const ANSWERED_ACCUSERS_MAX = 1024;

/** How a piece of news reached us. */
export type EventSource = 'probe' | 'gossip' | 'push-pull' | 'local';

interface EventBase {
  /** The member the event is about. */
  memberId: string;
  /** The member's incarnation after the event. */
  incarnation: number;
  /** Local monotonic time. */
  atMs: number;
  via: EventSource;
}

/** A membership change seen by this node, with enough of the why to explain it ("why is n3 suspect?"). */
export type MemberEvent =
  | (EventBase & { type: 'joined'; address: string; meta: MemberMeta })
  | (EventBase & { type: 'alive'; previousState: MemberState })
  | (EventBase & {
      type: 'suspect';
      accuser: string;
      confirmationsWanted: number;
      timeoutMinMs: number;
      timeoutMaxMs: number;
      deadlineMs: number;
    })
  | (EventBase & { type: 'suspect-confirmed'; confirmer: string; confirmations: number; confirmationsWanted: number; deadlineMs: number })
  | (EventBase & {
      type: 'dead';
      /** Who declared it: us when our suspicion timer ran out, else the sender of the dead message. */
      declaredBy: string;
      cause: 'suspicion-timeout' | 'gossip';
      /** The first accuser then each confirmer of our suspicion, if we had one. */
      accusers: string[];
      confirmations: number;
      suspectedForMs: number | undefined;
    })
  | (EventBase & { type: 'left' })
  | (EventBase & { type: 'updated-meta'; meta: MemberMeta; previousMeta: MemberMeta })
  | (EventBase & {
      type: 'refuted';
      accusation: 'suspect' | 'dead' | 'alive';
      accusedIncarnation: number;
      accuser: string | undefined;
    });

/** A running suspicion, for the explain view. */
export interface SuspicionView {
  memberId: string;
  incarnation: number;
  accusers: string[];
  confirmations: number;
  confirmationsWanted: number;
  timeoutMinMs: number;
  timeoutMaxMs: number;
  startedAtMs: number;
  deadlineMs: number;
}

/** Counters since start. */
export interface SwimStats extends ProberStats {
  /** Suspicions this node raised from its own failed probes. */
  suspicionsRaised: number;
  /** Members this node declared dead when its suspicion timer ran out. */
  deathsDeclared: number;
  refutations: number;
  /** Our alive re-gossiped because someone accused an incarnation we had already refuted. */
  reassertions: number;
  /** Our alive sent straight to an accuser (once per accuser and incarnation). */
  directRefutations: number;
  packetsSent: number;
  packetsReceived: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  /** Only counted when the driver passes the datagram size to receivePacket. */
  bytesReceived: number;
  malformedPackets: number;
  misdirectedPings: number;
  addressConflicts: number;
  /** New members ignored because the table was at maxMembers. */
  membersRefused: number;
  pushPullsSent: number;
  pushPullsReceived: number;
  broadcastsDropped: number;
  outboxDrops: number;
  healthScore: number;
}

/** A datagram to send. `bytes` is the exact UTF-8 length of JSON.stringify(packet). */
export interface OutgoingPacket {
  to: string;
  packet: SwimPacket;
  bytes: number;
}

/** Everything the node produced since the last drain: the driver sends, then logs/applies events. */
export interface SwimReady {
  packets: OutgoingPacket[];
  pushPulls: { to: string; state: PushPullState }[];
  events: MemberEvent[];
}

export interface SwimNodeOptions {
  id: string;
  /** Opaque to the core: the driver maps it to host:port; the simulator uses the id. */
  address: string;
  meta: MemberMeta;
  config: SwimConfig;
  clock: Clock;
  random: Random;
  /** Members known at start, shared read-only (the simulator's converged start). Production uses join(). */
  roster?: Roster;
}

/**
 * SWIM + Lifeguard as a pure state machine (memberlist's state.go): no I/O, no timers, time from the injected Clock
 * (monotonicMs for every timeout), randomness from the injected Random.
 *
 * The driver's contract (the node runtime and the simulator both follow it):
 *  1. Construct with the node's id, its advertised address, meta (joinedAtMs = wall time at start), a config and the
 *     clock/random; call join(seeds) (seeds may be empty for the first node).
 *  2. Loop: sleep until nextDeadlineMs() (monotonic) or until input arrives, whichever is first; then
 *     - for each datagram: JSON.parse it (drop what does not parse) and call receivePacket(fromAddress, value, bytes);
 *       feed the per-peer phi detector with value.from when receivePacket returns true;
 *     - for each inbound TCP push-pull: reply with receivePushPull(fromAddress, value), JSON, on the same connection;
 *     - call tick();
 *     - drain(): send every packet (UDP, JSON) to its `to` address; for every push-pull open a TCP connection to `to`,
 *       send the state, and hand the reply to receivePushPullReply (on error or timeout, nothing: it is retried by the
 *       periodic push-pull); log/apply events. Drain after every call that can produce output (receive*, tick, join,
 *       leave, setMeta) and before sleeping, at least every maxOutboxLength outputs.
 *  3. To leave: leave(), keep the loop running until hasPendingLeave() is false (or a deadline such as
 *     3 × gossipIntervalMs · retransmit limit), then stop.
 * Nothing here throws on network input; setMeta/setTags/join throw CcmError on bad arguments.
 */
export class SwimNode {
  readonly id: string;
  readonly address: string;
  private readonly config: SwimConfig;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly table: MembershipTable;
  private readonly queue: BroadcastQueue;
  private readonly awareness: Awareness;
  private readonly prober: Prober;
  private readonly suspicionTimers = new SuspicionTimers();
  private readonly envelope: number;
  private readonly limits: WireLimits & { maxMembers: number };
  private ownIncarnation = 0;
  private ownMeta: MemberMeta;
  private hasLeftFlag = false;
  /** Accuser → our incarnation we last sent it directly (answerAccuser). */
  private readonly answeredAccusers = new Map<string, number>();
  private seq = 0;
  private readonly gossipPhaseMs: number;
  private nextGossipAtMs: number;
  private nextPushPullAtMs: number;
  private nextReconnectAtMs: number;
  private outPackets: OutgoingPacket[] = [];
  private outPushPulls: { to: string; state: PushPullState }[] = [];
  private outEvents: MemberEvent[] = [];
  private eventsDropped = 0;
  private lastMalformed: string | undefined;
  private readonly counters = {
    suspicionsRaised: 0,
    deathsDeclared: 0,
    refutations: 0,
    reassertions: 0,
    directRefutations: 0,
    packetsSent: 0,
    packetsReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    malformedPackets: 0,
    misdirectedPings: 0,
    addressConflicts: 0,
    membersRefused: 0,
    pushPullsSent: 0,
    pushPullsReceived: 0,
    outboxDrops: 0,
  };

  constructor(opts: SwimNodeOptions) {
    this.config = validateSwimConfig({ ...opts.config });
    const problem = metaProblem(opts.meta, this.config.maxMetaBytes);
    if (problem !== undefined) throw new CcmError('invalid_argument', problem);
    if (opts.id.length === 0 || opts.id.length > 256) throw new CcmError('invalid_argument', 'member id must be 1..256 characters');
    if (opts.address.length === 0 || opts.address.length > 256) throw new CcmError('invalid_argument', 'member address must be 1..256 characters');
    this.id = opts.id;
    this.address = opts.address;
    this.clock = opts.clock;
    this.random = opts.random;
    this.ownMeta = opts.meta;
    this.limits = { maxMetaBytes: this.config.maxMetaBytes, maxMessagesPerPacket: 256, maxIdLength: 256, maxMembers: this.config.maxMembers };
    this.envelope = envelopeBytes(this.id);
    this.table = new MembershipTable(opts.roster);
    this.queue = new BroadcastQueue(this.config.maxBroadcastQueueLength);
    this.awareness = new Awareness(this.config.awarenessMaxMultiplier);
    const now = this.clock.monotonicMs();
    const inRoster = this.table.get(this.id);
    if (
      inRoster === undefined ||
      inRoster.address !== this.address ||
      inRoster.meta !== this.ownMeta ||
      inRoster.incarnation !== 0 ||
      inRoster.state !== 'alive'
    ) {
      this.table.set({ id: this.id, address: this.address, state: 'alive', incarnation: 0, meta: this.ownMeta, stateChangedAtMs: now });
    }
    // Random stagger so that nodes started together do not tick in lockstep (memberlist triggerFunc).
    const c = this.config;
    this.gossipPhaseMs = now + this.random.next() * c.gossipIntervalMs;
    this.nextGossipAtMs = this.gossipPhaseMs;
    this.nextPushPullAtMs = c.pushPullIntervalMs > 0 ? now + this.random.next() * pushPullScale(c.pushPullIntervalMs, this.table.active) : Infinity;
    this.nextReconnectAtMs = c.reconnectIntervalMs > 0 ? now + c.reconnectIntervalMs * (1 + this.random.next()) : Infinity;
    this.prober = new Prober(
      {
        selfId: this.id,
        table: this.table,
        config: this.config,
        random: this.random,
        awareness: this.awareness,
        nextSeq: () => ++this.seq,
        send: (address, msgs) => this.send(address, msgs),
        onProbeFailed: (target, nowMs) => {
          this.counters.suspicionsRaised++;
          const accusation: SuspectMessage = { type: 'suspect', member: target.id, incarnation: target.incarnation, from: this.id };
          this.applySuspect(accusation, 'probe', nowMs);
          // The buddy system, eagerly: the suspect hears it from us now rather than from gossip or our next probe
          // (its refutation races the suspicion timer; in the simulator a stalled node sometimes lost that race).
          this.send(target.address, [accusation]);
        },
        onRoundEnd: (nowMs) => this.reap(nowMs),
        isProbingStopped: () => this.hasLeftFlag,
      },
      now + this.random.next() * c.probeIntervalMs,
    );
  }

  // ---- driver API ----------------------------------------------------------------------------------------------

  /** Pushes and pulls full state with each seed (over TCP) to learn the cluster, and announces ourselves. */
  join(seeds: readonly { id: string; address: string }[]): void {
    if (this.hasLeftFlag) throw new CcmError('failed_precondition', 'this node has left; start a new one to rejoin');
    for (const seed of seeds) {
      if (seed.id === this.id || seed.address === this.address) continue;
      this.queuePushPull(seed.address, true);
    }
    this.enqueueBroadcast(this.id, this.ownAliveMessage());
  }

  /** Graceful leave: broadcast a dead message from ourselves (others record `left`), stop probing. */
  leave(): void {
    if (this.hasLeftFlag) return;
    this.hasLeftFlag = true;
    const now = this.clock.monotonicMs();
    const msg: DeadMessage = { type: 'dead', member: this.id, incarnation: this.ownIncarnation, from: this.id };
    this.table.set({ ...this.self(), state: 'left', stateChangedAtMs: now });
    this.enqueueBroadcast(this.id, msg);
    this.emit({ type: 'left', memberId: this.id, incarnation: this.ownIncarnation, atMs: now, via: 'local' });
  }

  /** Whether our leave message is still being gossiped (the driver keeps ticking until false, or a deadline). */
  hasPendingLeave(): boolean {
    return this.hasLeftFlag && this.queue.has(this.id);
  }

  hasLeft(): boolean {
    return this.hasLeftFlag;
  }

  /** Merges user key/values into our meta, bumps our incarnation and gossips it. */
  setMeta(patch: Partial<MemberMeta>): void {
    if (this.hasLeftFlag) throw new CcmError('failed_precondition', 'this node has left');
    const meta = { ...this.ownMeta, ...patch } as MemberMeta;
    const problem = metaProblem(meta, this.config.maxMetaBytes);
    if (problem !== undefined) throw new CcmError('invalid_argument', problem);
    const now = this.clock.monotonicMs();
    const previousMeta = this.ownMeta;
    this.ownMeta = meta;
    this.ownIncarnation++;
    this.table.set({ ...this.self(), incarnation: this.ownIncarnation, meta, state: 'alive', stateChangedAtMs: this.self().stateChangedAtMs });
    this.enqueueBroadcast(this.id, this.ownAliveMessage());
    this.emit({ type: 'updated-meta', memberId: this.id, incarnation: this.ownIncarnation, atMs: now, via: 'local', meta, previousMeta });
  }

  /** Replaces our tags (see setMeta). */
  setTags(tags: Record<string, string>): void {
    this.setMeta({ tags: { ...tags } });
  }

  /** Performs whatever is due: suspicion timeouts, probes, ping-req relays, gossip, push-pull, reconnect. */
  tick(): void {
    const now = this.clock.monotonicMs();
    this.expireSuspicions(now);
    this.prober.tick(now);
    if (now >= this.nextGossipAtMs) {
      if (this.queue.length > 0) this.gossip(now);
      this.nextGossipAtMs = this.gossipTickAfter(now);
    }
    if (now >= this.nextPushPullAtMs) {
      this.nextPushPullAtMs = now + pushPullScale(this.config.pushPullIntervalMs, this.table.active);
      if (!this.hasLeftFlag) this.pushPullRandom();
    }
    if (now >= this.nextReconnectAtMs) {
      this.nextReconnectAtMs = now + this.config.reconnectIntervalMs;
      if (!this.hasLeftFlag) this.reconnect();
    }
  }

  /** Monotonic time of the next thing due; the driver sleeps until then (or until a packet arrives). */
  nextDeadlineMs(): number {
    let next = this.prober.nextDeadlineMs();
    if (this.queue.length > 0 && this.nextGossipAtMs < next) next = this.nextGossipAtMs;
    const s = this.suspicionTimers.nextDeadlineMs();
    if (s < next) next = s;
    if (!this.hasLeftFlag) {
      if (this.nextPushPullAtMs < next) next = this.nextPushPullAtMs;
      if (this.nextReconnectAtMs < next) next = this.nextReconnectAtMs;
    }
    return next;
  }

  /**
   * A datagram's decoded JSON. Anything malformed is dropped and counted, never thrown. `bytes` (optional) is the
   * datagram size, for the received-bytes counter. Returns whether the packet was well formed (then `packet.from`
   * is a sign of life from that member, for its phi detector).
   */
  receivePacket(fromAddress: string, packet: unknown, bytes?: number): boolean {
    const parsed = parseSwimPacket(packet, this.limits);
    if (typeof parsed === 'string' || typeof fromAddress !== 'string' || fromAddress.length === 0) {
      this.counters.malformedPackets++;
      this.lastMalformed = typeof parsed === 'string' ? parsed : 'empty sender address';
      return false;
    }
    this.counters.packetsReceived++;
    this.counters.messagesReceived += parsed.msgs.length;
    if (typeof bytes === 'number' && Number.isFinite(bytes)) this.counters.bytesReceived += bytes;
    const now = this.clock.monotonicMs();
    for (const msg of parsed.msgs) this.handleMessage(fromAddress, msg, now);
    return true;
  }

  /** A push-pull request over TCP: returns our state (as it was before merging theirs), then merges theirs. */
  receivePushPull(fromAddress: string, state: unknown): PushPullState {
    const reply = buildPushPullState(this.id, this.table, false);
    const parsed = parsePushPullState(state, this.limits);
    if (typeof parsed === 'string') {
      this.counters.malformedPackets++;
      this.lastMalformed = parsed;
      return reply;
    }
    this.counters.pushPullsReceived++;
    this.mergeRemoteState(parsed, this.clock.monotonicMs());
    return reply;
  }

  /** The reply to a push-pull we started. */
  receivePushPullReply(fromAddress: string, state: unknown): void {
    const parsed = parsePushPullState(state, this.limits);
    if (typeof parsed === 'string') {
      this.counters.malformedPackets++;
      this.lastMalformed = parsed;
      return;
    }
    this.mergeRemoteState(parsed, this.clock.monotonicMs());
  }

  /** Takes everything produced since the last drain. */
  drain(): SwimReady {
    const ready = { packets: this.outPackets, pushPulls: this.outPushPulls, events: this.outEvents };
    this.outPackets = [];
    this.outPushPulls = [];
    this.outEvents = [];
    return ready;
  }

  // ---- views ---------------------------------------------------------------------------------------------------

  /** Every member we hold, ourselves included. */
  members(): MemberView[] {
    return this.table.all();
  }

  member(id: string): MemberView | undefined {
    return this.table.get(id);
  }

  /** Members alive or suspect (n in the formulas), ourselves included. */
  activeMemberCount(): number {
    return this.table.active;
  }

  incarnation(): number {
    return this.ownIncarnation;
  }

  meta(): MemberMeta {
    return this.ownMeta;
  }

  /** Lifeguard's local health score: 0 is healthy, up to awarenessMaxMultiplier − 1. */
  localHealthScore(): number {
    return this.awareness.healthScore();
  }

  /** Running suspicion timers: who accused, who confirmed, when each fires. */
  suspicions(): SuspicionView[] {
    return [...this.suspicionTimers.values()].map((s) => ({
      memberId: s.memberId,
      incarnation: s.incarnation,
      accusers: s.accusers(),
      confirmations: s.confirmationCount(),
      confirmationsWanted: s.confirmationsWanted,
      timeoutMinMs: s.minMs,
      timeoutMaxMs: s.maxMs,
      startedAtMs: s.startedAtMs,
      deadlineMs: s.deadlineMs(),
    }));
  }

  /** Broadcasts waiting to be gossiped. */
  pendingBroadcasts(): number {
    return this.queue.length;
  }

  /** Why the last malformed input was dropped. */
  lastMalformedReason(): string | undefined {
    return this.lastMalformed;
  }

  stats(): SwimStats {
    return {
      ...this.prober.stats,
      ...this.counters,
      broadcastsDropped: this.queue.droppedCount,
      outboxDrops: this.counters.outboxDrops + this.eventsDropped,
      healthScore: this.awareness.healthScore(),
    };
  }

  // ---- messages ------------------------------------------------------------------------------------------------

  private handleMessage(fromAddress: string, msg: SwimMessage, now: number): void {
    switch (msg.type) {
      case 'ping':
        if (msg.target !== this.id) {
          // A ping for someone else: a stale address (a restarted process elsewhere); don't ack for them.
          this.counters.misdirectedPings++;
          return;
        }
        this.send(fromAddress, [{ type: 'ack', seq: msg.seq }]);
        return;
      case 'ack':
        this.prober.handleAck(msg.seq);
        return;
      case 'nack':
        this.prober.handleNack(msg.seq);
        return;
      case 'ping-req':
        this.prober.handlePingReq(fromAddress, msg, now);
        return;
      case 'alive':
        this.applyAlive(msg, 'gossip', now);
        return;
      case 'suspect':
        this.applySuspect(msg, 'gossip', now);
        return;
      case 'dead':
        this.applyDead(msg, 'gossip', now, undefined);
        return;
    }
  }

  private mergeRemoteState(state: PushPullState, now: number): void {
    for (const msg of remoteStateToMessages(state)) {
      if (msg.type === 'alive') this.applyAlive(msg, 'push-pull', now);
      else if (msg.type === 'suspect') this.applySuspect(msg, 'push-pull', now);
      else this.applyDead(msg, 'push-pull', now, undefined);
    }
  }

  private applyAlive(msg: AliveMessage, via: EventSource, now: number): void {
    const isSelf = msg.member === this.id;
    const current = this.table.get(msg.member);
    const verdict = judgeAlive(current, msg, isSelf, this.hasLeftFlag, jsonEquals);
    switch (verdict.action) {
      case 'ignore':
        if (verdict.why === 'address-conflict') this.counters.addressConflicts++;
        return;
      case 'refute':
        this.refute(msg.incarnation, 'alive', undefined, via, now);
        return;
      case 'add':
        if (this.table.size >= this.config.maxMembers) {
          this.counters.membersRefused++;
          return;
        }
        this.table.set({ id: msg.member, address: msg.address, state: 'alive', incarnation: msg.incarnation, meta: msg.meta, stateChangedAtMs: now });
        this.enqueueBroadcast(msg.member, msg);
        this.emit({ type: 'joined', memberId: msg.member, incarnation: msg.incarnation, atMs: now, via, address: msg.address, meta: msg.meta });
        return;
      case 'apply': {
        const previous = current!;
        this.dropSuspicion(msg.member);
        this.enqueueBroadcast(msg.member, msg);
        const isStateChange = previous.state !== 'alive';
        this.table.set({
          id: msg.member,
          address: msg.address,
          state: 'alive',
          incarnation: msg.incarnation,
          meta: msg.meta,
          stateChangedAtMs: isStateChange ? now : previous.stateChangedAtMs,
        });
        const base = { memberId: msg.member, incarnation: msg.incarnation, atMs: now, via };
        if (previous.state === 'dead' || previous.state === 'left') {
          this.emit({ ...base, type: 'joined', address: msg.address, meta: msg.meta });
          return;
        }
        if (previous.state === 'suspect') this.emit({ ...base, type: 'alive', previousState: previous.state });
        if (previous.meta !== msg.meta && !jsonEquals(previous.meta, msg.meta)) {
          this.emit({ ...base, type: 'updated-meta', meta: msg.meta, previousMeta: previous.meta });
        }
        return;
      }
    }
  }

  private applySuspect(msg: SuspectMessage, via: EventSource, now: number): void {
    const isSelf = msg.member === this.id;
    const current = this.table.get(msg.member);
    const timer = this.suspicionTimers.get(msg.member);
    const verdict = judgeSuspect(current, msg.incarnation, isSelf, timer !== undefined);
    switch (verdict.action) {
      case 'ignore':
        if (isSelf && verdict.why === 'stale-incarnation') this.reassert(msg.from);
        return;
      case 'confirm':
        if (timer!.confirm(msg.from, now)) {
          this.suspicionTimers.track(timer!);
          this.enqueueBroadcast(msg.member, msg);
          this.emit({
            type: 'suspect-confirmed',
            memberId: msg.member,
            incarnation: current!.incarnation,
            atMs: now,
            via,
            confirmer: msg.from,
            confirmations: timer!.confirmationCount(),
            confirmationsWanted: timer!.confirmationsWanted,
            deadlineMs: timer!.deadlineMs(),
          });
        }
        return;
      case 'refute':
        this.refute(msg.incarnation, 'suspect', msg.from, via, now);
        return;
      case 'resuspect':
      case 'suspect': {
        this.dropSuspicion(msg.member);
        this.enqueueBroadcast(msg.member, msg);
        this.table.set({ ...current!, incarnation: msg.incarnation, state: 'suspect', stateChangedAtMs: now });
        const n = this.table.active;
        const k = confirmationsWanted(this.config.suspicionMult, n);
        const min = suspicionTimeoutMs(this.config.suspicionMult, n, this.config.probeIntervalMs);
        const max = Math.floor(this.config.suspicionMaxTimeoutMult * min);
        const suspicion = new Suspicion(msg.member, msg.incarnation, msg.from, k, min, max, now);
        this.suspicionTimers.start(suspicion);
        this.emit({
          type: 'suspect',
          memberId: msg.member,
          incarnation: msg.incarnation,
          atMs: now,
          via,
          accuser: msg.from,
          confirmationsWanted: k,
          timeoutMinMs: min,
          timeoutMaxMs: max,
          deadlineMs: suspicion.deadlineMs(),
        });
        return;
      }
    }
  }

  private applyDead(msg: DeadMessage, via: EventSource, now: number, expired: Suspicion | undefined): void {
    const isSelf = msg.member === this.id;
    const current = this.table.get(msg.member);
    const verdict = judgeDead(current, msg, isSelf, this.hasLeftFlag);
    switch (verdict.action) {
      case 'ignore':
        if (isSelf && verdict.why === 'stale-incarnation') this.reassert(msg.from);
        return;
      case 'refute':
        this.refute(msg.incarnation, 'dead', msg.from, via, now);
        return;
      case 'declare': {
        const timer = expired ?? this.suspicionTimers.get(msg.member);
        this.dropSuspicion(msg.member);
        this.enqueueBroadcast(msg.member, msg);
        this.table.set({ ...current!, incarnation: msg.incarnation, state: verdict.state, stateChangedAtMs: now });
        const base = { memberId: msg.member, incarnation: msg.incarnation, atMs: now, via };
        if (verdict.state === 'left') {
          this.emit({ ...base, type: 'left' });
          return;
        }
        this.emit({
          ...base,
          type: 'dead',
          declaredBy: msg.from,
          cause: expired !== undefined ? 'suspicion-timeout' : 'gossip',
          accusers: timer?.accusers() ?? [msg.from],
          confirmations: timer?.confirmationCount() ?? 0,
          suspectedForMs: timer !== undefined ? now - timer.startedAtMs : undefined,
        });
        return;
      }
    }
  }

  /** We are accused (or an old/different self is being gossiped): take an incarnation above it and say we are alive. */
  private refute(accusedIncarnation: number, accusation: 'suspect' | 'dead' | 'alive', accuser: string | undefined, via: EventSource, now: number): void {
    this.ownIncarnation = refutationIncarnation(this.ownIncarnation, accusedIncarnation);
    // Lifeguard: having to refute is a sign we may be the slow one.
    this.awareness.applyDelta(1);
    this.table.set({ ...this.self(), incarnation: this.ownIncarnation, state: 'alive' });
    this.enqueueBroadcast(this.id, this.ownAliveMessage());
    this.counters.refutations++;
    this.emit({ type: 'refuted', memberId: this.id, incarnation: this.ownIncarnation, atMs: now, via, accusation, accusedIncarnation, accuser });
    this.answerAccuser(accuser);
  }

  /**
   * Sends our alive straight to whoever accused us, once per accuser and incarnation. Gossip spreads a refutation to
   * random members a few times (4 at n < 10), so an accuser can miss it and let its timer run out; in the simulator that
   * was the last source of false positives with a stalled node. Bounded: one datagram per accuser per incarnation.
   */
  private answerAccuser(accuser: string | undefined): void {
    if (accuser === undefined || accuser === this.id || this.hasLeftFlag) return;
    if (this.answeredAccusers.get(accuser) === this.ownIncarnation) return;
    const m = this.table.get(accuser);
    if (m === undefined || m.state === 'left') return;
    if (this.answeredAccusers.size >= ANSWERED_ACCUSERS_MAX) this.answeredAccusers.clear();
    this.answeredAccusers.set(accuser, this.ownIncarnation);
    this.counters.directRefutations++;
    this.send(m.address, [this.ownAliveMessage()]);
  }

  /**
   * Someone still accuses an incarnation we already refuted: our refutation did not reach them (its retransmits ran
   * out). Gossip our current alive again, so the stale suspicion ends before its timer does. With the buddy system the
   * accuser pings us with the accusation, so our ack carries the answer straight back. memberlist ignores such stale
   * accusations; in the simulator that let a refuted suspicion run out at a node the refutation missed.
   */
  private reassert(accuser: string): void {
    if (this.hasLeftFlag) return;
    this.answerAccuser(accuser);
    if (this.queue.has(this.id)) return;
    this.counters.reassertions++;
    this.enqueueBroadcast(this.id, this.ownAliveMessage());
  }

  // ---- timers --------------------------------------------------------------------------------------------------

  private expireSuspicions(now: number): void {
    for (const s of this.suspicionTimers.takeDue(now)) {
      const current = this.table.get(s.memberId);
      if (current === undefined || current.state !== 'suspect' || current.incarnation !== s.incarnation) continue;
      this.counters.deathsDeclared++;
      this.applyDead({ type: 'dead', member: s.memberId, incarnation: current.incarnation, from: this.id }, 'probe', now, s);
    }
  }

  private dropSuspicion(memberId: string): void {
    this.suspicionTimers.delete(memberId);
  }

  /** Forgets members dead or left for longer than the retention (at each wrap of the probe round). */
  private reap(now: number): void {
    const expired: string[] = [];
    for (const id of this.table.inactive()) {
      if (id === this.id) continue;
      const m = this.table.get(id);
      if (m !== undefined && now - m.stateChangedAtMs > this.config.deadMemberRetentionMs) expired.push(id);
    }
    for (const id of expired) this.table.remove(id);
  }

  // ---- gossip and anti-entropy ---------------------------------------------------------------------------------

  /** First gossip tick strictly after t, keeping this node's phase. */
  private gossipTickAfter(t: number): number {
    const interval = this.config.gossipIntervalMs;
    const k = Math.floor((t - this.gossipPhaseMs) / interval) + 1;
    return this.gossipPhaseMs + Math.max(0, k) * interval;
  }

  private gossip(now: number): void {
    const toTheDeadMs = this.config.gossipToTheDeadMs;
    const targets = this.table.randomMembers(
      this.config.gossipNodes,
      this.random,
      (m) => m.id !== this.id && (m.state === 'alive' || m.state === 'suspect' || (m.state === 'dead' && now - m.stateChangedAtMs <= toTheDeadMs)),
    );
    const limit = retransmitLimit(this.config.retransmitMult, this.table.active);
    for (const t of targets) {
      const { messages, bytes } = this.queue.getBroadcasts(1, this.config.maxPacketBytes - this.envelope, limit);
      if (messages.length === 0) return;
      this.pushPacket(t.address, messages, this.envelope + bytes + messages.length - 1);
    }
  }

  private pushPullRandom(): void {
    const [target] = this.table.randomMembers(1, this.random, (m) => m.id !== this.id && m.state === 'alive');
    if (target !== undefined) this.queuePushPull(target.address, false);
  }

  /** Serf's reconnect: try a dead (not left) member now and then, so a healed partition merges back. */
  private reconnect(): void {
    const dead: MemberView[] = [];
    for (const id of this.table.inactive()) {
      const m = this.table.get(id);
      if (m !== undefined && m.state === 'dead') dead.push(m);
    }
    if (dead.length === 0) return;
    if (this.random.next() >= reconnectProbability(dead.length, this.table.active)) return;
    const target = dead[this.random.int(0, dead.length - 1)];
    this.queuePushPull(target.address, false);
  }

  private queuePushPull(address: string, join: boolean): void {
    this.counters.pushPullsSent++;
    this.outPushPulls.push({ to: address, state: buildPushPullState(this.id, this.table, join) });
  }

  // ---- output --------------------------------------------------------------------------------------------------

  /** Sends messages to an address, piggybacking queued broadcasts up to maxPacketBytes. */
  private send(address: string, msgs: SwimMessage[]): void {
    let primaryBytes = 0;
    for (const m of msgs) primaryBytes += messageBytes(m);
    const used = this.envelope + primaryBytes + msgs.length - 1;
    const limit = retransmitLimit(this.config.retransmitMult, this.table.active);
    const extra = this.queue.getBroadcasts(1, this.config.maxPacketBytes - used, limit);
    const all = extra.messages.length > 0 ? [...msgs, ...extra.messages] : msgs;
    this.pushPacket(address, all, used + extra.bytes + extra.messages.length);
  }

  private pushPacket(to: string, msgs: SwimMessage[], bytes: number): void {
    if (this.outPackets.length >= this.config.maxOutboxLength) {
      this.counters.outboxDrops++;
      return;
    }
    this.outPackets.push({ to, packet: { v: SWIM_PROTOCOL_VERSION, from: this.id, msgs }, bytes });
    this.counters.packetsSent++;
    this.counters.messagesSent += msgs.length;
    this.counters.bytesSent += bytes;
  }

  private enqueueBroadcast(key: string, msg: BroadcastMessage): void {
    this.queue.enqueue(key, msg, messageBytes(msg));
    // A fresh broadcast goes out at this node's next gossip tick (the ticker kept its phase while idle).
    const now = this.clock.monotonicMs();
    if (this.nextGossipAtMs < now) this.nextGossipAtMs = this.gossipTickAfter(now);
  }

  private emit(event: MemberEvent): void {
    if (this.outEvents.length >= this.config.maxOutboxLength) {
      this.eventsDropped++;
      return;
    }
    this.outEvents.push(event);
  }

  private self(): MemberView {
    return this.table.get(this.id)!;
  }

  private ownAliveMessage(): AliveMessage {
    return { type: 'alive', member: this.id, address: this.address, incarnation: this.ownIncarnation, meta: this.ownMeta };
  }
}
