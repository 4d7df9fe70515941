import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { ClusterHealthView, ClusterLeaderView, GossipStatsView, MembersView, NodeHealthView } from '../../src/api/api-types.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { requestJson } from '../../src/client/http-json.js';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** Gossip, the emergent leader and health on real node processes, through the real CLI (issue 5). */
describe('cluster (real processes): gossip membership, emergent leader, tags, health', function () {
  this.timeout(180_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => {
    await expectNoProcessLeft(fx);
  });

  const endpoint = (id: string) => ({ host: '127.0.0.1', port: fx.clusterFile().nodes.find((n: { id: string }) => n.id === id).ports.http as number });
  const view = (id: string) => requestJson<MembersView>(endpoint(id), 'GET', '/v1/members', undefined, { timeoutMs: 2000 });
  const stateIn = (v: MembersView, id: string) => v.members.find((m) => m.id === id)?.state;
  const nodeLog = (id: string) =>
    fs
      .readFileSync(path.join(fx.home, fx.name, 'nodes', id, 'node.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"event":true'))
      .map((l) => JSON.parse(l) as { type: string; member?: string });
  async function everyView(ids: string[], check: (v: MembersView) => boolean): Promise<boolean> {
    const views = await Promise.all(ids.map(view));
    return views.every(check);
  }

  it('7 nodes converge; a tag spreads; killing the emergent leader makes it suspect then dead everywhere and the next-oldest leads; it rejoins with a higher incarnation', async () => {
    await fx.json('up', '--nodes', '7', '--no-heal');
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
    await waitFor('every node sees 7 alive', () => everyView(ids, (v) => v.members.filter((m) => m.state === 'alive').length === 7), 30_000);

    // Health settles once the core has a leader (voters report raft-lag critical until then).
    await waitFor('every member gossips a non-critical health', () =>
      everyView(['n4'], (v) => v.members.every((m) => m.health !== null && m.health.status !== 'critical')),
    );
    const fromN4 = await fx.json<MembersView>('members', '--from', 'n4');
    expect(fromN4.node).to.equal('n4');
    expect(fromN4.members.map((m) => m.id)).to.deep.equal(ids);
    for (const m of fromN4.members) {
      expect(m, m.id).to.include.keys('id', 'address', 'state', 'incarnation', 'phi', 'tags', 'health');
      expect(m.address).to.match(/^127\.0\.0\.1:\d+$/);
      expect(m.health?.status, m.id).to.be.oneOf(['passing', 'warning']);
    }
    // The emergent leader is the oldest process: earliest joinedAtMs, ties by id.
    const byAge = [...fromN4.members].sort((a, b) => a.joinedAtMs - b.joinedAtMs || (a.id < b.id ? -1 : 1)).map((m) => m.id);
    const leaders = await fx.json<ClusterLeaderView>('leader');
    expect(leaders).to.deep.include({ isAgreed: true, leader: byAge[0] });
    expect(leaders.views.map((v) => v.leader)).to.deep.equal(ids.map(() => byAge[0]));

    // A tag on n2 reaches every view; malformed ones are refused and change nothing.
    const set = await fx.json('gossip', 'set', 'n2', 'zone=eu-west');
    expect(set).to.deep.include({ node: 'n2', tags: { zone: 'eu-west' }, changed: true });
    await waitFor('zone=eu-west on n2 in every view', () => everyView(ids, (v) => v.members.find((m) => m.id === 'n2')?.tags.zone === 'eu-west'));
    for (const bad of ['zoneeu', 'bad key=x', `zone=${'x'.repeat(257)}`]) {
      const r = await fx.ccm('gossip', 'set', 'n2', bad);
      expect(r.exitCode, bad).to.equal(1);
      expect(r.stderr, bad).to.match(/^error: tag/);
    }
    const http400 = await requestJson(endpoint('n2'), 'PUT', '/admin/gossip/tags', { set: { 'a/b': 'x' } }).catch((e: unknown) => e);
    expect((http400 as CcmError).code).to.equal('invalid_argument');
    expect((await view('n5')).members.find((m) => m.id === 'n2')?.tags).to.deep.equal({ zone: 'eu-west' });

    // Kill the emergent leader.
    const [leader, next] = byAge;
    const others = ids.filter((id) => id !== leader);
    const incarnationBefore = (await view(others[0])).members.find((m) => m.id === leader)!.incarnation;
    await fx.json('node', 'kill', leader);
    await waitFor(`${leader} dead in every other view`, () => everyView(others, (v) => stateIn(v, leader) === 'dead'), 30_000);
    for (const id of others) {
      const mine = nodeLog(id).filter((e) => e.member === leader && (e.type === 'member-suspect' || e.type === 'member-dead'));
      expect(mine.map((e) => e.type).slice(0, 2), `${id}: suspect, then dead`).to.deep.equal(['member-suspect', 'member-dead']);
    }
    const after = await fx.json<ClusterLeaderView>('leader');
    expect(after).to.deep.include({ isAgreed: true, leader: next });
    expect(after.views.find((v) => v.node === leader)).to.deep.include({ isReachable: false, leader: null });
    const health = await fx.json<ClusterHealthView>('health');
    const dead = health.nodes.find((n) => n.id === leader)!;
    expect(dead).to.deep.include({ status: 'critical', source: 'gossip' });
    expect(dead.checks[0]).to.deep.include({ name: 'gossip', status: 'critical' });
    expect(health.views[next][leader]).to.equal('critical');

    // Restart: alive again everywhere with a higher incarnation; being the youngest now, it does not lead.
    await fx.json('node', 'start', leader);
    await waitFor(`${leader} alive in every view`, () => everyView(ids, (v) => stateIn(v, leader) === 'alive'), 30_000);
    for (const v of await Promise.all(ids.map(view))) expect(v.members.find((m) => m.id === leader)!.incarnation, v.node).to.be.above(incarnationBefore);
    await waitFor('every node names the next-oldest', async () => (await fx.json<ClusterLeaderView>('leader')).leader === next);
    await waitFor('all healthy again', async () => (await fx.json<ClusterHealthView>('health')).nodes.every((n) => n.source === 'node' && n.checks[0].status === 'passing'));

    const all = fx.pids();
    await fx.json('down');
    expect(all.filter(isAlive)).to.deep.equal([]);
  });

  it('user health checks: added, refused when malformed, critical when unreachable, kept across a restart, removed; garbage datagrams are survived', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal');
    await waitFor('3 alive everywhere', () => everyView(['n1', 'n2', 'n3'], (v) => v.members.filter((m) => m.state === 'alive').length === 3), 30_000);
    const checksOf = async (id: string) => (await requestJson<NodeHealthView>(endpoint(id), 'GET', '/v1/health')).checks.map((c) => c.name);
    const builtins = await checksOf('n2');
    expect(builtins).to.include.members(['event-loop-lag', 'memory-rss', 'disk-free']);

    for (const [args, pattern] of [
      [['--http', 'http://127.0.0.1:1/', '--interval', '0s'], /interval must be a positive duration/],
      [['--http', 'http://127.0.0.1:1/', '--interval=-5s'], /interval must be a positive duration/],
      [['--http', 'http://127.0.0.1:1/', '--interval', '1s', '--timeout', '1s'], /shorter than the interval/],
      [['--http', 'notaurl'], /is not a URL/],
      [['--tcp', 'localhost'], /must be host:port/],
      [['--http', 'http://127.0.0.1:1/', '--interval', 'soon'], /not a duration/],
      [[], /give one of --http/],
    ] as [string[], RegExp][]) {
      const r = await fx.ccm('health', 'check', 'add', 'n2', 'api', ...args);
      expect(r.exitCode, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.match(pattern);
    }
    expect(await checksOf('n2')).to.deep.equal(builtins);

    const added = await fx.json('health', 'check', 'add', 'n2', 'api', '--http', 'http://127.0.0.1:1/health', '--interval', '1s', '--timeout', '300ms');
    expect(added).to.deep.include({ node: 'n2', name: 'api', kind: 'http', status: 'critical' });
    expect(added.output).to.match(/connection refused/);
    await waitFor('n2 critical (api) in every view', () =>
      everyView(['n1', 'n2', 'n3'], (v) => JSON.stringify(v.members.find((m) => m.id === 'n2')?.health) === JSON.stringify({ status: 'critical', failing: ['api'] })),
    );
    const h = await fx.json<ClusterHealthView>('health');
    expect(h.nodes.find((n) => n.id === 'n2')!.checks.find((c) => c.name === 'api')).to.deep.include({ status: 'critical', target: 'http://127.0.0.1:1/health' });
    expect(h.status).to.equal('critical');

    // Stored in SQLite: a restart keeps it.
    await fx.json('node', 'restart', 'n2');
    expect(await checksOf('n2')).to.include('api');
    const removed = await fx.json('health', 'check', 'remove', 'n2', 'api');
    expect(removed).to.deep.equal({ node: 'n2', removed: 'api' });
    expect(await checksOf('n2')).to.not.include('api');
    const again = await fx.ccm('health', 'check', 'remove', 'n2', 'api', '--json');
    expect(again.exitCode).to.equal(1);
    expect(JSON.parse(again.stdout).error.code).to.equal('not_found');

    // Garbage at a node's gossip port: dropped and counted, the node carries on.
    const gossipPort = fx.clusterFile().nodes[0].ports.gossip as number;
    const before = await requestJson<GossipStatsView>(endpoint('n1'), 'GET', '/v1/gossip');
    const sock = dgram.createSocket('udp4');
    for (const junk of ['', 'not json', '{"kind":"swim","from":"n2","to":"n1","body":{"v":1', JSON.stringify({ kind: 'swim', from: 'n9', to: 'n1', body: {} })]) {
      await new Promise<void>((r) => sock.send(Buffer.from(junk), gossipPort, '127.0.0.1', () => r()));
    }
    sock.close();
    // The datagrams are not sealed with the cluster key: they fail authentication before anything reads them.
    const dropped = (v: GossipStatsView): number => v.udp.garbage + v.udp.authFailures;
    await waitFor('garbage counted', async () => dropped(await requestJson<GossipStatsView>(endpoint('n1'), 'GET', '/v1/gossip')) >= dropped(before) + 4, 5000);
    expect(stateIn(await view('n2'), 'n1')).to.equal('alive');
  });
});
