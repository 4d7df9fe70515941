/**
 * The one simulated network, under every simulation. A message on the directed link from → to takes the link's
 * base latency plus whatever the faults in force put on that link, in the words of `ccm chaos` (link-faults.ts)
 * decided by the link filter's own rule logic (decideRule): cut links drop it, loss loses it, delay and jitter
 * hold it back, duplication delivers it twice. The cuts are checked again when it arrives (the receiver's inbound
 * filter: a partition that began meanwhile drops what was in flight). Every draw comes from the network's seeded
 * Random, and every delivery is an event on the kernel's agenda.
 *
 * A message goes on an ordered path (a TCP connection: it never overtakes one sent before it on the same link,
 * delayed ones included, as the TCP transport's filter keeps order) or unordered (a datagram, or a network whose
 * connections keep breaking: each message takes its own time, so jitter reorders).
 */
import { MAX_DELAY_MS } from '../../faults/faults.js';
import { combineRules, decideRule, type LinkRule } from '../../net/link-filter.js';
import type { Random } from '../../random/random.js';
import { isCut, linkRuleOf, type LinkFault, type LinkRuleOf } from './link-faults.js';
import type { SimKernel } from './sim-kernel.js';

/** The links' own one-way latency, before any fault: what the network is like on a good day. */
export type Latency =
  /** Uniform in [minMs, maxMs] (fractional ms): a LAN. */
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** minMs plus an exponential tail of mean meanMs, in whole ms: mostly quick, now and then slow. */
  | { kind: 'exponential'; minMs: number; meanMs: number };

/** A fault as it was in force: [startMs, endMs), endMs Infinity while it lasts. */
export interface FaultPeriod {
  readonly id: number;
  readonly fault: LinkFault;
  readonly startMs: number;
  endMs: number;
}

interface ActiveFault extends FaultPeriod {
  readonly ruleOf: LinkRuleOf;
}

const MAX_CACHED_RULES = 65_536;

export class SimNetwork {
  private readonly active = new Map<number, ActiveFault>();
  private readonly history: ActiveFault[] = [];
  private nextId = 1;
  /** The combined rule of each directed link used since the faults last changed (null: none). */
  private readonly rules = new Map<string, LinkRule | null>();
  /** When every fault in force is on every link (`*` to `*`): their rule, the same on each link. */
  private everyLinkRule: LinkRule | undefined;
  private cuts = 0;
  /** The latest delivery time scheduled on each ordered directed link. */
  private readonly lastDeliveryMs = new Map<string, number>();

  constructor(
    /** The kernel whose agenda carries the deliveries (and whose clock times the faults). */
    readonly kernel: SimKernel,
    private readonly random: Random,
    readonly latency: Latency,
  ) {
    const l = latency;
    if (!(l.minMs >= 0)) throw new RangeError(`latency minMs must be >= 0 (got ${l.minMs})`);
    if (l.kind === 'uniform' && !(l.maxMs >= l.minMs)) throw new RangeError(`need latency minMs <= maxMs (got ${l.minMs}, ${l.maxMs})`);
    if (l.kind === 'exponential' && !(l.meanMs >= 0)) throw new RangeError(`latency meanMs must be >= 0 (got ${l.meanMs})`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Faults

  /** Puts a fault in force from now on; returns its id, for remove(). */
  add(fault: LinkFault): number {
    checkFault(fault);
    const f: ActiveFault = { id: this.nextId++, fault, startMs: this.kernel.nowMs, endMs: Infinity, ruleOf: linkRuleOf(fault) };
    this.active.set(f.id, f);
    this.history.push(f);
    this.changed();
    return f.id;
  }

  /** Ends a fault (nothing if it already ended). */
  remove(id: number): void {
    const f = this.active.get(id);
    if (f === undefined) return;
    f.endMs = this.kernel.nowMs;
    this.active.delete(id);
    this.changed();
  }

  private changed(): void {
    this.rules.clear();
    const faults = [...this.active.values()].map((f) => f.fault);
    this.cuts = faults.filter(isCut).length;
    const onEveryLink = faults.every((f) => 'a' in f && f.a === '*' && f.b === '*');
    this.everyLinkRule = onEveryLink ? this.combined('*', '+') : undefined;
  }

  private combined(from: string, to: string): LinkRule | undefined {
    let rule: LinkRule | undefined;
    for (const f of this.active.values()) rule = combineRules(rule, f.ruleOf(from, to));
    return rule;
  }

  /** Ends every fault, or those `which` selects. */
  heal(which: (fault: LinkFault) => boolean = () => true): void {
    for (const f of [...this.active.values()]) if (which(f.fault)) this.remove(f.id);
  }

  /** The faults in force, oldest first. */
  faults(): LinkFault[] {
    return [...this.active.values()].map((f) => f.fault);
  }

  /** Every fault ever put in force, with when (for checkers that forgive what a fault explains). */
  periods(): readonly FaultPeriod[] {
    return this.history;
  }

  /** The rule on the directed link from → to: every fault's rule on it, in series (combineRules). */
  ruleOn(from: string, to: string): LinkRule | undefined {
    if (this.active.size === 0) return undefined;
    if (this.everyLinkRule !== undefined) return from === to ? undefined : this.everyLinkRule;
    const key = `${from}>${to}`;
    const cached = this.rules.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const rule = this.combined(from, to);
    if (this.rules.size >= MAX_CACHED_RULES) this.rules.clear(); // 20 000 gossip nodes use far more links than this
    this.rules.set(key, rule ?? null);
    return rule;
  }

  /** Whether a message from `from` can reach `to` now (no cut in force on that link). */
  canReach(from: string, to: string): boolean {
    return this.cuts === 0 || this.ruleOn(from, to)?.drop !== true;
  }

  /** Whether some link is cut now (a partition of any shape). */
  isPartitioned(): boolean {
    return this.cuts > 0;
  }

  /** Whether any cut was in force at some time in [fromMs, toMs]. */
  wasPartitioned(fromMs: number, toMs: number): boolean {
    return this.history.some((f) => isCut(f.fault) && overlaps(f, fromMs, toMs));
  }

  /** Whether a cut separated a and b (either way) at some time in [fromMs, toMs]. */
  wereSeparated(a: string, b: string, fromMs: number, toMs: number): boolean {
    return this.history.some((f) => isCut(f.fault) && overlaps(f, fromMs, toMs) && (f.ruleOf(a, b)?.drop === true || f.ruleOf(b, a)?.drop === true));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Messages

  /**
   * Sends one message from → to: schedules `onArrival` for each copy that survives the link's rule, with
   * `arrived` false if a cut stands between them when it arrives. Returns the copies sent (0: dropped now).
   */
  send(from: string, to: string, ordered: boolean, onArrival: (arrived: boolean) => void): number {
    const decision = decideRule(this.ruleOn(from, to), this.random);
    if (!decision.deliver) return 0;
    const now = this.kernel.nowMs;
    const path = `${from}>${to}`;
    for (let i = 0; i < decision.copies; i++) {
      let atMs = now + decision.delayMs + this.oneLatency();
      if (ordered) {
        // Head-of-line: not before the message sent ahead of this one on the same link.
        const last = this.lastDeliveryMs.get(path) ?? 0;
        if (atMs < last) atMs = last;
        this.lastDeliveryMs.set(path, atMs);
      }
      this.kernel.at(atMs, () => onArrival(this.canReach(from, to)));
    }
    return decision.copies;
  }

  private oneLatency(): number {
    const l = this.latency;
    if (l.kind === 'uniform') return l.minMs + this.random.next() * (l.maxMs - l.minMs);
    return l.minMs + Math.floor(-Math.log(1 - this.random.next()) * l.meanMs);
  }
}

function overlaps(p: FaultPeriod, fromMs: number, toMs: number): boolean {
  return p.startMs <= toMs && p.endMs >= fromMs;
}

/** The bounds the link filter puts on a rule (validateLinkFilterConfig), as RangeErrors: these come from code. */
function checkFault(f: LinkFault): void {
  if (f.kind === 'loss' || f.kind === 'duplicate') {
    if (!(f.rate >= 0 && f.rate <= 1)) throw new RangeError(`${f.kind} rate must be in [0, 1] (got ${f.rate})`);
  } else if (f.kind === 'delay') {
    for (const ms of [f.delayMs, f.jitterMs]) if (!(Number.isFinite(ms) && ms >= 0 && ms <= MAX_DELAY_MS)) throw new RangeError(`delay and jitter must be in [0, ${MAX_DELAY_MS}] ms (got ${ms})`);
  }
}
