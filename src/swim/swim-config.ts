import { CcmError } from '../errors/ccm-error.js';

/**
 * Every knob of the SWIM + Lifeguard core, memberlist's way: one documented config, each field's formula in its
 * comment, presets derived from one base. `n` below is the number of members this node holds alive or suspect
 * (itself included).
 */
export interface SwimConfig {
  /**
   * Time between two probes (memberlist ProbeInterval). Members are probed in a shuffled round robin, so a failed
   * member is probed by a given node within n·probeIntervalMs, and by someone in the cluster within ~probeIntervalMs.
   * A failing probe lasts awareness.scaleTimeout(probeIntervalMs) = (healthScore + 1)·probeIntervalMs.
   */
  probeIntervalMs: number;
  /** Wait for a direct ack before asking `indirectChecks` helpers (memberlist ProbeTimeout); ~ the 99th-percentile RTT. */
  probeTimeoutMs: number;
  /** Helpers asked to ping the target when the direct ping times out (memberlist IndirectChecks, k in the SWIM paper). */
  indirectChecks: number;
  /**
   * Suspicion minimum timeout = suspicionMult · max(1, log10(max(1, n))) · probeIntervalMs (memberlist suspicionTimeout).
   * Confirmations wanted to reach the minimum: k = suspicionMult − 2, and k = 0 when n − 2 < k (too few members to
   * confirm; the timer then starts at the minimum).
   */
  suspicionMult: number;
  /** Suspicion maximum timeout = suspicionMaxTimeoutMult · minimum; the timer starts here with no confirmation (Lifeguard). */
  suspicionMaxTimeoutMult: number;
  /** Each broadcast is piggybacked retransmitMult · ceil(log10(n + 1)) times before it is dropped (memberlist RetransmitMult). */
  retransmitMult: number;
  /** Time between gossip rounds (memberlist GossipInterval). Infection after r rounds ≈ n / (1 + (n+1)·e^(−gossipNodes·r)). */
  gossipIntervalMs: number;
  /** Members sent pending broadcasts each gossip round (memberlist GossipNodes, the fanout). */
  gossipNodes: number;
  /** Keep gossiping to a member this long after it was declared dead, so it can learn it and refute (GossipToTheDeadTime). */
  gossipToTheDeadMs: number;
  /**
   * Full-state exchange with one random alive member, every pushPullIntervalMs · (ceil(log2 n − log2 32) + 1) above 32
   * members (memberlist pushPullScale). 0 turns periodic anti-entropy off (join still pushes and pulls).
   */
  pushPullIntervalMs: number;
  /**
   * Serf's ReconnectInterval: every reconnectIntervalMs, with probability numDead / numAlive, push-pull with one random
   * dead (not left) member. This is what heals a partition once it is over. 0 turns it off.
   */
  reconnectIntervalMs: number;
  /** Local health score ranges over [0, awarenessMaxMultiplier − 1] (memberlist AwarenessMaxMultiplier; Lifeguard LHM). */
  awarenessMaxMultiplier: number;
  /** Largest datagram we build, piggybacked broadcasts included, measured as UTF-8 bytes of its JSON (memberlist UDPBufferSize). */
  maxPacketBytes: number;
  /** Largest member meta (tags and user key/values) as UTF-8 bytes of its JSON (memberlist MetaMaxSize). */
  maxMetaBytes: number;
  /** Dead and left members are forgotten after this long (Serf's ReconnectTimeout / TombstoneTimeout). */
  deadMemberRetentionMs: number;
  /** Bound on queued broadcasts; beyond it the most-transmitted are dropped first (memberlist Prune). */
  maxBroadcastQueueLength: number;
  /** Bound on members held; news of further members is ignored and counted (a flood of made-up ids cannot exhaust memory). */
  maxMembers: number;
  /** Bound on ping-reqs we relay for others at once; beyond it the oldest relay is forgotten. */
  maxPendingRelays: number;
  /** Bound on undrained events and packets; beyond it new ones are dropped and counted (drain at least this often). */
  maxOutboxLength: number;
}

/** The shared base: memberlist's DefaultLANConfig plus ccm's bounds. Every preset overrides a few fields of it. */
export function baseConfig(): SwimConfig {
  return {
    probeIntervalMs: 1000,
    probeTimeoutMs: 500,
    indirectChecks: 3,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    retransmitMult: 4,
    gossipIntervalMs: 200,
    gossipNodes: 3,
    gossipToTheDeadMs: 30_000,
    pushPullIntervalMs: 30_000,
    reconnectIntervalMs: 30_000,
    awarenessMaxMultiplier: 8,
    maxPacketBytes: 1400,
    maxMetaBytes: 512,
    deadMemberRetentionMs: 24 * 60 * 60 * 1000,
    maxBroadcastQueueLength: 4096,
    maxMembers: 100_000,
    maxPendingRelays: 256,
    maxOutboxLength: 10_000,
  };
}

/** memberlist DefaultLANConfig: probe every 1 s (timeout 500 ms), gossip every 200 ms to 3, suspicion mult 4, push-pull 30 s. */
export function lanConfig(): SwimConfig {
  return baseConfig();
}

/**
 * A loopback cluster of a few processes: probe every 200 ms (timeout 100 ms), gossip every 100 ms to 3, suspicion mult 3,
 * push-pull 15 s, reconnect 5 s. At n = 7: suspicion 600 ms … 3.6 s, k = 1, retransmit limit 4.
 * Unlike memberlist's DefaultLocalConfig we keep 3 indirect checks: at n = 3…7 they are free, and one dropped datagram
 * (chaos loss) is the main source of false suspicion on a laptop.
 */
export function localConfig(): SwimConfig {
  return {
    ...baseConfig(),
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    suspicionMult: 3,
    gossipIntervalMs: 100,
    gossipToTheDeadMs: 15_000,
    pushPullIntervalMs: 15_000,
    reconnectIntervalMs: 5_000,
  };
}

/** memberlist DefaultWANConfig, for completeness: probe 5 s / timeout 3 s, suspicion mult 6, push-pull 60 s, gossip 500 ms to 4. */
export function wanConfig(): SwimConfig {
  return {
    ...baseConfig(),
    probeIntervalMs: 5000,
    probeTimeoutMs: 3000,
    suspicionMult: 6,
    gossipIntervalMs: 500,
    gossipNodes: 4,
    gossipToTheDeadMs: 60_000,
    pushPullIntervalMs: 60_000,
  };
}

/** The presets by name, for command lines and config files. */
export const SWIM_PRESETS = { lan: lanConfig, local: localConfig, wan: wanConfig } as const;
export type SwimPresetName = keyof typeof SWIM_PRESETS;

interface FieldRule {
  min: number;
  max: number;
  isInteger: boolean;
}

const FIELD_RULES: Record<keyof SwimConfig, FieldRule> = {
  probeIntervalMs: { min: 1, max: 3_600_000, isInteger: false },
  probeTimeoutMs: { min: 1, max: 3_600_000, isInteger: false },
  indirectChecks: { min: 0, max: 32, isInteger: true },
  suspicionMult: { min: 0, max: 100, isInteger: false },
  suspicionMaxTimeoutMult: { min: 1, max: 100, isInteger: false },
  retransmitMult: { min: 1, max: 100, isInteger: true },
  gossipIntervalMs: { min: 1, max: 3_600_000, isInteger: false },
  gossipNodes: { min: 0, max: 64, isInteger: true },
  gossipToTheDeadMs: { min: 0, max: 86_400_000, isInteger: false },
  pushPullIntervalMs: { min: 0, max: 86_400_000, isInteger: false },
  reconnectIntervalMs: { min: 0, max: 86_400_000, isInteger: false },
  awarenessMaxMultiplier: { min: 1, max: 64, isInteger: true },
  maxPacketBytes: { min: 256, max: 65_507, isInteger: true },
  maxMetaBytes: { min: 32, max: 65_507, isInteger: true },
  deadMemberRetentionMs: { min: 0, max: 365 * 86_400_000, isInteger: false },
  maxBroadcastQueueLength: { min: 16, max: 1_000_000, isInteger: true },
  maxMembers: { min: 2, max: 1_000_000, isInteger: true },
  maxPendingRelays: { min: 1, max: 1_000_000, isInteger: true },
  maxOutboxLength: { min: 16, max: 10_000_000, isInteger: true },
};

/**
 * Rejects a config that cannot work, naming the field and its legal range (gossipsub's validate… style).
 * Throws CcmError('invalid_argument'); returns the config for chaining.
 */
export function validateSwimConfig(config: SwimConfig): SwimConfig {
  for (const field of Object.keys(FIELD_RULES) as (keyof SwimConfig)[]) {
    const rule = FIELD_RULES[field];
    const value = config[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > rule.max || (rule.isInteger && !Number.isInteger(value))) {
      const kind = rule.isInteger ? 'an integer' : 'a number';
      throw new CcmError('invalid_argument', `swim config: ${field} must be ${kind} in [${rule.min}, ${rule.max}] (got ${String(value)})`);
    }
  }
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    throw new CcmError(
      'invalid_argument',
      `swim config: probeTimeoutMs must be in [1, probeIntervalMs) = [1, ${config.probeIntervalMs}) so indirect probes get time (got ${config.probeTimeoutMs})`,
    );
  }
  if (config.maxMetaBytes > config.maxPacketBytes - 200) {
    throw new CcmError(
      'invalid_argument',
      `swim config: maxMetaBytes must be in [32, maxPacketBytes − 200] = [32, ${config.maxPacketBytes - 200}] so an alive message fits a packet (got ${config.maxMetaBytes})`,
    );
  }
  return config;
}
