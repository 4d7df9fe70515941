import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { ClusterStatus, MembersView } from '../../src/api/api-types.js';
import { requestJson } from '../../src/client/http-json.js';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** The supervisor on real processes: restarts a killed node, leaves a stopped or paused one alone, and goes with the cluster. */
describe('cluster (real processes): the supervisor heals crashed nodes', function () {
  this.timeout(120_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => {
    await expectNoProcessLeft(fx);
  });

  const node = (id: string) => fx.clusterFile().nodes.find((n: { id: string }) => n.id === id);
  const supervisorEvents = () =>
    fs
      .readFileSync(path.join(fx.home, fx.name, 'events.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; type: string; node?: string })
      .filter((e) => e.source === 'supervisor');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('restarts a killed node (recording restarts), never a stopped or paused one; down stops it too', async () => {
    const up = await fx.json('up', '--nodes', '3');
    expect(up.heal).to.equal(true);
    const supervisor = fx.clusterFile().supervisorPid as number;
    expect(supervisor).to.be.a('number');
    expect(isAlive(supervisor)).to.equal(true);

    // kill: a crash (desired stays running) → restarted with a new pid, counted, said in events.log.
    const killedPid = node('n2').pid;
    await fx.json('node', 'kill', 'n2');
    await waitFor('n2 restarted', () => node('n2').pid !== killedPid && isAlive(node('n2').pid) && node('n2').restarts === 1, 20_000);
    await waitFor('restart event', () => supervisorEvents().some((e) => e.type === 'node-restarted' && e.node === 'n2'));
    expect(supervisorEvents().map((e) => e.type)).to.deep.equal(['supervisor-started', 'node-died', 'node-restarted']);
    const status = await fx.json<ClusterStatus>('status', '--no-probe');
    expect(status.nodes.map((n) => [n.id, n.state, n.restarts])).to.deep.equal([
      ['n1', 'running', 0],
      ['n2', 'running', 1],
      ['n3', 'running', 0],
    ]);
    // The restarted node is back in the gossip view.
    const n1 = { host: '127.0.0.1', port: node('n1').ports.http as number };
    await waitFor('n2 alive in n1 view', async () => (await requestJson<MembersView>(n1, 'GET', '/v1/members')).members.find((m) => m.id === 'n2')?.state === 'alive');

    // stop: the operator's wish; a pause is not a death. Past several backoffs, neither was touched.
    await fx.json('node', 'stop', 'n3');
    const pausedPid = node('n1').pid;
    await fx.json('node', 'pause', 'n1');
    await sleep(3000);
    expect(node('n3')).to.deep.include({ pid: null, desired: 'stopped', restarts: 0 });
    expect(node('n1')).to.deep.include({ pid: pausedPid, paused: true, restarts: 0 });
    await fx.json('node', 'resume', 'n1');
    expect(supervisorEvents().filter((e) => e.node === 'n1' || e.node === 'n3')).to.deep.equal([]);

    // down: the supervisor first, then every node; nothing left, by pid.
    const pids = [...fx.pids(), supervisor];
    const down = await fx.json('down');
    expect(down.stopped).to.deep.equal(['n1', 'n2']);
    expect(pids.filter(isAlive)).to.deep.equal([]);
    expect(fx.clusterFile().supervisorPid).to.equal(null);
    expect(supervisorEvents().at(-1)!.type).to.equal('supervisor-stopped');
  });

  it('--no-heal starts no supervisor, and a kill sticks', async () => {
    await fx.json('up', '--nodes', '2', '--no-heal');
    expect(fx.clusterFile().supervisorPid).to.equal(null);
    await fx.json('node', 'kill', 'n2');
    await sleep(1500);
    expect(isAlive(node('n2').pid)).to.equal(false);
    expect(node('n2').restarts).to.equal(0);
  });
});
