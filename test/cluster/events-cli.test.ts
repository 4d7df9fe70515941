import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import type { ClusterEvent } from '../../src/api/api-types.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** `ccm events` against a real 3-node cluster: what the CLI did and what each node reported, in one timeline. */
describe('cluster (real processes): ccm events', function () {
  this.timeout(120_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => {
    await expectNoProcessLeft(fx);
  });

  it('merges events.log and every node.log in time order, filters them, and follows new ones until Ctrl-C', async () => {
    const missing = await fx.ccm('events');
    expect(missing.exitCode).to.equal(1);
    expect(missing.stderr).to.match(/cluster "test" does not exist/);

    await fx.json('up', '--nodes', '3', '--no-heal');
    await fx.json('node', 'kill', 'n2');
    await fx.json('node', 'start', 'n2');

    const all = await fx.json<ClusterEvent[]>('events', '--limit', '0');
    for (let i = 1; i < all.length; i++) expect(all[i].ts, `event ${i} out of order`).to.be.at.least(all[i - 1].ts);
    const has = (source: string, type: string) => all.filter((e) => e.source === source && e.type === type);
    expect(has('cli', 'cluster-up')).to.have.length(1);
    expect(has('cli', 'node-kill')[0]).to.include({ node: 'n2' });
    expect(has('n1', 'node-started')).to.have.length(1);
    expect(has('n3', 'node-started')).to.have.length(1);
    // n2 started twice: both starts are in its node.log, the second after the kill.
    const n2Starts = has('n2', 'node-started');
    expect(n2Starts.map((e) => e.startCount)).to.deep.equal([1, 2]);
    expect(n2Starts[1].ts).to.be.greaterThan(has('cli', 'node-kill')[0].ts);
    for (const e of all) expect(e).to.not.have.any.keys('event', 'level');

    // Read-only queries, side by side. (Each CLI start costs a second or two of CPU, so the filters' finer
    // cases are in events-timeline.test.ts, against files.)
    const [aboutN2, human, badSince] = await Promise.all([
      fx.json<ClusterEvent[]>('events', '--node', 'n2'),
      fx.ccm('events', '--type', 'node-kill,cluster-up'),
      fx.ccm('events', '--since', 'soon'),
    ]);
    expect(aboutN2.every((e) => e.source === 'n2' || e.node === 'n2')).to.equal(true);
    expect(aboutN2.map((e) => e.type)).to.include.members(['node-kill', 'node-started', 'node-start']);
    expect(human.exitCode).to.equal(0);
    expect(human.stdout.trim().split('\n')).to.have.length(2);
    expect(human.stdout).to.match(/^\d\d:\d\d:\d\d\.\d{3}  cli +cluster-up +cluster test up with 3 nodes/m);
    expect(human.stdout).to.match(/^\d\d:\d\d:\d\d\.\d{3}  cli +node-kill +killed n2 \(SIGKILL, pid \d+\)$/m);
    expect(badSince.exitCode).to.equal(1);
    expect(badSince.stderr).to.match(/--since "soon" is neither a duration/);

    // --follow --json: NDJSON, the existing events first, then each new one as it happens.
    const follow = execa(process.execPath, [BIN, 'events', '--follow', '--json', '--type', 'node-*', '--name', fx.name], { env: { CCM_HOME: fx.home }, reject: false });
    let out = '';
    follow.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the existing events', () => out.includes('"node-start"'), 30_000);
      await fx.json('node', 'kill', 'n3');
      await waitFor('the new kill', () => out.split('\n').some((l) => l.includes('"node-kill"') && l.includes('"n3"')), 30_000);
      follow.kill('SIGINT');
      const done = await follow;
      expect(done.exitCode).to.equal(0);
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as ClusterEvent);
      expect(lines.every((e) => e.type.startsWith('node-'))).to.equal(true);
      expect(lines.filter((e) => e.type === 'node-kill').map((e) => e.node)).to.deep.equal(['n2', 'n3']);
    } finally {
      follow.kill('SIGKILL');
    }
  });
});
