import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import type { ClusterMetricsView, NodeMetricsView } from '../../src/api/api-types.js';
import { requestText } from '../../src/cluster/cluster-metrics.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** The value of an unlabelled sample in Prometheus text, or undefined. */
function sampleOf(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Issue 6: /metrics on every node and `ccm metrics`, on one real 3-node cluster. */
describe('metrics (real processes): /metrics in Prometheus text, ccm metrics summary, node view, raw, errors', function () {
  this.timeout(180_000);
  const fx = new ClusterFixture();
  const ids = ['n1', 'n2', 'n3'];
  const endpoint = (id: string) => ({ host: '127.0.0.1', port: fx.clusterFile().nodes.find((n: { id: string }) => n.id === id).ports.http as number });
  const scrape = (id: string) => requestText(endpoint(id), '/metrics', 2000);

  before(async () => {
    await fx.json('up', '--nodes', '3', '--no-heal');
  });
  after(async () => {
    await expectNoProcessLeft(fx);
  });

  it('every node answers GET /metrics with Prometheus text; the committed-proposals counter grows with kv puts, on the leader', async () => {
    await waitFor('a Raft leader', async () => (await fx.json('core', 'status')).leader);
    for (const id of ids) {
      const { contentType, text } = await scrape(id);
      expect(contentType, id).to.match(/^text\/plain; version=0\.0\.4/);
      for (const type of [
        '# TYPE ccm_raft_term gauge',
        '# TYPE ccm_raft_proposals_committed_total counter',
        '# TYPE ccm_disk_sync_duration_seconds histogram',
        '# TYPE ccm_lease_active gauge',
        '# TYPE ccm_gossip_members gauge',
        '# TYPE ccm_link_filter_messages_total counter',
        '# TYPE process_cpu_seconds_total counter',
      ]) {
        expect(text, `${id}: ${type}`).to.include(type);
      }
      expect(sampleOf(text, 'ccm_raft_term'), id).to.be.greaterThan(0);
      expect(sampleOf(text, 'ccm_raft_voter'), id).to.equal(1);
      expect(text, id).to.match(new RegExp(`^ccm_node_info\\{node="${id}",cluster="test",kind="core"\\} 1$`, 'm'));
    }
    const committed = async () => {
      let sum = 0;
      for (const id of ids) sum += sampleOf((await scrape(id)).text, 'ccm_raft_proposals_committed_total') ?? NaN;
      return sum;
    };
    const before = await committed();
    for (let i = 0; i < 3; i++) await fx.json('kv', 'put', `/metrics/k${i}`, String(i));
    // Proposals are counted where they are made: on the leader, which the puts were forwarded to.
    expect(await committed()).to.be.at.least(before + 3);
    const leader = (await fx.json('core', 'status')).leader as string;
    const leaderText = (await scrape(leader)).text;
    expect(sampleOf(leaderText, 'ccm_raft_is_leader')).to.equal(1);
    expect(sampleOf(leaderText, 'ccm_raft_proposals_committed_total')).to.be.at.least(3);
    expect(sampleOf(leaderText, 'ccm_disk_sync_duration_seconds_count')).to.be.greaterThan(0);
    expect(sampleOf(leaderText, 'ccm_raft_log_entries')).to.be.at.least(4);
    expect(leaderText).to.match(/^ccm_raft_role\{role="leader"\} 1$/m);
  });

  it('ccm metrics: one row per node (one leader, same term); ccm metrics n1: grouped, --json structured, --raw the text', async () => {
    const view = (await waitFor('every node sees 3 alive members', async () => {
      const v = await fx.json<ClusterMetricsView>('metrics');
      return v.nodes.every((n) => n.gossip?.alive === 3) ? v : null;
    }))!;
    expect(view.cluster).to.equal('test');
    expect(view.nodes.map((n) => n.node)).to.deep.equal(ids);
    for (const n of view.nodes) expect(n, n.node).to.deep.include({ state: 'running', responding: true, error: null });
    expect(view.nodes.filter((n) => n.role === 'leader')).to.have.length(1);
    expect(new Set(view.nodes.map((n) => n.raft?.term)).size).to.equal(1);
    expect(view.nodes.reduce((s, n) => s + (n.raft?.proposalsCommitted ?? 0), 0)).to.be.at.least(3);
    expect(view.nodes.every((n) => n.health !== null && n.disk !== null && n.leases?.active === 0)).to.equal(true);

    const table = await fx.ccm('metrics');
    expect(table.exitCode).to.equal(0);
    expect(table.stdout).to.match(/^NODE\s+ROLE\s+TERM\s+COMMITTED/);
    expect(table.stdout).to.match(/^n1 /m);
    expect(table.stdout).to.match(/\bleader\b/);

    const one = await fx.json<NodeMetricsView>('metrics', 'n1');
    expect(one.node).to.equal('n1');
    expect(one.summary.node).to.equal('n1');
    expect(one.groups.map((g) => g.group)).to.include.members(['Raft', 'Disk', 'Leases', 'Watches', 'Gossip', 'Health', 'Process']);
    const raft = one.groups.find((g) => g.group === 'Raft')!;
    expect(raft.families.find((f) => f.name === 'ccm_raft_term')!.samples[0].value).to.equal(one.summary.raft!.term);

    const human = await fx.ccm('metrics', 'n1');
    expect(human.exitCode).to.equal(0);
    for (const heading of ['Raft', 'Leases', 'Gossip']) expect(human.stdout).to.match(new RegExp(`^${heading}$`, 'm'));
    expect(human.stdout).to.match(/^ {2}ccm_raft_term\s+\d+\s+Current Raft term\.$/m);

    const raw = await fx.ccm('metrics', 'n1', '--raw');
    expect(raw.exitCode).to.equal(0);
    expect(raw.stdout.startsWith('# HELP ')).to.equal(true);
    expect(raw.stdout).to.match(/^ccm_raft_term \d+$/m);
  });

  it('bad input is refused clearly; a paused node and one that does not answer are shown as such within the deadline', async () => {
    const unknown = await fx.ccm('metrics', 'n9');
    expect(unknown.exitCode).to.equal(1);
    expect(unknown.stderr).to.match(/unknown node "n9"; cluster "test" has n1, n2, n3/);
    const unknownJson = await fx.ccm('metrics', 'n9', '--json');
    expect(unknownJson.exitCode).to.equal(1);
    expect(JSON.parse(unknownJson.stdout).error.code).to.equal('not_found');
    const rawAll = await fx.ccm('metrics', '--raw');
    expect(rawAll.exitCode).to.equal(1);
    expect(rawAll.stderr).to.match(/--raw needs a node/);

    await fx.json('node', 'pause', 'n2');
    try {
      const v = await fx.json<ClusterMetricsView>('metrics');
      expect(v.nodes.find((n) => n.node === 'n2')).to.deep.include({ state: 'paused', responding: false, role: null, raft: null });
      const paused = await fx.ccm('metrics', 'n2');
      expect(paused.exitCode).to.equal(1);
      expect(paused.stderr).to.match(/node n2 is paused/);
    } finally {
      await fx.json('node', 'resume', 'n2');
    }

    // A node process that runs but whose HTTP port never answers: cluster.json points n3's HTTP at a silent server.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const file = path.join(fx.home, fx.name, 'cluster.json');
    const original = fs.readFileSync(file, 'utf8');
    const edited = JSON.parse(original);
    edited.nodes.find((n: { id: string }) => n.id === 'n3').ports.http = (silent.address() as AddressInfo).port;
    fs.writeFileSync(file, JSON.stringify(edited, null, 2));
    try {
      const t0 = Date.now();
      const v = await fx.json<ClusterMetricsView>('metrics');
      const n3 = v.nodes.find((n) => n.node === 'n3')!;
      expect(n3).to.deep.include({ state: 'running', responding: false });
      expect(n3.error).to.match(/node n3 did not answer within 1000 ms/);
      expect(v.nodes.filter((n) => n.responding).map((n) => n.node)).to.deep.equal(['n1', 'n2']);
      const single = await fx.ccm('metrics', 'n3');
      expect(single.exitCode).to.equal(1);
      expect(single.stderr).to.match(/node n3 did not answer within 1000 ms/);
      // Two CLI runs (each a process start) and two 1 s deadlines: far below what a hang would take.
      expect(Date.now() - t0).to.be.below(20_000);
    } finally {
      fs.writeFileSync(file, original);
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('a stopped cluster is a clear error', async () => {
    await fx.json('down');
    const r = await fx.ccm('metrics');
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/cluster "test" is not running/);
    const one = await fx.ccm('metrics', 'n1', '--json');
    expect(one.exitCode).to.equal(1);
    expect(JSON.parse(one.stdout).error.code).to.equal('not_running');
  });
});
