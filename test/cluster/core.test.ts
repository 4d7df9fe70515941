import { expect } from 'chai';
import { CcmClient } from '../../src/client/ccm-client.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** The consistent core through real processes: Raft over TCP, SQLite, the client API and the CLI. */
describe('consistent core (real processes)', function () {
  this.timeout(180_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => expectNoProcessLeft(fx));

  const leaderOf = async (): Promise<string> => (await waitFor('a leader', async () => (await fx.json('core', 'status')).leader as string | null))!;
  const serializableGet = (c: CcmClient, node: string, key: string) =>
    c.call<any>('GET', '/v1/kv', undefined, { node, query: { key, serializable: true }, timeoutMs: 2000 });

  it('CLI: put/get/CAS/delete, prefix reads, clear errors for bad input, leader transfer', async () => {
    await fx.json('up', '--nodes', '4', '--core', '3', '--no-heal');
    const put = await fx.json('kv', 'put', '/app/color', 'blue');
    expect(put.revision).to.be.a('number');
    expect((await fx.json('kv', 'get', '/app/color')).value).to.equal('blue');
    const cas = await fx.json('kv', 'put', '/app/color', 'red', '--if-mod-rev', String(put.revision));
    expect(cas.revision).to.be.greaterThan(put.revision);
    const stale = await fx.ccm('kv', 'put', '/app/color', 'green', '--if-mod-rev', String(put.revision));
    expect(stale.exitCode).to.equal(1);
    expect(stale.stderr).to.match(/compare failed: \/app\/color is at mod revision/);
    expect((await fx.json('kv', 'get', '/app/color')).value).to.equal('red');
    await fx.json('kv', 'put', '/app/size', 'L');
    const range = await fx.json('kv', 'get', '/app/', '--prefix');
    expect(range.kvs.map((k: any) => k.key)).to.deep.equal(['/app/color', '/app/size']);
    expect((await fx.json('kv', 'get', '/app/size', '--serializable')).value).to.equal('L');
    expect((await fx.json('kv', 'del', '/app/size')).deleted).to.equal(1);
    for (const [args, pattern] of [
      [['kv', 'get', '/app/size'], /not found/],
      [['kv', 'put', '', 'x'], /non-empty/],
      [['kv', 'put', 'k'.repeat(1025), 'x'], /limit is 1024/],
      [['kv', 'put', '/nope', 'x', '--if-mod-rev', '3'], /does not exist/],
      [['kv', 'put', '/ccm/locks/x', 'y'], /belong to ccm/],
      [['kv', 'del', '/never'], /not found/],
      [['core', 'transfer-leader', 'n9'], /unknown node/],
    ] as [string[], RegExp][]) {
      const r = await fx.ccm(...args);
      expect(r.exitCode, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.match(pattern);
    }
    // a member (n4) forwards to the leader
    const c = fx.client();
    expect((await c.call<any>('PUT', '/v1/kv', { key: '/via/member', value: '1' }, { node: 'n4' })).revision).to.be.a('number');
    expect((await c.call<any>('GET', '/v1/kv', undefined, { node: 'n4', query: { key: '/via/member' } })).kvs[0].value).to.equal('1');
    // leader transfer
    const leader = await leaderOf();
    const target = ['n1', 'n2', 'n3'].find((n) => n !== leader)!;
    expect(await fx.json('core', 'transfer-leader', target)).to.deep.equal({ from: leader, to: target });
    expect((await fx.json('core', 'status')).leader).to.equal(target);
  });

  it('keeps accepting writes with one voter killed; the minority side of a partition does not commit; nothing acknowledged is lost', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal');
    const c = fx.client({ timeoutMs: 8000 });
    const acked = new Map<string, string>();
    const write = async (k: string, v: string): Promise<void> => {
      await c.put(k, v);
      acked.set(k, v);
    };
    for (let i = 0; i < 20; i++) await write(`/k${i}`, `v${i}`);

    // one voter down: writes go on
    const leader1 = await leaderOf();
    const follower = ['n1', 'n2', 'n3'].find((n) => n !== leader1)!;
    await fx.json('node', 'kill', follower);
    for (let i = 20; i < 40; i++) await write(`/k${i}`, `v${i}`);
    await fx.json('node', 'start', follower);

    // isolate the leader: it cannot commit; the majority elects another and commits
    const leader2 = await leaderOf();
    await fx.json('chaos', 'isolate', leader2);
    let minorityError: unknown;
    try {
      await c.call('PUT', '/v1/kv', { key: '/minority', value: 'lost' }, { node: leader2, timeoutMs: 1500 });
    } catch (err) {
      minorityError = err;
    }
    expect(minorityError, 'write on the isolated leader must not succeed').to.be.instanceOf(CcmError);
    expect((minorityError as CcmError).code).to.be.oneOf(['timeout', 'no_leader', 'not_leader']);
    const majority = ['n1', 'n2', 'n3'].filter((n) => n !== leader2);
    const leader3 = await waitFor<string | null>('a leader on the majority side', async () => {
      const s = await fx.json('core', 'status');
      return majority.includes(s.leader) ? (s.leader as string) : null;
    });
    const mc = new CcmClient(fx.clusterFile().nodes.filter((n: any) => majority.includes(n.id)).map((n: any) => ({ id: n.id, host: '127.0.0.1', port: n.ports.http })), { timeoutMs: 8000 });
    for (let i = 40; i < 60; i++) {
      await mc.put(`/k${i}`, `v${i}`);
      acked.set(`/k${i}`, `v${i}`);
    }
    await fx.json('chaos', 'heal');

    // kill the leader after the heal: a new one is elected, and every acknowledged write is there
    await fx.json('node', 'kill', leader3!);
    await write('/after-kill', 'ok');
    for (const [k, v] of acked) expect((await c.get(k)).kvs[0]?.value, k).to.equal(v);
    expect((await c.get('/minority', { prefix: true })).kvs, 'the minority write never committed').to.deep.equal([]);
    // the restarted nodes converge on the same state
    await fx.json('node', 'start', leader3!);
    for (const node of ['n1', 'n2', 'n3']) {
      await waitFor(`${node} caught up`, async () => (await serializableGet(c, node, '/after-kill')).kvs[0]?.value === 'ok');
    }
  });

  it('a restarted voter catches up from the log, and from a snapshot once the log is compacted', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal', '--setting', 'raftLogCompactThreshold=200', '--setting', 'raftLogTrailingEntries=20');
    const c = fx.client();
    await c.put('/base', '0');
    const leader = await leaderOf();
    const lagger = ['n1', 'n2', 'n3'].find((n) => n !== leader)!;

    // from the log
    await fx.json('node', 'stop', lagger);
    for (let i = 0; i < 30; i++) await c.put(`/log/${i}`, String(i));
    await fx.json('node', 'start', lagger);
    await waitFor('catch-up from the log', async () => (await serializableGet(c, lagger, '/log/29')).kvs[0]?.value === '29');

    // from a snapshot: the leader compacts past what the stopped voter has
    await fx.json('node', 'stop', lagger);
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 40; i++) await c.put(`/snap/${w}/${i}`, String(i));
    }));
    const leaderStatus = (await fx.json('core', 'status')).voters.find((v: any) => v.id === leader);
    expect(leaderStatus.firstIndex, 'the leader compacted its log').to.be.greaterThan(100);
    await fx.json('node', 'start', lagger);
    await waitFor('catch-up from a snapshot', async () => (await serializableGet(c, lagger, '/snap/7/39')).kvs[0]?.value === '39');
    const logs = await fx.ccm('logs', lagger, '-n', '500');
    expect(logs.stdout).to.include('raft-snapshot-restored');
    const range = await c.call<any>('GET', '/v1/kv', undefined, { node: lagger, query: { key: '/', prefix: true, serializable: true } });
    expect(range.count).to.equal(1 + 30 + 320);
  });

  it('answers no_leader quickly when no quorum exists, instead of hanging', async () => {
    await fx.json('up', '--nodes', '3', '--no-heal');
    await fx.client().put('/x', '1');
    await fx.json('node', 'kill', 'n2');
    await fx.json('node', 'kill', 'n3');
    // The node answers no_leader within about a second; the client retries that until its own deadline.
    const c = fx.client({ timeoutMs: 3000 });
    const started = Date.now();
    let err: unknown;
    try {
      await c.put('/x', '2');
    } catch (e) {
      err = e;
    }
    expect(Date.now() - started, 'failed by its deadline').to.be.lessThan(4500);
    expect((err as CcmError).code).to.be.oneOf(['no_leader', 'timeout']);
    const r = await fx.ccm('kv', 'put', '/x', '3', '--timeout', '2000');
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/no Raft leader|may or may not have happened/);
  });
});
