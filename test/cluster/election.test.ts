import { expect } from 'chai';
import type { ElectionChange, ElectionLeadership } from '../../src/api/api-types.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';
import { CliProcess } from '../services/cli-process.js';

type CampaignEvent = ElectionLeadership & { event: string };

/** The leader-election recipe through real processes: campaigns are `ccm election campaign` children. */
describe('leader election (real processes)', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  before(async () => {
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '3', '--no-heal');
  });
  after(async () => {
    await CliProcess.stopAll();
    await expectNoProcessLeft(fx);
  });

  const campaign = (name: string, id: string, ttl: string): CliProcess => new CliProcess(fx, ['election', 'campaign', name, '--id', id, '--ttl', ttl, '--json']);
  const leaderEvent = async (p: CliProcess): Promise<CampaignEvent> => {
    await p.waitForLine(`${p.pid} leads`, (l) => l.includes('"event":"leader"'), 30_000);
    return p.json<CampaignEvent>().find((e) => e.event === 'leader')!;
  };

  it('one leader at a time with a fencing token; a killed leader is replaced after its TTL by the next in line, with a larger token; the leader survives a Raft leader kill; Ctrl-C resigns', async () => {
    const observer = new CliProcess(fx, ['election', 'observe', 'scheduler', '--json']);
    await observer.waitForLine('the observer starts', (l) => l.includes('"leader":null'));
    const w1 = campaign('scheduler', 'worker-1', '3s');
    const lead1 = await leaderEvent(w1);
    expect(lead1).to.deep.include({ election: 'scheduler', id: 'worker-1', ttlMs: 3000 });
    const w2 = campaign('scheduler', 'worker-2', '3s');
    const view = await waitFor('worker-2 in line', async () => {
      const v = await fx.json('election', 'leader', 'scheduler');
      return v.candidates.length === 1 ? v : null;
    });
    expect(view.leader).to.deep.include({ id: 'worker-1', token: lead1.token, lease: lead1.lease });
    expect(view.candidates.map((c: { id: string }) => c.id)).to.deep.equal(['worker-2']);
    expect((await fx.ccm('election', 'leader', 'scheduler')).stdout).to.match(/worker-1 leads scheduler: fencing token \d+/);
    expect((await fx.json('election', 'list')).elections.map((e: any) => e.election)).to.deep.equal(['scheduler']);
    // Still one leader after a few renewals.
    await new Promise((r) => setTimeout(r, 3500));
    expect(w2.json().some((e) => e.event === 'leader')).to.equal(false);
    expect((await fx.json('election', 'leader', 'scheduler')).leader.id).to.equal('worker-1');

    const killedAt = Date.now();
    w1.signal('SIGKILL');
    const lead2 = await leaderEvent(w2);
    // Not before worker-1's lease ran out (its last renewal was at most a third of the TTL before the kill).
    expect(Date.now() - killedAt).to.be.greaterThan(1500);
    expect(lead2.token).to.be.greaterThan(lead1.token);
    expect(lead2.waitedMs).to.be.greaterThan(0);

    // Kill the Raft leader: worker-2 keeps its leadership (its renewals go to the new Raft leader).
    const raftLeader = (await fx.json('core', 'status')).leader as string;
    await fx.json('node', 'kill', raftLeader);
    // Longer than the TTL: a leadership that was not kept alive through the failover would be gone by now.
    await new Promise((r) => setTimeout(r, 4000));
    const still = await waitFor('the election readable after the failover', () => fx.json('election', 'leader', 'scheduler').catch(() => null), 20_000, 250);
    expect(still.leader).to.deep.include({ id: 'worker-2', token: lead2.token });
    expect(w2.isExited).to.equal(false);
    await fx.json('node', 'start', raftLeader);

    w2.signal('SIGINT');
    expect((await w2.exited).exitCode).to.equal(0);
    expect(w2.json().map((e) => e.event)).to.deep.equal(['leader', 'resigned']);
    const none = await fx.ccm('election', 'leader', 'scheduler');
    expect(none.exitCode).to.equal(1);
    expect(none.stderr).to.match(/nobody leads scheduler/);

    await observer.waitForLine('the resignation', (l) => l.includes('"leader":null') && observer.json().length >= 4);
    observer.signal('SIGINT');
    expect((await observer.exited).exitCode).to.equal(0);
    const seen = observer.json<ElectionChange>().map((c) => (c.leader ? `${c.leader.id}:${c.leader.token}` : 'none'));
    expect(seen).to.deep.equal(['none', `worker-1:${lead1.token}`, `worker-2:${lead2.token}`, 'none']);
  });

  it('a leader paused past its TTL loses leadership, says so and exits non-zero; resigning hands over at once; bad input is refused', async () => {
    const a = campaign('batch', 'a', '2s');
    const leadA = await leaderEvent(a);
    const b = campaign('batch', 'b', '2s');
    await waitFor('b in line', async () => (await fx.client().electionLeader('batch')).candidates.length === 1);
    a.signal('SIGSTOP');
    const leadB = await leaderEvent(b);
    expect(leadB.token).to.be.greaterThan(leadA.token);
    a.signal('SIGCONT');
    const exitA = await a.exited;
    expect(exitA.exitCode).to.equal(1);
    expect(a.lines.join('\n')).to.match(/lost leadership of batch \(token \d+\)/);
    expect((await fx.client().electionLeader('batch')).leader!.id).to.equal('b');

    // A resignation passes leadership to the next in line at once (no TTL to wait out).
    const c = campaign('batch', 'c', '30s');
    await waitFor('c in line', async () => (await fx.client().electionLeader('batch')).candidates.length === 1);
    b.signal('SIGINT');
    const resigned = await b.exited;
    expect(resigned.exitCode).to.equal(0);
    expect(b.json().find((e: any) => e.event === 'resigned')).to.deep.include({ nextLeader: 'c' });
    const leadC = await leaderEvent(c);
    expect(leadC.token).to.be.greaterThan(leadB.token);
    // Ctrl-C while waiting in line leaves the line.
    const d = new CliProcess(fx, ['election', 'campaign', 'batch', '--id', 'd', '--ttl', '5s']);
    await waitFor('d in line', async () => (await fx.client().electionLeader('batch')).candidates.length === 1);
    d.signal('SIGINT');
    expect((await d.exited).exitCode).to.equal(0);
    await waitFor('d left the line', async () => (await fx.client().electionLeader('batch')).candidates.length === 0, 10_000);
    c.signal('SIGINT');
    await c.exited;

    await Promise.all([
      fx.expectFailure(['election', 'campaign', 'batch', '--id', 'x', '--ttl', '0s'], /ttl 0 ms is out of range/),
      fx.expectFailure(['election', 'campaign', 'batch', '--id', 'x', '--ttl', '-2s'], /out of range/),
      fx.expectFailure(['election', 'campaign', 'batch', '--id', 'x', '--ttl', '30d'], /out of range: use 1s to 7d/),
      fx.expectFailure(['election', 'campaign', 'bad/name', '--id', 'x'], /election name "bad\/name" is invalid/),
      fx.expectFailure(['election', 'campaign', 'batch', '--id', 'has space'], /candidate id "has space" is invalid/),
      fx.expectFailure(['election', 'leader', 'never-held'], /nobody leads never-held/),
      fx.expectFailure(['election', 'resign', 'batch', '--lease', '999999', '--secret', 'A'.repeat(32)], /lease 999999 not found/),
    ]);
    expect((await fx.client().elections()).elections.filter((e) => e.election === 'batch')).to.deep.equal([]);
  });
});
