import { expect } from 'chai';
import { CcmClient } from '../../src/client/ccm-client.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** Raft membership change through the CLI, and self-healing: a dead voter is replaced by a healthy member. */
describe('core membership (real processes)', function () {
  this.timeout(180_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => expectNoProcessLeft(fx));

  const serializable = (c: CcmClient, node: string, key: string) => c.call<any>('GET', '/v1/kv', undefined, { node, query: { key, serializable: true }, timeoutMs: 2000 });

  it('adds a member as a learner, promotes it, removes a voter; bad changes are refused', async () => {
    await fx.json('up', '--nodes', '4', '--no-heal');
    const c = fx.client({ timeoutMs: 8000 });
    for (let i = 0; i < 20; i++) await c.put(`/m/${i}`, String(i));
    expect(await fx.json('core', 'add', 'n4')).to.deep.equal({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    // the learner catches up and serves local reads
    await waitFor('learner caught up', async () => (await serializable(c, 'n4', '/m/19')).kvs[0]?.value === '19');
    expect((await fx.json('status', '--no-probe')).nodes.find((n: any) => n.id === 'n4').kind).to.equal('learner');
    expect(await fx.json('core', 'promote', 'n4')).to.deep.equal({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    const removed = await fx.json('core', 'remove', 'n1');
    expect(removed.voters).to.deep.equal(['n2', 'n3', 'n4']);
    await c.put('/after', 'x');
    expect((await fx.json('core', 'status')).voters.map((v: any) => v.id)).to.deep.equal(['n2', 'n3', 'n4']);
    for (const [args, pattern] of [
      [['core', 'add', 'n2'], /already in the core/],
      [['core', 'promote', 'n2'], /already a voter/],
      [['core', 'remove', 'n1'], /not in the core/],
      [['core', 'add', 'n9'], /unknown node/],
    ] as [string[], RegExp][]) {
      const r = await fx.ccm(...args);
      expect(r.exitCode, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.match(pattern);
    }
    // n1 (removed) now forwards like any member
    expect((await c.call<any>('GET', '/v1/kv', undefined, { node: 'n1', query: { key: '/after' } })).kvs[0].value).to.equal('x');
  });

  it('self-healing: a voter dead past the limit is replaced by a healthy member, and the core keeps its size', async () => {
    await fx.json('up', '--nodes', '5', '--no-heal', '--setting', 'coreReplaceAfterMs=2000');
    const c = fx.client({ timeoutMs: 8000 });
    await c.put('/before', '1');
    const status = await fx.json('core', 'status');
    const victim = status.voters.find((v: any) => v.role === 'follower').id as string;
    await fx.json('node', 'kill', victim);
    const after = await waitFor(
      'the dead voter replaced',
      async () => {
        const s = await fx.json('core', 'status');
        return s.voters.length === 3 && !s.voters.some((v: any) => v.id === victim) ? s : null;
      },
      40_000,
      500,
    ).catch(async (err: Error) => {
      const events = ((await fx.json('events').catch(() => [])) as any[]).filter((e) => /^(core-|member-dead)/.test(e.type)).map((e) => `${e.source} ${e.message}`);
      throw new Error(`${err.message}; events: ${events.join(' | ')}`);
    });
    const newcomer = after.voters.map((v: any) => v.id).find((id: string) => !status.voters.some((v: any) => v.id === id))!;
    expect(['n4', 'n5']).to.include(newcomer);
    await c.put('/after', '2');
    await waitFor('the newcomer has the data', async () => (await serializable(c, newcomer, '/after')).kvs[0]?.value === '2');
    expect((await serializable(c, newcomer, '/before')).kvs[0].value).to.equal('1');
    const events = await fx.json('events');
    expect(events.map((e: any) => e.type)).to.include('core-voter-replaced');
  });
});
