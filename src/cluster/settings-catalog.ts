/**
 * The protocol settings a user can see and change (`ccm up --raft-election-timeout 300ms …`, `ccm settings`), each with
 * the formula it drives, memberlist's way (swim-config.ts, raft-config.ts hold the full story). Times are durations on
 * the command line; cluster.json keeps Raft's in ticks, as the core counts them.
 */
import { CcmError } from '../errors/ccm-error.js';
import { parseDurationArg } from '../faults/fault-args.js';
import { formatDuration } from '../time/duration.js';
import { DEFAULT_SETTINGS, RAFT_LOG_STORES, type ClusterSettings } from './cluster-file.js';

export interface SettingSpec {
  /** The `ccm up` flag. */
  flag: string;
  /** What cluster.json stores (for `--setting key=value`). */
  key: keyof ClusterSettings;
  kind: 'duration' | 'count';
  summary: string;
  /** The formula it drives, for `ccm settings` and the README. */
  drives: string;
  /** The value as a user writes it (ms for a duration) from the stored settings. */
  read(s: ClusterSettings): number;
  /** Stores a user's value (ms for a duration) into the settings. */
  write(s: ClusterSettings, value: number): void;
  minValue: number;
  maxValue: number;
}

const ticks = (what: string, ms: number, tickMs: number): number => {
  const n = ms / tickMs;
  if (!Number.isInteger(n)) throw new CcmError('invalid_argument', `--${what} ${formatDuration(ms)} is not a whole number of Raft ticks (the tick is ${formatDuration(tickMs)})`);
  return n;
};

export const SETTINGS: readonly SettingSpec[] = [
  {
    flag: 'raft-tick',
    key: 'raftTickMs',
    kind: 'duration',
    summary: "Raft's clock: every voter ticks its core this often.",
    drives: 'The unit of the two Raft timeouts below, which are whole ticks of it.',
    read: (s) => s.raftTickMs,
    write: (s, v) => (s.raftTickMs = v),
    minValue: 1,
    maxValue: 1000,
  },
  {
    flag: 'raft-election-timeout',
    key: 'raftElectionTicks',
    kind: 'duration',
    summary: 'Raft election timeout T (a whole number of ticks, more than the heartbeat).',
    drives:
      'A follower that hears no leader for a random time in [T, 2T) starts a pre-vote (Raft §5.2); a leader that hears from no quorum within T steps down (check-quorum). A dead leader is replaced in about T to 2T plus one round trip.',
    read: (s) => s.raftElectionTicks * s.raftTickMs,
    write: (s, v) => (s.raftElectionTicks = ticks('raft-election-timeout', v, s.raftTickMs)),
    minValue: 2,
    maxValue: 60_000,
  },
  {
    flag: 'raft-heartbeat-interval',
    key: 'raftHeartbeatTicks',
    kind: 'duration',
    summary: 'How often the Raft leader sends heartbeats (a whole number of ticks, less than the election timeout).',
    drives: 'Followers reset their election timer on each; keep it at most T/3 so a lost heartbeat or two does not start an election.',
    read: (s) => s.raftHeartbeatTicks * s.raftTickMs,
    write: (s, v) => (s.raftHeartbeatTicks = ticks('raft-heartbeat-interval', v, s.raftTickMs)),
    minValue: 1,
    maxValue: 30_000,
  },
  {
    flag: 'gossip-interval',
    key: 'gossipProbeIntervalMs',
    kind: 'duration',
    summary: 'The SWIM protocol period P: each node probes one member per period.',
    drives:
      'Probe timeout and piggyback gossip every P/2; a member is suspected after a failed probe and declared dead after its suspicion timeout, 3·max(1, log10 n)·P shrinking from 6× that as others confirm (Lifeguard); news reaches all n nodes in about log(n) gossip rounds.',
    read: (s) => s.gossipProbeIntervalMs,
    write: (s, v) => (s.gossipProbeIntervalMs = v),
    minValue: 20,
    maxValue: 10_000,
  },
  {
    flag: 'core-replace-after',
    key: 'coreReplaceAfterMs',
    kind: 'duration',
    summary: 'Self-healing: how long a voter must be dead before it is replaced.',
    drives: 'A voter dead in gossip and silent to the Raft leader this long is replaced by the healthiest member (learner, catch-up, promote, remove), as Consul\'s autopilot does.',
    read: (s) => s.coreReplaceAfterMs,
    write: (s, v) => (s.coreReplaceAfterMs = v),
    minValue: 1000,
    maxValue: 86_400_000,
  },
  {
    flag: 'raft-compact-entries',
    key: 'raftLogCompactThreshold',
    kind: 'count',
    summary: 'Compact the Raft log once this many applied entries sit above the last snapshot.',
    drives: 'Bounds the log on disk; a follower further behind than the log reaches gets a snapshot instead of entries.',
    read: (s) => s.raftLogCompactThreshold,
    write: (s, v) => (s.raftLogCompactThreshold = v),
    minValue: 10,
    maxValue: 10_000_000,
  },
  {
    flag: 'raft-trailing-entries',
    key: 'raftLogTrailingEntries',
    kind: 'count',
    summary: 'Entries kept behind the applied index when the log is compacted.',
    drives: 'A follower that lags by fewer catches up from entries rather than a whole snapshot.',
    read: (s) => s.raftLogTrailingEntries,
    write: (s, v) => (s.raftLogTrailingEntries = v),
    minValue: 1,
    maxValue: 10_000_000,
  },
];

/** Checks a whole set of settings for the ranges and the relations between them. */
export function validateSettings(s: ClusterSettings): void {
  for (const spec of SETTINGS) {
    const v = spec.read(s);
    if (!Number.isFinite(v) || v < spec.minValue || v > spec.maxValue) {
      const show = (x: number): string => (spec.kind === 'duration' ? formatDuration(x) : String(x));
      throw new CcmError('invalid_argument', `--${spec.flag} ${show(v)} is out of range: ${show(spec.minValue)} to ${show(spec.maxValue)}`);
    }
  }
  if (s.raftElectionTicks <= s.raftHeartbeatTicks) {
    throw new CcmError(
      'invalid_argument',
      `the Raft election timeout (${formatDuration(s.raftElectionTicks * s.raftTickMs)}) must be longer than the heartbeat interval (${formatDuration(s.raftHeartbeatTicks * s.raftTickMs)})`,
    );
  }
  if (s.raftLogTrailingEntries >= s.raftLogCompactThreshold) {
    throw new CcmError('invalid_argument', `--raft-trailing-entries (${s.raftLogTrailingEntries}) must be below --raft-compact-entries (${s.raftLogCompactThreshold})`);
  }
  if (!(RAFT_LOG_STORES as readonly string[]).includes(s.raftLogStore)) {
    throw new CcmError('invalid_argument', `raftLogStore must be one of ${RAFT_LOG_STORES.join(', ')} (got ${JSON.stringify(s.raftLogStore)})`);
  }
}

/**
 * Applies `ccm up`'s setting flags (text as typed) over `base`: the tick first, since the Raft timeouts are counted in
 * it. Returns only what changed, after checking the whole result.
 */
export function applySettingFlags(base: ClusterSettings, given: Partial<Record<string, string | undefined>>): Partial<ClusterSettings> {
  const next: ClusterSettings = { ...base };
  const changed = new Set<keyof ClusterSettings>();
  for (const spec of SETTINGS) {
    const text = given[spec.flag];
    if (text === undefined) continue;
    let value: number;
    if (spec.kind === 'duration') value = parseDurationArg(text, `--${spec.flag}`, { minMs: 0 });
    else {
      value = Number(text);
      if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) throw new CcmError('invalid_argument', `--${spec.flag} must be a whole number (got "${text}")`);
    }
    // Raft timeouts given alongside a new tick keep their duration; without one, the timeouts keep theirs too.
    if (spec.key === 'raftTickMs') {
      const electionMs = next.raftElectionTicks * next.raftTickMs;
      const heartbeatMs = next.raftHeartbeatTicks * next.raftTickMs;
      next.raftTickMs = value;
      if (given['raft-election-timeout'] === undefined) next.raftElectionTicks = Math.max(1, Math.round(electionMs / value));
      if (given['raft-heartbeat-interval'] === undefined) next.raftHeartbeatTicks = Math.max(1, Math.round(heartbeatMs / value));
      changed.add('raftElectionTicks').add('raftHeartbeatTicks');
    } else spec.write(next, value);
    changed.add(spec.key);
  }
  validateSettings(next);
  return Object.fromEntries([...changed].map((k) => [k, next[k]])) as Partial<ClusterSettings>;
}

export interface SettingView {
  flag: string;
  key: keyof ClusterSettings;
  /** ms for a duration, else a count. */
  value: number;
  default: number;
  unit: 'ms' | 'count';
  summary: string;
  drives: string;
}

export function describeSettings(s: ClusterSettings): SettingView[] {
  return SETTINGS.map((spec) => ({
    flag: spec.flag,
    key: spec.key,
    value: spec.read(s),
    default: spec.read(DEFAULT_SETTINGS),
    unit: spec.kind === 'duration' ? 'ms' : 'count',
    summary: spec.summary,
    drives: spec.drives,
  }));
}
