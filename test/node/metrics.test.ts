import { expect } from 'chai';
import type { MetricFamilyView } from '../../src/api/api-types.js';
import type { Lease } from '../../src/core/kv-types.js';
import type { Applied, ApplyResult } from '../../src/core/state-machine.js';
import { METRIC_NAMES, NodeMetrics, type MetricsSnapshot } from '../../src/node/metrics/metrics.js';

/** A node's counters as a test sets them: what metrics-subsystem.ts reads from a real node. */
function fakeSnapshot(): MetricsSnapshot {
  return {
    node: { id: 'n1', cluster: 'test', kind: 'core', startCount: 2 },
    raft: {
      role: 'follower',
      term: 3,
      commit: 10,
      applied: 8,
      lastIndex: 12,
      firstIndex: 5,
      proposalsCommitted: 0,
      proposalsFailed: 0,
      leaderChanges: 1,
      readsServed: 0,
      logBytes: 4096,
      historyBytes: 2048,
    },
    snapshot: {
      sendsStarted: 2,
      sendsCompleted: 1,
      sendsFailed: 1,
      chunksSent: 40,
      bytesSent: 40_000_000,
      receivesStarted: 0,
      installs: 0,
      chunksReceived: 0,
      bytesReceived: 0,
      resumes: 0,
      badChunks: 0,
      staleChunks: 0,
    },
    memoryGcRequests: 3,
    hasLeader: true,
    leasesActive: 4,
    watchHub: { watchers: 2, watchersCreated: 6, eventsDelivered: 11 },
    gossip: {
      members: { alive: 3, suspect: 1, dead: 1, left: 0 },
      incarnation: 2,
      healthScore: 1,
      isEmergentLeader: false,
      messagesSent: 100,
      messagesReceived: 90,
      probes: 20,
      probeFailures: 2,
      indirectProbes: 3,
      suspicionsRaised: 1,
      deathsDeclared: 0,
      refutations: 0,
      malformedPackets: 0,
      pushPullsSent: 4,
      pushPullsReceived: 5,
      pushPullFailures: 1,
    },
    udp: { sent: 50, received: 45, bytesSent: 5000, bytesReceived: 4500, garbage: 7, tooLarge: 0, authFailures: 0 },
    tcp: { sent: 30, received: 31, droppedQueueFull: 0, droppedBacklog: 2, badFrames: 0, connects: 2, connectFailures: 1, authFailures: 0, hellosRefused: 0 },
    link: {
      'n2/out': { passed: 40, dropped: 5, delayed: 0, duplicated: 0 },
      'n2/in': { passed: 38, dropped: 0, delayed: 0, duplicated: 0 },
    },
    health: { status: 'warning', checks: { passing: 2, warning: 1, critical: 0 } },
    rejections: [{ port: 'peer', reason: 'bad_body', count: 3 }],
    limits: { http_body_bytes: 100 },
  };
}

function valueOf(families: MetricFamilyView[], name: string, labels: Record<string, string> = {}, sample = name): number | null | undefined {
  const f = families.find((x) => x.name === name);
  return f?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))?.value;
}

function lease(id: number, renewals: number, grantedAtMs: number): Lease {
  return { id, ttlMs: 5000, grantedRevision: 1, grantedAtMs, renewedAtMs: grantedAtMs, renewals, owner: 'o', secretHash: '' };
}

function applied(result: ApplyResult, touched: Lease[], removed: number[]): Applied {
  return { result, effects: { events: [], leasesTouched: touched, leasesRemoved: removed } };
}

describe('node metrics: names and values from the node counters (prom-client, one registry per node)', () => {
  let snap: MetricsSnapshot;
  let metrics: NodeMetrics;
  beforeEach(() => {
    snap = fakeSnapshot();
    metrics = new NodeMetrics();
    metrics.setSource(() => snap);
  });

  it('serves every ccm metric in Prometheus text 0.0.4, with HELP and TYPE, and only well-formed sample lines', async () => {
    const text = await metrics.scrape();
    expect(metrics.contentType).to.match(/^text\/plain; version=0\.0\.4/);
    for (const [name, help] of Object.entries(METRIC_NAMES)) {
      expect(text, name).to.include(`# HELP ${name} ${help}`);
      expect(text, name).to.match(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (NaN|\+Inf|-Inf)$/;
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line).to.match(sample);
    expect(text).to.match(/^ccm_raft_term 3$/m);
    expect(text).to.match(/^ccm_raft_role\{role="follower"\} 1$/m);
    expect(text).to.match(/^ccm_link_filter_messages_total\{peer="n2",direction="out",outcome="dropped"\} 5$/m);
    // The boundary: refused inputs by port and reason, and the limits in force.
    expect(text).to.match(/^ccm_rejected_inputs_total\{port="peer",reason="bad_body"\} 3$/m);
    expect(text).to.match(/^ccm_input_limit\{limit="http_body_bytes"\} 100$/m);
    // The registry is the node's own: nothing leaks into prom-client's global one.
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('ccm_raft_term')).to.equal(undefined);
  });

  it('Raft gauges: term, has/is leader, role, commit and applied index, apply lag = commit - applied, log size = last - first + 1', async () => {
    let f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_voter')).to.equal(1);
    expect(valueOf(f, 'ccm_raft_term')).to.equal(3);
    expect(valueOf(f, 'ccm_raft_has_leader')).to.equal(1);
    expect(valueOf(f, 'ccm_raft_is_leader')).to.equal(0);
    expect(valueOf(f, 'ccm_raft_commit_index')).to.equal(10);
    expect(valueOf(f, 'ccm_raft_applied_index')).to.equal(8);
    expect(valueOf(f, 'ccm_raft_apply_lag_entries')).to.equal(2);
    expect(valueOf(f, 'ccm_raft_log_entries')).to.equal(8);
    expect(valueOf(f, 'ccm_node_info', { node: 'n1', cluster: 'test', kind: 'core' })).to.equal(1);
    snap.raft = { ...snap.raft!, role: 'leader', term: 4, applied: 10 };
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_is_leader')).to.equal(1);
    expect(valueOf(f, 'ccm_raft_term')).to.equal(4);
    expect(valueOf(f, 'ccm_raft_role', { role: 'leader' })).to.equal(1);
    expect(valueOf(f, 'ccm_raft_role', { role: 'follower' })).to.equal(0);
    expect(valueOf(f, 'ccm_raft_apply_lag_entries')).to.equal(0);
  });

  it('large state: log and history bytes, snapshot transfers by direction and outcome, governor GCs', async () => {
    const f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_log_bytes')).to.equal(4096);
    expect(valueOf(f, 'ccm_watch_history_bytes')).to.equal(2048);
    expect(valueOf(f, 'ccm_snapshot_bytes_total', { direction: 'sent' })).to.equal(40_000_000);
    expect(valueOf(f, 'ccm_snapshot_chunks_total', { direction: 'received' })).to.equal(0);
    expect(valueOf(f, 'ccm_snapshots_total', { outcome: 'send_failed' })).to.equal(1);
    expect(valueOf(f, 'ccm_node_memory_gc_requested_total')).to.equal(3);
  });

  it('counters follow the running totals they mirror, and restart (a counter reset) if a total goes down', async () => {
    let f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_proposals_committed_total')).to.equal(0);
    expect(valueOf(f, 'ccm_raft_leader_changes_seen_total')).to.equal(1);
    snap.raft = { ...snap.raft!, proposalsCommitted: 5, proposalsFailed: 1, leaderChanges: 2 };
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_proposals_committed_total')).to.equal(5);
    expect(valueOf(f, 'ccm_raft_proposals_failed_total')).to.equal(1);
    expect(valueOf(f, 'ccm_raft_leader_changes_seen_total')).to.equal(2);
    snap.raft = { ...snap.raft!, proposalsCommitted: 12 };
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_proposals_committed_total')).to.equal(12);
    // Scraping again without change adds nothing.
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_proposals_committed_total')).to.equal(12);
    snap.raft = { ...snap.raft!, proposalsCommitted: 3 };
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_proposals_committed_total')).to.equal(3);
    // Labelled ones too: the link filter per peer, direction and outcome.
    expect(valueOf(f, 'ccm_link_filter_messages_total', { peer: 'n2', direction: 'out', outcome: 'dropped' })).to.equal(5);
    snap.link = { ...snap.link, 'n2/out': { passed: 41, dropped: 9, delayed: 0, duplicated: 0 }, 'n3/in': { passed: 1, dropped: 0, delayed: 1, duplicated: 0 } };
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_link_filter_messages_total', { peer: 'n2', direction: 'out', outcome: 'dropped' })).to.equal(9);
    expect(valueOf(f, 'ccm_link_filter_messages_total', { peer: 'n3', direction: 'in', outcome: 'delayed' })).to.equal(1);
  });

  it('gossip: members by state, messages, UDP garbage, probe failures, push-pulls; health: checks by status and the node status', async () => {
    const f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_gossip_members', { state: 'alive' })).to.equal(3);
    expect(valueOf(f, 'ccm_gossip_members', { state: 'suspect' })).to.equal(1);
    expect(valueOf(f, 'ccm_gossip_messages_sent_total')).to.equal(100);
    expect(valueOf(f, 'ccm_gossip_packets_received_total')).to.equal(45);
    expect(valueOf(f, 'ccm_gossip_udp_garbage_total')).to.equal(7);
    expect(valueOf(f, 'ccm_gossip_probe_failures_total')).to.equal(2);
    expect(valueOf(f, 'ccm_gossip_push_pulls_total', { direction: 'received' })).to.equal(5);
    expect(valueOf(f, 'ccm_peer_messages_dropped_total', { reason: 'backlog' })).to.equal(2);
    expect(valueOf(f, 'ccm_health_checks', { status: 'passing' })).to.equal(2);
    expect(valueOf(f, 'ccm_health_checks', { status: 'warning' })).to.equal(1);
    expect(valueOf(f, 'ccm_health_status', { status: 'warning' })).to.equal(1);
    expect(valueOf(f, 'ccm_health_status', { status: 'passing' })).to.equal(0);
    metrics.countMemberEvent('suspect');
    metrics.countMemberEvent('suspect');
    metrics.countMemberEvent('dead');
    const g = await metrics.scrapeJson();
    expect(valueOf(g, 'ccm_gossip_member_events_total', { type: 'suspect' })).to.equal(2);
    expect(valueOf(g, 'ccm_gossip_member_events_total', { type: 'dead' })).to.equal(1);
  });

  it('a member (no Raft) reports voter 0 and no leader role', async () => {
    snap.raft = null;
    snap.leasesActive = null;
    snap.node.kind = 'member';
    const f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_raft_voter')).to.equal(0);
    expect(valueOf(f, 'ccm_raft_is_leader')).to.equal(0);
    expect(f.find((x) => x.name === 'ccm_raft_role')!.samples.every((s) => s.value === 0)).to.equal(true);
    expect(valueOf(f, 'ccm_raft_has_leader')).to.equal(1);
  });

  it('the sync latency histogram (ccm_disk_sync_duration_seconds) observes each sync into etcd\'s buckets', async () => {
    for (const s of [0.0005, 0.003, 0.003, 0.02]) metrics.observeSync(s);
    metrics.observeSync(Number.NaN); // ignored
    const f = await metrics.scrapeJson();
    const name = 'ccm_disk_sync_duration_seconds';
    expect(valueOf(f, name, {}, `${name}_count`)).to.equal(4);
    expect(valueOf(f, name, {}, `${name}_sum`)).to.be.closeTo(0.0265, 1e-9);
    expect(valueOf(f, name, { le: '0.001' }, `${name}_bucket`)).to.equal(1);
    expect(valueOf(f, name, { le: '0.004' }, `${name}_bucket`)).to.equal(3);
    expect(valueOf(f, name, { le: '0.032' }, `${name}_bucket`)).to.equal(4);
    expect(valueOf(f, name, { le: '+Inf' }, `${name}_bucket`)).to.equal(4);
  });

  it('leases: grants, renewals, expiries and revocations counted from apply effects, and how long each lived', async () => {
    metrics.seedLeases([lease(1, 3, 1_000)]);
    metrics.countApplied(applied({ op: 'lease-grant', id: 7, ttlMs: 5000, revision: 2 }, [lease(7, 0, 10_000)], []), 10_000);
    metrics.countApplied(applied({ op: 'lease-grant', id: 8, ttlMs: 5000, revision: 3 }, [lease(8, 0, 11_000)], []), 11_000);
    metrics.countApplied(applied({ op: 'lease-renew', id: 7, ttlMs: 5000, renewals: 1 }, [lease(7, 1, 10_000)], []), 12_000);
    metrics.countApplied(applied({ op: 'lease-expire', id: 7, expired: true }, [], [7]), 20_000);
    metrics.countApplied(applied({ op: 'lease-revoke', id: 8, revision: 5, deletedKeys: 0 }, [], [8]), 13_000);
    metrics.countApplied(applied({ op: 'release', resource: 'r', lease: 1, revision: 6 }, [], [1]), 61_000);
    // A renewal the leader decided was stale expires nothing.
    metrics.countApplied(applied({ op: 'lease-expire', id: 9, expired: false }, [], []), 62_000);
    metrics.countApplied(applied({ op: 'put', revision: 7 }, [], []), 62_000);
    const f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_lease_granted_total')).to.equal(2);
    expect(valueOf(f, 'ccm_lease_renewed_total')).to.equal(1);
    expect(valueOf(f, 'ccm_lease_expired_total')).to.equal(1);
    expect(valueOf(f, 'ccm_lease_revoked_total')).to.equal(2);
    expect(valueOf(f, 'ccm_lease_active')).to.equal(4);
    const held = 'ccm_lease_held_seconds';
    expect(valueOf(f, held, {}, `${held}_count`)).to.equal(3);
    expect(valueOf(f, held, {}, `${held}_sum`)).to.equal(10 + 2 + 60);
    expect(valueOf(f, held, { le: '2' }, `${held}_bucket`)).to.equal(1);
    expect(valueOf(f, held, { le: '10' }, `${held}_bucket`)).to.equal(2);
  });

  it('lease grant times the node no longer tracks are forgotten (a snapshot replaced the table)', async () => {
    metrics.countApplied(applied({ op: 'lease-grant', id: 7, ttlMs: 5000, revision: 2 }, [lease(7, 0, 10_000)], []), 10_000);
    metrics.pruneLeases(0, () => false);
    metrics.countApplied(applied({ op: 'lease-revoke', id: 7, revision: 5, deletedKeys: 0 }, [], [7]), 13_000);
    const f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_lease_revoked_total')).to.equal(1);
    expect(valueOf(f, 'ccm_lease_held_seconds', {}, 'ccm_lease_held_seconds_count')).to.equal(0);
  });

  it("watches: client streams from the hooks (open now, never below zero; opened; events sent), the hub's watchers and deliveries read", async () => {
    metrics.watchStreamOpened();
    metrics.watchStreamOpened();
    metrics.watchEventsSent(3);
    metrics.watchEventsSent(0);
    metrics.watchStreamClosed();
    let f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_watch_streams')).to.equal(1);
    expect(valueOf(f, 'ccm_watch_streams_opened_total')).to.equal(2);
    expect(valueOf(f, 'ccm_watch_events_sent_total')).to.equal(3);
    expect(valueOf(f, 'ccm_watch_watchers')).to.equal(2);
    expect(valueOf(f, 'ccm_watch_watchers_created_total')).to.equal(6);
    expect(valueOf(f, 'ccm_watch_events_delivered_total')).to.equal(11);
    metrics.watchStreamClosed();
    metrics.watchStreamClosed();
    f = await metrics.scrapeJson();
    expect(valueOf(f, 'ccm_watch_streams')).to.equal(0);
  });

  it('two nodes in one process keep separate registries', async () => {
    const other = new NodeMetrics();
    other.setSource(() => ({ ...fakeSnapshot(), raft: { ...fakeSnapshot().raft!, term: 99 } }));
    metrics.observeSync(0.002);
    expect(valueOf(await other.scrapeJson(), 'ccm_raft_term')).to.equal(99);
    expect(valueOf(await metrics.scrapeJson(), 'ccm_raft_term')).to.equal(3);
    expect(valueOf(await other.scrapeJson(), 'ccm_disk_sync_duration_seconds', {}, 'ccm_disk_sync_duration_seconds_count')).to.equal(0);
  });
});
