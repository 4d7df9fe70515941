import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../src/cluster/cluster-file.js';
import { applySettingFlags, describeSettings } from '../../src/cluster/settings-catalog.js';
import { rejectsInvalid } from '../fixtures/invalid-argument.js';

describe('settings: ccm up --raft-election-timeout 300ms … (durations in, ticks stored)', () => {
  it('Raft timeouts become whole ticks of the tick; gossip and self-healing take durations; counts take numbers', () => {
    expect(applySettingFlags(DEFAULT_SETTINGS, { 'raft-election-timeout': '600ms', 'raft-heartbeat-interval': '100ms' })).to.deep.equal({ raftElectionTicks: 12, raftHeartbeatTicks: 2 });
    expect(applySettingFlags(DEFAULT_SETTINGS, { 'gossip-interval': '0.5s', 'core-replace-after': '1m' })).to.deep.equal({ gossipProbeIntervalMs: 500, coreReplaceAfterMs: 60_000 });
    expect(applySettingFlags(DEFAULT_SETTINGS, { 'raft-compact-entries': '5000', 'raft-trailing-entries': '100' })).to.deep.equal({ raftLogCompactThreshold: 5000, raftLogTrailingEntries: 100 });
  });

  it('a new tick keeps the timeouts\' durations unless they are given too', () => {
    expect(applySettingFlags(DEFAULT_SETTINGS, { 'raft-tick': '25ms' })).to.deep.equal({ raftTickMs: 25, raftElectionTicks: 12, raftHeartbeatTicks: 2 });
    expect(applySettingFlags(DEFAULT_SETTINGS, { 'raft-tick': '100ms', 'raft-election-timeout': '1s' })).to.include({ raftTickMs: 100, raftElectionTicks: 10 });
  });

  it('refuses what the protocols cannot run with, naming the flag and the rule', () => {
    rejectsInvalid(() => applySettingFlags(DEFAULT_SETTINGS, { 'raft-election-timeout': '320ms' }), /not a whole number of Raft ticks/);
    rejectsInvalid(() => applySettingFlags(DEFAULT_SETTINGS, { 'raft-heartbeat-interval': '300ms' }), /must be longer than the heartbeat/);
    rejectsInvalid(() => applySettingFlags(DEFAULT_SETTINGS, { 'gossip-interval': '5' }), /not a duration/);
    rejectsInvalid(() => applySettingFlags(DEFAULT_SETTINGS, { 'gossip-interval': '1ms' }), /out of range/);
    rejectsInvalid(() => applySettingFlags(DEFAULT_SETTINGS, { 'raft-compact-entries': 'many' }), /whole number/);
    rejectsInvalid(() => applySettingFlags(DEFAULT_SETTINGS, { 'raft-trailing-entries': '30000' }), /must be below/);
  });

  it('ccm settings shows each with its default and the formula it drives', () => {
    const views = describeSettings({ ...DEFAULT_SETTINGS, raftElectionTicks: 10 });
    const election = views.find((v) => v.flag === 'raft-election-timeout')!;
    expect(election).to.include({ value: 500, default: 300, unit: 'ms' });
    expect(election.drives).to.match(/\[T, 2T\)/);
    expect(views.map((v) => v.flag)).to.include.members(['raft-tick', 'gossip-interval', 'core-replace-after']);
  });
});
