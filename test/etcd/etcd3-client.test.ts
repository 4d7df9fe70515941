import { expect } from 'chai';
import { Etcd3, EtcdAuthenticationFailedError, EtcdLockFailedError, type IKeyValue } from 'etcd3';
import { EtcdClient } from '../../src/etcd/etcd-client.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/**
 * The `etcd3` npm client (another implementation of etcd's client, on grpc-js) through a small workload against a
 * ccm cluster: compare-and-set increments from many clients, a watcher that must see every increment in order, a
 * counter behind etcd3's lock, leases with keep-alive, an election, and the maintenance and cluster calls. Every
 * client authenticates with the cluster's client token (user `ccm`), as the nodes require.
 */
describe('the etcd3 client against ccm (real processes)', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  let hosts: string[];
  let token: string;
  const clients: Etcd3[] = [];
  const client = (auth: { username: string; password: string } | null = { username: 'ccm', password: token }, on = hosts): Etcd3 => {
    const c = new Etcd3({ hosts: on, dialTimeout: 5000, ...(auth ? { auth } : {}) });
    clients.push(c);
    return c;
  };

  before(async () => {
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '3', '--no-heal');
    hosts = fx.clusterFile().nodes.map((n: { ports: { etcd: number } }) => `http://127.0.0.1:${n.ports.etcd}`);
    token = (await fx.json<{ CCM_TOKEN: string }>('env')).CCM_TOKEN;
  });
  after(async () => {
    for (const c of clients) c.close();
    if (fx !== undefined) await expectNoProcessLeft(fx);
  });

  it("the etcd API needs the cluster's client token: without it, or with a wrong one, a call is refused with etcd's errors and counted", async () => {
    const n1 = [hosts[0]];
    const failure = (p: Promise<unknown>): Promise<Error> => p.then(() => expect.fail('the call was accepted'), (err: Error) => err);
    const noToken = await failure(client(null, n1).put('/e3/auth').value('x').options({ deadline: Date.now() + 10_000 }).exec());
    expect(noToken.message).to.include('etcdserver: user name is empty');
    const wrongPassword = await failure(client({ username: 'ccm', password: 'not-the-token' }, n1).put('/e3/auth').value('x').options({ deadline: Date.now() + 10_000 }).exec());
    expect(wrongPassword).to.be.instanceOf(EtcdAuthenticationFailedError);
    // A token sent as is (ccm's etcd client, as a chaos run's etcd workload sends it), not through Authenticate.
    const raw = new EtcdClient(`127.0.0.1:${hosts[0].split(':').pop()}`, { token: `${token}x` });
    try {
      const wrongToken = await failure(raw.get('/e3/auth', { timeoutMs: 10_000 }));
      expect(wrongToken.message).to.include('etcdserver: invalid auth token');
    } finally {
      raw.close();
    }
    expect(await client(null, n1).get('/e3/auth').options({ deadline: Date.now() + 10_000 }).string().catch(() => 'refused')).to.equal('refused');
    // Nothing was written by the refused calls; with the token, the same calls work.
    expect(await client().get('/e3/auth').string()).to.equal(null);
    await client(undefined, n1).put('/e3/auth').value('x');
    expect(await client().get('/e3/auth').string()).to.equal('x');
    const metrics = (await fx.ccm('metrics', 'n1', '--raw')).stdout;
    for (const reason of ['no token', 'invalid token', 'authentication failed']) {
      expect(metrics).to.match(new RegExp(`^ccm_etcd_refused_total\\{reason="${reason}"\\} [1-9]`, 'm'));
    }
  });

  it('compare-and-set increments from 8 clients: none lost, none doubled, and a watcher sees each in order', async () => {
    const watcherClient = client();
    const watcher = await watcherClient.watch().key('/e3/counter').create();
    const seen: IKeyValue[] = [];
    watcher.on('put', (kv) => seen.push(kv));
    const workers = 8;
    const each = 12;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const c = client();
        for (let done = 0; done < each; ) {
          const current = await c.get('/e3/counter').exec();
          const kv = current.kvs[0];
          const value = kv ? Number(kv.value.toString()) : 0;
          const txn = kv ? c.if('/e3/counter', 'Mod', '==', Number(kv.mod_revision)) : c.if('/e3/counter', 'Create', '==', 0);
          const r = await txn.then(c.put('/e3/counter').value(String(value + 1))).commit();
          if (r.succeeded) done++;
          else conflicts++;
          if (w === 0 && done === 1) expect(r.header.revision).to.not.equal(undefined);
        }
      }),
    );
    const total = workers * each;
    expect(Number(await client().get('/e3/counter').string())).to.equal(total);
    await waitFor('the watcher saw every increment', () => seen.length >= total, 20_000);
    expect(seen.map((kv) => Number(kv.value.toString()))).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
    const revs = seen.map((kv) => Number(kv.mod_revision));
    expect(revs).to.deep.equal([...revs].sort((a, b) => a - b));
    expect(conflicts, 'concurrent clients collided at least once (the compare was exercised)').to.be.greaterThan(0);
    await watcher.cancel();
  });

  it('a counter behind etcd3\'s lock: 4 workers, read-modify-write without compares, nothing lost', async () => {
    const workers = 4;
    const each = 5;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const c = client();
        for (let done = 0; done < each; ) {
          try {
            await c.lock('/e3/lock').ttl(10).do(async () => {
              const n = Number((await c.get('/e3/locked-counter').string()) ?? '0');
              await new Promise((r) => setTimeout(r, 5));
              await c.put('/e3/locked-counter').value(String(n + 1));
            });
            done++;
          } catch (err) {
            if (!(err instanceof EtcdLockFailedError)) throw err; // held by another worker: try again
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }),
    );
    expect(Number(await client().get('/e3/locked-counter').string())).to.equal(workers * each);
  });

  it('a lease kept alive outlives its TTL; revoked, its keys go; time-to-live and the lease list see it', async () => {
    const c = client();
    const lease = c.lease(2);
    let keepalives = 0;
    lease.on('keepaliveSucceeded', () => keepalives++);
    await lease.put('/e3/leased').value('x');
    const id = await lease.grant();
    expect(BigInt(id) > 0n).to.equal(true);
    await waitFor('two keep-alives', () => keepalives >= 2, 20_000);
    expect(await c.get('/e3/leased').string()).to.equal('x');
    const ttl = await c.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(Number(ttl.TTL)).to.be.within(0, 2);
    expect(Number(ttl.grantedTTL)).to.equal(2);
    expect(ttl.keys.map((k) => k.toString())).to.deep.equal(['/e3/leased']);
    const all = await c.leaseClient.leaseLeases();
    expect(all.leases.map((l) => l.ID)).to.include(id);
    await lease.revoke();
    expect(await c.get('/e3/leased').string()).to.equal(null);
  });

  it('an election: the first campaigner leads, the second takes over when the first resigns; an observer follows', async () => {
    const a = client().election('/e3/election');
    const b = client().election('/e3/election');
    const first = a.campaign('alpha');
    await first.wait();
    const observer = await client().election('/e3/election').observe();
    expect(observer.leader()).to.equal('alpha');
    const second = b.campaign('beta');
    let isSecondElected = false;
    void second.wait().then(() => (isSecondElected = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(isSecondElected).to.equal(false);
    await first.resign();
    await waitFor('beta elected', () => isSecondElected, 20_000);
    await waitFor('the observer follows', () => observer.leader() === 'beta', 20_000);
    await second.resign();
    await observer.cancel();
  });

  it('maintenance status and the member list describe the core', async () => {
    const c = client();
    const status = await c.maintenance.status();
    expect(status.version).to.match(/^3\./);
    expect(Number(status.raftTerm)).to.be.greaterThan(0);
    const members = await c.cluster.memberList({});
    expect(members.members.map((m) => m.name).sort()).to.deep.equal(['n1', 'n2', 'n3']);
    expect(members.members.map((m) => m.ID)).to.include(status.leader);
    for (const m of members.members) expect(hosts).to.include(m.clientURLs[0]);
  });

  it('ccm chaos run --workload etcd: the register workload through the etcd API with an etcd client, valid under kills', async () => {
    const r = await fx.ccm('chaos', 'run', '--workload', 'etcd', '--nemesis', 'kill', '--duration', '10s', '--interval', '2s', '--seed', '4', '--recovery', '2s', '--json');
    expect(r.exitCode, r.stderr || r.stdout).to.equal(0);
    const result = JSON.parse(r.stdout);
    expect(result).to.include({ verdict: 'valid', workload: 'etcd' });
    expect(result.checks.map((c: { checker: string }) => c.checker)).to.include.members(['linearizability', 'lost-writes']);
    expect(Number(result.stats.ok)).to.be.greaterThan(50);
  });
});
