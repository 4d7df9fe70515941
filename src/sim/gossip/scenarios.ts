import type { LinkRule } from '../../net/link-filter.js';
import { SeededRandom, shuffle } from '../../random/random.js';
import { suspicionTimeoutMs } from '../../swim/suspicion.js';
import { SWIM_PRESETS, validateSwimConfig, type SwimConfig, type SwimPresetName } from '../../swim/swim-config.js';
import { faultsOnEveryLink } from '../kernel/link-faults.js';
import type { Latency } from '../kernel/sim-network.js';
import { GossipSimulation } from './gossip-simulation.js';
import { isConverged, NoLiveMemberDeclaredDead, type FalsePositive } from './swim-invariants.js';
import { serfInfected, serfRoundsTo } from './serf-model.js';

/** What every scenario takes. */
export interface ScenarioOptions {
  nodes: number;
  /**
   * The rule every link carries, in the link filter's words (what `ccm chaos loss|delay|duplicate '*' '*'` sets):
   * { loss: 0.05 } loses 5 % of messages, datagrams and push-pull legs alike. Default: none.
   */
  link?: LinkRule;
  seed?: number;
  /** Base config (default: 'lan' for dissemination, 'local' for the others). */
  preset?: SwimPresetName;
  /** Field overrides on top of the preset. */
  config?: Partial<SwimConfig>;
  /** The links' own latency before any rule (default DEFAULT_LATENCY, uniform 1-5 ms). */
  latency?: Latency;
  /** 'converged' starts from a shared roster (fast, any size); 'join' starts each node joining through n1. */
  start?: 'converged' | 'join';
  wire?: 'object' | 'json';
}

interface Built {
  sim: GossipSimulation;
  ids: string[];
  config: SwimConfig;
  random: SeededRandom;
  checker: NoLiveMemberDeclaredDead;
  wallStart: number;
}

/** Node ids n1…nN. */
export function nodeIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

/** The longest a suspicion can last at this size (Lifeguard's max timeout). */
export function maxSuspicionMs(config: SwimConfig, n: number): number {
  return Math.floor(config.suspicionMaxTimeoutMult * suspicionTimeoutMs(config.suspicionMult, n, config.probeIntervalMs));
}

function build(opts: ScenarioOptions, defaultPreset: SwimPresetName): Built {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 2) throw new RangeError(`nodes must be an integer >= 2 (got ${opts.nodes})`);
  const config = validateSwimConfig({ ...SWIM_PRESETS[opts.preset ?? defaultPreset](), ...opts.config });
  const seed = opts.seed ?? 1;
  const sim = new GossipSimulation({
    seed,
    config,
    latency: opts.latency,
    faults: faultsOnEveryLink(opts.link ?? {}),
    wire: opts.wire,
  });
  const ids = nodeIds(opts.nodes);
  const start = opts.start ?? (opts.nodes <= 50 ? 'join' : 'converged');
  const wallStart = performance.now();
  const checker = new NoLiveMemberDeclaredDead(sim, maxSuspicionMs(config, opts.nodes) + 20 * config.probeIntervalMs + config.reconnectIntervalMs);
  if (start === 'converged') {
    sim.startConverged(ids);
  } else {
    sim.startByJoining(ids);
    if (!sim.runUntilTrue(() => isConverged(sim), 60_000, 50)) throw new Error(`seed ${seed}: ${opts.nodes} nodes did not converge after joining`);
  }
  return { sim, ids, config, random: new SeededRandom(seed ^ 0x5eed), checker, wallStart };
}

/** The loss on every link, for the reports and Serf's model. */
function lossOf(opts: ScenarioOptions): number {
  return opts.link?.loss ?? 0;
}

function perNodePerSec(bytes: number, nodes: number, ms: number): number {
  return ms > 0 ? bytes / nodes / (ms / 1000) : 0;
}

// ---- dissemination -----------------------------------------------------------------------------------------------

export interface DisseminationOptions extends ScenarioOptions {
  /** Gossip period (default 200 ms, memberlist LAN). */
  gossipIntervalMs?: number;
  /** Fanout (default 3). */
  gossipNodes?: number;
  /** Give up after this much virtual time (default 30 s). */
  maxMs?: number;
}

export interface DisseminationRound {
  round: number;
  timeMs: number;
  /** Fraction of live nodes that know the fact. */
  fraction: number;
  /** Serf's logistic model at this round. */
  model: number;
}

export interface DisseminationResult {
  scenario: 'dissemination';
  nodes: number;
  loss: number;
  seed: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  origin: string;
  rounds: DisseminationRound[];
  timeTo9999Ms: number | null;
  timeToAllMs: number | null;
  roundsTo9999: number | null;
  roundsToAll: number | null;
  model: { roundsTo9999: number; timeTo9999Ms: number };
  /** UDP bytes sent per node per second from the new fact until every node knew it (probes included). */
  bytesPerNodePerSec: number;
  /** The same before the fact: probes and acks alone. */
  backgroundBytesPerNodePerSec: number;
  /** Serf's estimate of the worst case: full 1400-byte packets, fanout × rounds per second, ×2 for probes. */
  serfEstimateBytesPerNodePerSec: number;
  simulatedMs: number;
  wallMs: number;
}

/**
 * Injects one new fact (a tag change at one node, which bumps its incarnation) into a converged cluster and records,
 * per gossip round, the fraction of nodes that know it; compares with Serf's model.
 */
export function runDissemination(opts: DisseminationOptions): DisseminationResult {
  const gossipIntervalMs = opts.gossipIntervalMs ?? 200;
  const gossipNodes = opts.gossipNodes ?? 3;
  const { sim, ids, config, random, wallStart } = build(
    { ...opts, start: opts.start ?? 'converged', config: { ...opts.config, gossipIntervalMs, gossipNodes } },
    'lan',
  );
  const n = ids.length;
  const loss = lossOf(opts);
  const injectAtMs = sim.now() + Math.max(1000, 2 * config.probeIntervalMs);
  const backgroundFromMs = sim.now();
  const backgroundFromBytes = sim.totals.bytesSent;
  const origin = ids[random.int(0, n - 1)];
  const known = new Set<string>();
  let factIncarnation = Infinity;
  let timeTo9999Ms: number | null = null;
  let timeToAllMs: number | null = null;
  const need9999 = Math.ceil(0.9999 * n);
  sim.onEvent((observer, ev) => {
    if (ev.memberId !== origin || ev.incarnation < factIncarnation || known.has(observer)) return;
    if (ev.type !== 'updated-meta' && ev.type !== 'joined') return;
    known.add(observer);
    const t = sim.now() - injectAtMs;
    if (timeTo9999Ms === null && known.size >= need9999) timeTo9999Ms = t;
    if (timeToAllMs === null && known.size >= n) timeToAllMs = t;
  });
  sim.runUntil(injectAtMs);
  const backgroundBytesPerNodePerSec = perNodePerSec(sim.totals.bytesSent - backgroundFromBytes, n, sim.now() - backgroundFromMs);
  const bytesAtInject = sim.totals.bytesSent;
  factIncarnation = sim.process(origin).swim.incarnation() + 1;
  sim.act(origin, (swim) => swim.setTags({ ...swim.meta().tags, fact: `seed-${opts.seed ?? 1}` }));
  const rounds: DisseminationRound[] = [];
  const maxMs = opts.maxMs ?? 30_000;
  for (let r = 0; ; r++) {
    const t = injectAtMs + r * gossipIntervalMs;
    sim.runUntil(t);
    rounds.push({ round: r, timeMs: r * gossipIntervalMs, fraction: known.size / n, model: serfInfected(n, gossipNodes, loss, r) / n });
    if (known.size >= n || r * gossipIntervalMs >= maxMs) break;
  }
  const endMs = timeToAllMs ?? sim.now() - injectAtMs;
  const modelRounds = Math.ceil(serfRoundsTo(n, gossipNodes, loss));
  return {
    scenario: 'dissemination',
    nodes: n,
    loss,
    seed: opts.seed ?? 1,
    gossipIntervalMs,
    gossipNodes,
    origin,
    rounds,
    timeTo9999Ms,
    timeToAllMs,
    roundsTo9999: timeTo9999Ms === null ? null : Math.ceil(timeTo9999Ms / gossipIntervalMs),
    roundsToAll: timeToAllMs === null ? null : Math.ceil(timeToAllMs / gossipIntervalMs),
    model: { roundsTo9999: modelRounds, timeTo9999Ms: modelRounds * gossipIntervalMs },
    bytesPerNodePerSec: perNodePerSec(sim.totals.bytesSent - bytesAtInject, n, Math.max(endMs, gossipIntervalMs)),
    backgroundBytesPerNodePerSec,
    serfEstimateBytesPerNodePerSec: 1400 * gossipNodes * (1000 / gossipIntervalMs) * 2,
    simulatedMs: sim.now(),
    wallMs: performance.now() - wallStart,
  };
}

// ---- failure detection -------------------------------------------------------------------------------------------

export interface FailureDetectionOptions extends ScenarioOptions {
  /** Keep running this long after every live node declared the victim dead, to catch false positives (default 20 s). */
  settleMs?: number;
  /** Give up waiting for detection after this long (default 300 s). */
  maxDetectMs?: number;
}

export interface FailureDetectionResult {
  scenario: 'failure';
  nodes: number;
  loss: number;
  seed: number;
  probeIntervalMs: number;
  victim: string;
  /** First live node to declare the victim dead, ms after the kill. */
  firstDetectionMs: number | null;
  /** Last live node to declare it dead (every live node has), ms after the kill; null if some never did. */
  allDetectedMs: number | null;
  detectedBy: number;
  observers: number;
  /** Live members declared dead anywhere during the whole run (must be 0). */
  falsePositives: FalsePositive[];
  /** Suspicions of live members raised anywhere (they are refuted; Lifeguard keeps them rare). */
  falseSuspicions: number;
  refutations: number;
  bytesPerNodePerSec: number;
  simulatedMs: number;
  wallMs: number;
}

/** Kills one node of a converged cluster and measures when each other node declares it dead. */
export function runFailureDetection(opts: FailureDetectionOptions): FailureDetectionResult {
  const { sim, ids, config, random, checker, wallStart } = build(opts, 'local');
  const victim = ids[random.int(1, ids.length - 1)];
  let falseSuspicions = 0;
  let refutations = 0;
  const detectedAt = new Map<string, number>();
  sim.onEvent((observer, ev) => {
    if (ev.type === 'suspect' && sim.isUp(ev.memberId)) falseSuspicions++;
    if (ev.type === 'refuted') refutations++;
    if (ev.type === 'dead' && ev.memberId === victim && !detectedAt.has(observer)) detectedAt.set(observer, sim.now());
  });
  sim.runUntil(sim.now() + Math.max(2000, 5 * config.probeIntervalMs));
  const killedAt = sim.now();
  const bytesAtKill = sim.totals.bytesSent;
  sim.kill(victim);
  const observers = ids.filter((id) => id !== victim);
  const isAllDetected = (): boolean => observers.every((o) => detectedAt.has(o));
  sim.runUntilTrue(isAllDetected, opts.maxDetectMs ?? 300_000, config.probeIntervalMs / 2);
  const detectEnd = sim.now();
  sim.runUntil(sim.now() + (opts.settleMs ?? 20_000));
  const times = observers.filter((o) => detectedAt.has(o)).map((o) => detectedAt.get(o)! - killedAt);
  return {
    scenario: 'failure',
    nodes: ids.length,
    loss: lossOf(opts),
    seed: opts.seed ?? 1,
    probeIntervalMs: config.probeIntervalMs,
    victim,
    firstDetectionMs: times.length > 0 ? Math.min(...times) : null,
    allDetectedMs: isAllDetected() ? Math.max(...times) : null,
    detectedBy: times.length,
    observers: observers.length,
    falsePositives: checker.violations,
    falseSuspicions,
    refutations,
    bytesPerNodePerSec: perNodePerSec(sim.totals.bytesSent - bytesAtKill, ids.length - 1, detectEnd - killedAt),
    simulatedMs: sim.now(),
    wallMs: performance.now() - wallStart,
  };
}

// ---- partition and heal ------------------------------------------------------------------------------------------

export interface PartitionHealOptions extends ScenarioOptions {
  /** How long the partition lasts (default: until each side holds the other dead, plus 1 s). */
  partitionForMs?: number;
  /** Give up waiting for reconvergence after this long (default 300 s). */
  maxHealMs?: number;
}

export interface PartitionHealResult {
  scenario: 'partition';
  nodes: number;
  loss: number;
  seed: number;
  sides: [string[], string[]];
  /** ms after the split until every node held the whole other side dead; null if that never happened. */
  sidesDeclaredDeadMs: number | null;
  partitionedForMs: number;
  /** ms after the heal until every live node held every live node alive again. */
  reconvergedAfterMs: number | null;
  /**
   * Live members declared dead somewhere after the heal (partition-era suspicions running out, and the suspicions
   * that the healing push-pull merges raise); they refute and come back. Distinct members, and dead events in all.
   */
  membersDeclaredDeadAfterHeal: number;
  deadEventsAfterHeal: number;
  /** Live members declared dead with no partition to excuse it (must be 0). */
  falsePositives: FalsePositive[];
  simulatedMs: number;
  wallMs: number;
}

/** Splits the cluster in two, waits for each side to declare the other dead, heals, and times the reconvergence. */
export function runPartitionHeal(opts: PartitionHealOptions): PartitionHealResult {
  const { sim, ids, config, random, checker, wallStart } = build(opts, 'local');
  sim.runUntil(sim.now() + Math.max(1000, 5 * config.probeIntervalMs));
  const shuffled = shuffle([...ids], random);
  const half = Math.floor(ids.length / 2);
  const sides: [string[], string[]] = [shuffled.slice(0, half).sort(byNodeNumber), shuffled.slice(half).sort(byNodeNumber)];
  const splitAt = sim.now();
  sim.partition(sides);
  const isSplit = (): boolean => {
    for (const a of sides[0]) for (const b of sides[1]) {
      if (sim.view(a, b)?.state !== 'dead' || sim.view(b, a)?.state !== 'dead') return false;
    }
    return true;
  };
  let sidesDeclaredDeadMs: number | null = null;
  if (opts.partitionForMs !== undefined) {
    sim.runUntil(splitAt + opts.partitionForMs);
    if (isSplit()) sidesDeclaredDeadMs = sim.now() - splitAt;
  } else {
    if (sim.runUntilTrue(isSplit, 10 * maxSuspicionMs(config, ids.length) + 60_000, config.probeIntervalMs)) sidesDeclaredDeadMs = sim.now() - splitAt;
    sim.runUntil(sim.now() + 1000);
  }
  const healedAt = sim.now();
  sim.heal();
  const deadAfterHeal = new Set<string>();
  let deadEventsAfterHeal = 0;
  sim.onEvent((_observer, ev) => {
    if (ev.type !== 'dead' || !sim.isUp(ev.memberId)) return;
    deadAfterHeal.add(ev.memberId);
    deadEventsAfterHeal++;
  });
  const isBack = sim.runUntilTrue(() => isConverged(sim), opts.maxHealMs ?? 300_000, config.probeIntervalMs);
  const reconvergedAfterMs = isBack ? sim.now() - healedAt : null;
  return {
    scenario: 'partition',
    nodes: ids.length,
    loss: lossOf(opts),
    seed: opts.seed ?? 1,
    sides,
    sidesDeclaredDeadMs,
    partitionedForMs: healedAt - splitAt,
    reconvergedAfterMs,
    membersDeclaredDeadAfterHeal: deadAfterHeal.size,
    deadEventsAfterHeal,
    falsePositives: checker.violations,
    simulatedMs: sim.now(),
    wallMs: performance.now() - wallStart,
  };
}

function byNodeNumber(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1)) || a.localeCompare(b);
}

// ---- restart -----------------------------------------------------------------------------------------------------

export interface RestartResult {
  victim: string;
  incarnationAtDeath: number;
  /** The restarted node's incarnation once every live node held it alive again. */
  incarnationAfter: number | null;
  /** ms after the restart until every live node held it alive with an incarnation above the one it died with. */
  backAliveAfterMs: number | null;
  falsePositives: FalsePositive[];
}

/** Kills a node, waits until it is dead everywhere, restarts it (incarnation 0 again) and times its return. */
export function runRestart(opts: ScenarioOptions & { maxMs?: number }): RestartResult {
  const { sim, ids, config, random, checker } = build(opts, 'local');
  sim.runUntil(sim.now() + 2000);
  const victim = ids[random.int(1, ids.length - 1)];
  sim.kill(victim);
  const others = ids.filter((id) => id !== victim);
  const maxMs = opts.maxMs ?? 120_000;
  sim.runUntilTrue(() => others.every((o) => sim.view(o, victim)?.state === 'dead'), maxMs, config.probeIntervalMs);
  const incarnationAtDeath = Math.max(...others.map((o) => sim.view(o, victim)?.incarnation ?? 0));
  const seedNode = others[random.int(0, others.length - 1)];
  const restartedAt = sim.now();
  sim.restart(victim, [seedNode]);
  const isBack = (): boolean =>
    others.every((o) => {
      const v = sim.view(o, victim);
      return v !== undefined && v.state === 'alive' && v.incarnation > incarnationAtDeath;
    });
  const ok = sim.runUntilTrue(isBack, maxMs, config.probeIntervalMs / 2);
  return {
    victim,
    incarnationAtDeath,
    incarnationAfter: ok ? sim.process(victim).swim.incarnation() : null,
    backAliveAfterMs: ok ? sim.now() - restartedAt : null,
    falsePositives: checker.violations,
  };
}

// ---- stability under loss and slowness ---------------------------------------------------------------------------

export interface StabilityOptions extends ScenarioOptions {
  durationMs: number;
  /** How many nodes are slow (n2, n3, …). */
  slowNodes?: number;
  /** Slow as a constant lag before each inbound message is handled (FIFO), ms. */
  lagMs?: number;
  /** Slow as random stalls (timers and input wait; see GossipSimulation.setStalls). */
  stalls?: { meanGapMs: number; minMs: number; maxMs: number };
}

export interface StabilityResult {
  falsePositives: FalsePositive[];
  falseSuspicions: number;
  refutations: number;
  slow: string[];
  maxHealthScore: number;
  /** Whether every node still holds every node alive at the end. */
  isConvergedAtEnd: boolean;
}

/** Runs a cluster where nobody crashes (but links lose datagrams and some nodes are slow); nobody may be declared dead. */
export function runStability(opts: StabilityOptions): StabilityResult {
  const { sim, ids, config, checker } = build(opts, 'local');
  const slow = ids.slice(1, 1 + (opts.slowNodes ?? 0));
  for (const id of slow) {
    if (opts.lagMs !== undefined) sim.setSlow(id, opts.lagMs);
    if (opts.stalls !== undefined) sim.setStalls(id, opts.stalls);
  }
  let falseSuspicions = 0;
  let refutations = 0;
  sim.onEvent((_observer, ev) => {
    if (ev.type === 'suspect') falseSuspicions++;
    if (ev.type === 'refuted') refutations++;
  });
  let maxHealthScore = 0;
  const end = sim.now() + opts.durationMs;
  while (sim.now() < end) {
    sim.runUntil(Math.min(end, sim.now() + config.probeIntervalMs));
    for (const id of ids) maxHealthScore = Math.max(maxHealthScore, sim.process(id).swim.localHealthScore());
  }
  // Let in-flight suspicions resolve before judging the final view.
  const converged = sim.runUntilTrue(() => isConverged(sim), maxSuspicionMs(config, ids.length) + 10 * config.probeIntervalMs, config.probeIntervalMs);
  return { falsePositives: checker.violations, falseSuspicions, refutations, slow, maxHealthScore, isConvergedAtEnd: converged };
}
