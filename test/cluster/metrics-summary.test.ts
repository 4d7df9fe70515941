import { expect } from 'chai';
import type { MetricFamilyView } from '../../src/api/api-types.js';
import { describeFamily, formatMetricNumber, groupFamilies, histogramQuantile, summarizeMetrics } from '../../src/cluster/cluster-metrics.js';
import { NodeMetrics, type MetricsSnapshot } from '../../src/node/metrics/metrics.js';

function histogram(name: string, buckets: [string, number][], sum: number): MetricFamilyView {
  const count = buckets[buckets.length - 1][1];
  return {
    name,
    help: '',
    type: 'histogram',
    samples: [
      ...buckets.map(([le, value]) => ({ name: `${name}_bucket`, labels: { le }, value })),
      { name: `${name}_sum`, labels: {}, value: sum },
      { name: `${name}_count`, labels: {}, value: count },
    ],
  };
}

function snapshot(): MetricsSnapshot {
  return {
    node: { id: 'n2', cluster: 'c', kind: 'core', startCount: 1 },
    raft: { role: 'leader', term: 5, commit: 20, applied: 19, lastIndex: 20, firstIndex: 1, proposalsCommitted: 17, proposalsFailed: 1, leaderChanges: 2, readsServed: 3, logBytes: 0, historyBytes: 0 },
    snapshot: null,
    memoryGcRequests: 0,
    hasLeader: true,
    leasesActive: 2,
    watchHub: { watchers: 3, watchersCreated: 9, eventsDelivered: 20 },
    gossip: {
      members: { alive: 2, suspect: 1, dead: 0, left: 0 },
      incarnation: 1,
      healthScore: 0,
      isEmergentLeader: true,
      messagesSent: 300,
      messagesReceived: 280,
      probes: 40,
      probeFailures: 4,
      indirectProbes: 4,
      suspicionsRaised: 1,
      deathsDeclared: 0,
      refutations: 0,
      malformedPackets: 0,
      pushPullsSent: 1,
      pushPullsReceived: 1,
      pushPullFailures: 0,
    },
    udp: { sent: 150, received: 140, bytesSent: 1, bytesReceived: 1, garbage: 3, tooLarge: 0, authFailures: 0 },
    tcp: { sent: 1, received: 1, droppedQueueFull: 0, droppedBacklog: 0, badFrames: 0, connects: 1, connectFailures: 0, authFailures: 0, hellosRefused: 0 },
    link: { 'n1/out': { passed: 10, dropped: 4, delayed: 0, duplicated: 0 }, 'n3/in': { passed: 10, dropped: 2, delayed: 0, duplicated: 0 } },
    health: { status: 'passing', checks: { passing: 4, warning: 0, critical: 0 } },
    rejections: [],
    limits: {},
  };
}

describe('ccm metrics: summarising a node from its families', () => {
  it('histogram quantiles interpolate inside the bucket (Prometheus histogram_quantile); none without observations', () => {
    const h = histogram('x_seconds', [['0.001', 0], ['0.002', 50], ['0.004', 100], ['+Inf', 100]], 0.2);
    expect(histogramQuantile(0.5, h)).to.be.closeTo(0.002, 1e-12);
    expect(histogramQuantile(0.25, h)).to.be.closeTo(0.0015, 1e-12);
    expect(histogramQuantile(0.99, h)).to.be.closeTo(0.00396, 1e-12);
    expect(histogramQuantile(0.99, histogram('y', [['1', 0], ['+Inf', 0]], 0))).to.equal(null);
    // Beyond the largest finite bound: that bound (what can be said).
    expect(histogramQuantile(0.99, histogram('z', [['1', 1], ['+Inf', 10]], 50))).to.equal(1);
    expect(histogramQuantile(0.5, undefined)).to.equal(null);
  });

  it('the summary of a voter: role, term, proposals, lag, leases, watches, gossip, drops, suspicions, health, sync p99', async () => {
    const m = new NodeMetrics();
    m.setSource(snapshot);
    for (let i = 0; i < 99; i++) m.observeSync(0.0015);
    m.observeSync(0.5);
    m.countMemberEvent('suspect');
    m.watchStreamOpened();
    m.watchEventsSent(4);
    const s = summarizeMetrics('n2', await m.scrapeJson());
    expect(s).to.deep.include({ node: 'n2', state: 'running', responding: true, error: null, role: 'leader' });
    expect(s.raft).to.deep.equal({
      term: 5,
      hasLeader: true,
      leaderChanges: 2,
      proposalsCommitted: 17,
      proposalsFailed: 1,
      commitIndex: 20,
      appliedIndex: 19,
      applyLag: 1,
      logEntries: 20,
    });
    expect(s.leases).to.deep.equal({ active: 2, granted: 0, renewed: 0, expired: 0, revoked: 0 });
    expect(s.watch).to.deep.equal({ streams: 1, streamsOpened: 1, eventsSent: 4, watchers: 3, eventsDelivered: 20 });
    expect(s.gossip).to.deep.equal({ alive: 2, suspect: 1, dead: 0, messagesSent: 300, messagesReceived: 280, linkDropped: 6, probeFailures: 4, suspicions: 1, udpGarbage: 3 });
    expect(s.health).to.deep.equal({ status: 'passing', passing: 4, warning: 0, critical: 0 });
    expect(s.disk!.syncs).to.equal(100);
    // 99 of 100 syncs fell in (1 ms, 2 ms]: the p99 is in that bucket.
    expect(s.disk!.syncP99Seconds).to.be.within(0.001, 0.002);
  });

  it('a member has no Raft or lease figures and the role "member"', async () => {
    const m = new NodeMetrics();
    m.setSource(() => ({ ...snapshot(), raft: null, leasesActive: null }));
    const s = summarizeMetrics('n4', await m.scrapeJson());
    expect(s.role).to.equal('member');
    expect(s.raft).to.equal(null);
    expect(s.leases).to.equal(null);
    expect(s.gossip?.alive).to.equal(2);
  });

  it('groups families by subsystem in a fixed order, and describes them for people', async () => {
    const m = new NodeMetrics();
    m.setSource(snapshot);
    m.observeSync(0.003);
    const families = await m.scrapeJson();
    const groups = groupFamilies([...families, { name: 'process_cpu_seconds_total', help: 'cpu', type: 'counter', samples: [{ name: 'process_cpu_seconds_total', labels: {}, value: 1.5 }] }]);
    expect(groups.map((g) => g.group)).to.deep.equal(['Node', 'Raft', 'Snapshots', 'Disk', 'Leases', 'Watches', 'Gossip', 'Link filter and peer transport', 'Health', 'Boundary: refused inputs and limits', 'Process']);
    expect(groups.find((g) => g.group === 'Raft')!.families.map((f) => f.name)).to.include.members(['ccm_raft_term', 'ccm_raft_proposals_committed_total']);
    const byName = (n: string) => families.find((f) => f.name === n)!;
    expect(describeFamily(byName('ccm_raft_term'))).to.deep.equal([['ccm_raft_term', '5']]);
    expect(describeFamily(byName('ccm_raft_role'))).to.deep.equal([['ccm_raft_role', 'leader']]);
    expect(describeFamily(byName('ccm_link_filter_messages_total'))).to.deep.include.members([
      ['ccm_link_filter_messages_total{peer=n1,direction=out,outcome=dropped}', '4'],
      ['ccm_link_filter_messages_total{peer=n3,direction=in,outcome=passed}', '10'],
    ]);
    expect(describeFamily(byName('ccm_link_filter_messages_total')).some(([s]) => s.includes('delayed'))).to.equal(false);
    expect(describeFamily(byName('ccm_watch_streams_opened_total'))).to.deep.equal([['ccm_watch_streams_opened_total', '0']]);
    expect(describeFamily(byName('ccm_disk_sync_duration_seconds'))[0][1]).to.match(/^count 1, p50 [\d.]+ ms, p99 [\d.]+ ms, mean 3 ms$/);
    expect(describeFamily(byName('ccm_lease_held_seconds'))).to.deep.equal([['ccm_lease_held_seconds', 'no observations']]);
    expect(formatMetricNumber('process_resident_memory_bytes', 3 * 1024 * 1024)).to.equal('3.0 MiB');
    expect(formatMetricNumber('x_seconds', 2.5)).to.equal('2.5 s');
    expect(formatMetricNumber('x', null)).to.equal('NaN');
  });
});
