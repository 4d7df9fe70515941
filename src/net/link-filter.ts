import type { Random } from '../random/random.js';

/**
 * The link filter: every peer message, inbound and outbound, passes it. Chaos sets rules per peer and
 * direction; a partition is `drop` both ways, a one-way partition is `drop` in one direction only.
 */
export interface LinkRule {
  /** Drop every message. */
  drop?: boolean;
  /** Added one-way latency. */
  delayMs?: number;
  /** Uniform extra latency in [0, jitterMs]. */
  jitterMs?: number;
  /** Probability in [0, 1] that a message is lost. */
  loss?: number;
  /** Probability in [0, 1] that a message is delivered twice. */
  duplicate?: number;
}

export type Direction = 'in' | 'out';

/** Per-peer rules; the peer `*` applies to every peer (combined with a peer's own rule). */
export interface LinkFilterConfig {
  peers: Record<string, { in?: LinkRule; out?: LinkRule }>;
}

export interface LinkDecision {
  /** Deliver at all. */
  deliver: boolean;
  /** Delay before delivering (0: now). */
  delayMs: number;
  /** How many copies to deliver (1, or 2 when duplicated). */
  copies: number;
}

export interface LinkCounters {
  passed: number;
  dropped: number;
  delayed: number;
  duplicated: number;
}

const DELIVER_NOW: LinkDecision = Object.freeze({ deliver: true, delayMs: 0, copies: 1 });

export function emptyLinkFilterConfig(): LinkFilterConfig {
  return { peers: {} };
}

/** Two rules applied in series: drop if either drops, delays add, losses and duplications compound. */
export function combineRules(a: LinkRule | undefined, b: LinkRule | undefined): LinkRule | undefined {
  if (!a) return b;
  if (!b) return a;
  const rule: LinkRule = {};
  if (a.drop || b.drop) rule.drop = true;
  const delay = (a.delayMs ?? 0) + (b.delayMs ?? 0);
  if (delay > 0) rule.delayMs = delay;
  const jitter = (a.jitterMs ?? 0) + (b.jitterMs ?? 0);
  if (jitter > 0) rule.jitterMs = jitter;
  const loss = 1 - (1 - (a.loss ?? 0)) * (1 - (b.loss ?? 0));
  if (loss > 0) rule.loss = loss;
  const duplicate = 1 - (1 - (a.duplicate ?? 0)) * (1 - (b.duplicate ?? 0));
  if (duplicate > 0) rule.duplicate = duplicate;
  return rule;
}

/**
 * What one rule does to one message: drop it, delay it, send it twice. Pure but for the draws from `random`
 * (loss, then jitter, then duplication), so the node's filter and the simulated network decide alike.
 */
export function decideRule(rule: LinkRule | undefined, random: Random): LinkDecision {
  if (!rule) return DELIVER_NOW;
  if (rule.drop || (rule.loss !== undefined && random.next() < rule.loss)) return { deliver: false, delayMs: 0, copies: 0 };
  const delayMs = (rule.delayMs ?? 0) + (rule.jitterMs ? random.next() * rule.jitterMs : 0);
  const copies = rule.duplicate !== undefined && random.next() < rule.duplicate ? 2 : 1;
  return { deliver: true, delayMs, copies };
}

/** Checks a config received from outside; returns a message naming the first bad field, or null. */
export function validateLinkFilterConfig(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'link filter config must be an object';
  const peers = (value as { peers?: unknown }).peers;
  if (typeof peers !== 'object' || peers === null || Array.isArray(peers)) return 'link filter config needs a "peers" object';
  for (const [peer, dirs] of Object.entries(peers as Record<string, unknown>)) {
    if (typeof dirs !== 'object' || dirs === null) return `peers.${peer} must be an object`;
    for (const [dir, rule] of Object.entries(dirs as Record<string, unknown>)) {
      if (dir !== 'in' && dir !== 'out') return `peers.${peer}.${dir}: direction must be "in" or "out"`;
      if (typeof rule !== 'object' || rule === null) return `peers.${peer}.${dir} must be an object`;
      const r = rule as Record<string, unknown>;
      for (const [field, v] of Object.entries(r)) {
        const where = `peers.${peer}.${dir}.${field}`;
        if (field === 'drop') {
          if (typeof v !== 'boolean') return `${where} must be true or false`;
        } else if (field === 'delayMs' || field === 'jitterMs') {
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 60_000) return `${where} must be a number of ms in [0, 60000]`;
        } else if (field === 'loss' || field === 'duplicate') {
          if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return `${where} must be a probability in [0, 1]`;
        } else {
          return `${where}: unknown field`;
        }
      }
    }
  }
  return null;
}

export class LinkFilter {
  private config: LinkFilterConfig = emptyLinkFilterConfig();
  private readonly counters = new Map<string, LinkCounters>();

  constructor(private readonly random: Random) {}

  set(config: LinkFilterConfig): void {
    this.config = config;
  }

  get(): LinkFilterConfig {
    return this.config;
  }

  /** True when no rule is set (the common case: the filter costs one check). */
  isClear(): boolean {
    return Object.keys(this.config.peers).length === 0;
  }

  ruleFor(peer: string, direction: Direction): LinkRule | undefined {
    const peers = this.config.peers;
    return combineRules(peers['*']?.[direction], peers[peer]?.[direction]);
  }

  decide(peer: string, direction: Direction): LinkDecision {
    const counters = this.countersFor(peer, direction);
    if (this.isClear()) {
      counters.passed++;
      return DELIVER_NOW;
    }
    const decision = decideRule(this.ruleFor(peer, direction), this.random);
    if (!decision.deliver) {
      counters.dropped++;
      return decision;
    }
    if (decision.delayMs > 0) counters.delayed++;
    if (decision.copies > 1) counters.duplicated++;
    counters.passed++;
    return decision;
  }

  /** Counters keyed `peer/direction`, for metrics and status. */
  stats(): Record<string, LinkCounters> {
    return Object.fromEntries(this.counters);
  }

  totals(): LinkCounters {
    const total: LinkCounters = { passed: 0, dropped: 0, delayed: 0, duplicated: 0 };
    for (const c of this.counters.values()) {
      total.passed += c.passed;
      total.dropped += c.dropped;
      total.delayed += c.delayed;
      total.duplicated += c.duplicated;
    }
    return total;
  }

  private countersFor(peer: string, direction: Direction): LinkCounters {
    const key = `${peer}/${direction}`;
    let c = this.counters.get(key);
    if (!c) {
      c = { passed: 0, dropped: 0, delayed: 0, duplicated: 0 };
      this.counters.set(key, c);
    }
    return c;
  }
}
