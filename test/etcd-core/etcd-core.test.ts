import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { CcmError } from '../../src/errors/ccm-error.js';
import { EtcdCore } from '../../src/etcd-core/etcd-core.js';
import { etcdMissingReason, startLocalEtcd, type LocalEtcdCluster } from '../../src/etcd-core/local-etcd.js';
import type { WatchEvent } from '../../src/core/kv-types.js';
import { callWithin } from '../../src/services/core-port.js';
import { LeaseManager } from '../../src/services/lease-manager.js';
import { SystemClock } from '../../src/time/clock.js';
import { systemScheduler } from '../../src/time/scheduler.js';

/**
 * What is particular to the etcd implementation of the core port (the services' behaviour is the conformance
 * suite's): connecting and failing to, deadlines, a member killed under a read and a watch, lease TTLs in etcd's
 * whole seconds, ids, fences never granted, deletes that keep ccm's keys, and a stop that leaves nothing behind.
 */
describe('EtcdCore on a local 3-member etcd (real processes)', function () {
  this.timeout(60_000);
  let cluster: LocalEtcdCluster | null = null;
  let core: EtcdCore;
  const call = (ms = 10_000) => callWithin(systemScheduler, ms);
  const make = (endpoints: string[]) => new EtcdCore({ endpoints, nodeId: 'n1', clock: new SystemClock(), scheduler: systemScheduler });

  before(async function () {
    const missing = etcdMissingReason();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    cluster = await startLocalEtcd({ size: 3 });
    core = make(cluster.endpoints);
    await core.start();
  });
  after(async () => {
    await core?.stop();
    await cluster?.stop();
  });

  it('start() against endpoints where nothing answers: unavailable, naming them, in bounded time', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const err = await make([endpoint])
      .start()
      .then(() => null, (e: CcmError) => e);
    expect(err?.code).to.equal('unavailable');
    expect(err?.message).to.include(endpoint);
    expect(Date.now() - started).to.be.below(15_000);
    expect(() => make(['not an endpoint'])).to.throw(/host:port/);
  });

  it('members(): every member with its health, one leader, raft index and version', async () => {
    const members = await core.members();
    expect(members).to.have.length(3);
    expect(members.every((m) => m.healthy && m.raftIndex > 0 && /^3\./.test(m.version))).to.equal(true);
    expect(members.filter((m) => m.leader)).to.have.length(1);
    expect(members.map((m) => m.endpoint).sort()).to.deep.equal([...cluster!.endpoints].sort());
  });

  it('leases: ids below 2^53, TTL rounded up to whole seconds and etcd\'s minimum; unknown leases are not_found', async () => {
    const leases = new LeaseManager(core.serviceContext());
    const g = await leases.grant(1500, 'ttl', call());
    expect(Number.isSafeInteger(g.id)).to.equal(true);
    expect(g.ttlMs).to.be.at.least(2000);
    const view = await leases.lease(g.id, call());
    expect(view.ttlLeftMs! % 1000).to.equal(0);
    const put = await core.write({ op: 'put', key: '/x/unknown-lease', value: 'v', lease: 4242 }, call()).then(
      () => null,
      (e: CcmError) => e,
    );
    expect(put?.code).to.equal('not_found');
    expect((await leases.renew(undefined, 4242, 'x'.repeat(32), call()).catch((e: CcmError) => e)) as CcmError).to.have.property('code', 'not_found');
    await leases.revoke(g.id, g.secret, call());
  });

  it('a fence with a token never granted is refused as never granted; a delete with keepReserved keeps /ccm/', async () => {
    const refused = await core.write({ op: 'put', key: '/x/f', value: 'v', fence: { resource: 'never-granted', token: 5 } }, call()).then(
      () => null,
      (e: CcmError) => e,
    );
    expect(refused?.code).to.equal('stale_token');
    expect(refused?.message).to.match(/never granted/);
    const leases = new LeaseManager(core.serviceContext());
    const g = await leases.acquire({ resource: 'keep-reserved', holder: 'h', ttlMs: 10_000 }, call());
    await core.write({ op: 'put', key: '/a', value: '1' }, call());
    await core.write({ op: 'put', key: '/z', value: '1' }, call());
    const r = await core.write({ op: 'delete', key: '/', prefix: true, keepReserved: true }, call());
    expect(r.deleted).to.be.at.least(2);
    const left = await core.read({ kind: 'range', key: '/', prefix: true }, false, call());
    expect(left.kvs.every((kv) => kv.key.startsWith('/ccm/'))).to.equal(true);
    expect((await leases.inspect('keep-reserved', call())).holder).to.equal('h');
    if (g.granted) await leases.release('keep-reserved', g.lease, g.secret, call());
  });

  it('a deadline is kept: every member paused, a write fails with timeout by its deadline', async () => {
    for (const m of cluster!.members) cluster!.pause(m.name);
    try {
      const started = Date.now();
      const err = await core.write({ op: 'put', key: '/x/paused', value: 'v' }, call(1500)).then(
        () => null,
        (e: CcmError) => e,
      );
      expect(['timeout', 'unavailable']).to.include(err?.code);
      expect(Date.now() - started).to.be.below(5000);
    } finally {
      for (const m of cluster!.members) cluster!.resume(m.name);
    }
    await core.write({ op: 'put', key: '/x/paused', value: 'after' }, call(20_000));
  });

  it('stop() leaves no timer, stream or socket: a process that used a core and stopped it exits by itself', async () => {
    // Run in a process of its own: it exits only if nothing of the core is left holding the event loop.
    const moduleUrl = new URL('../../src/etcd-core/etcd-core.js', import.meta.url).href;
    const program = `
      import { EtcdCore } from ${JSON.stringify(moduleUrl)};
      const scheduler = { now: () => Date.now(), after: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); },
        every: (ms, fn) => { const t = setInterval(fn, ms); return () => clearInterval(t); }, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
      const clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };
      const c = new EtcdCore({ endpoints: ${JSON.stringify(cluster!.endpoints)}, nodeId: 'child', clock, scheduler });
      await c.start();
      c.subscribe({ key: '/s/', prefix: true, fromRevision: 0 }, { onBatch: () => {}, onError: () => {} });
      await c.write({ op: 'put', key: '/s/1', value: 'v' }, { deadline: Date.now() + 5000, hops: 0 });
      await c.write({ op: 'lease-grant', ttlMs: 5000, atMs: Date.now() }, { deadline: Date.now() + 5000, hops: 0 });
      await c.stop();
      const err = await c.write({ op: 'put', key: '/s/2', value: 'v' }, { deadline: Date.now() + 5000, hops: 0 }).then(() => null, (e) => e);
      console.log(err?.code);
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, `the process did not exit by itself within 20 s (output: ${output})`).to.equal(0);
    expect(output.trim()).to.equal('unavailable');
    expect(Date.now() - started).to.be.below(20_000);
  });

  it('a member killed: reads go on through the others, a watch resumes from its last revision and misses nothing', async () => {
    const events: WatchEvent[] = [];
    let failed: CcmError | null = null;
    const first = await core.write({ op: 'put', key: '/kill/0', value: '0' }, call());
    const stop = core.subscribe({ key: '/kill/', prefix: true, fromRevision: first.revision }, { onBatch: (b) => events.push(...b.events), onError: (e) => (failed = e) });
    try {
      // The member this client speaks to first is killed.
      const served = (await core.read({ kind: 'range', key: '/kill/0', prefix: false }, false, call())).servedBy;
      const victim = cluster!.members.find((m) => served.endsWith(m.clientUrl.replace('http://', '')))!;
      cluster!.kill(victim.name);
      // A write in flight when the leader dies may fail (timeout: its outcome unknown); a put is safe to repeat.
      const until = Date.now() + 40_000;
      for (let i = 1; i <= 5; i++) {
        for (;;) {
          const ok = await core.write({ op: 'put', key: `/kill/${i}`, value: String(i) }, call(10_000)).then(
            () => true,
            (e: CcmError) => {
              if (Date.now() > until) throw e;
              return false;
            },
          );
          if (ok) break;
        }
      }
      const read = await core.read({ kind: 'range', key: '/kill/', prefix: true }, false, call(20_000));
      expect(read.kvs).to.have.length(6);
      while (new Set(events.map((e) => e.kv.key)).size < 6 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(failed).to.equal(null);
      expect([...new Set(events.map((e) => e.kv.key))].sort()).to.deep.equal(['/kill/0', '/kill/1', '/kill/2', '/kill/3', '/kill/4', '/kill/5']);
      const revisions = events.map((e) => e.kv.modRevision);
      expect(revisions).to.deep.equal([...revisions].sort((a, b) => a - b));
      cluster!.restart(victim.name);
    } finally {
      stop();
    }
  });


  // Last: it turns authentication on for the cluster.
  it('auth: with a user and password the core works; a wrong password is refused as unauthenticated', async function () {
    if (!existsSync('/usr/bin/etcdctl')) this.skip();
    const etcdctl = (...args: string[]) => execFileSync('/usr/bin/etcdctl', ['--endpoints', cluster!.endpoints.join(','), ...args], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' });
    etcdctl('user', 'add', 'root:root-secret');
    etcdctl('auth', 'enable');
    const authed = new EtcdCore({ endpoints: cluster!.endpoints, nodeId: 'n1', clock: new SystemClock(), scheduler: systemScheduler, auth: { username: 'root', password: 'root-secret' } });
    try {
      await authed.start();
      const leases = new LeaseManager(authed.serviceContext());
      const g = await leases.acquire({ resource: 'authed', holder: 'h', ttlMs: 5000 }, call());
      expect(g.granted).to.equal(true);
      const wrong = new EtcdCore({ endpoints: cluster!.endpoints, nodeId: 'n2', clock: new SystemClock(), scheduler: systemScheduler, auth: { username: 'root', password: 'wrong' } });
      const err = await wrong.start().then(
        () => null,
        (e: CcmError) => e,
      );
      await wrong.stop();
      expect(err?.code, err?.message).to.equal('unauthenticated');
      // Without credentials, etcd refuses the calls.
      const anonymous = await core.write({ op: 'put', key: '/x/anon', value: 'v' }, call()).then(
        () => null,
        (e: CcmError) => e,
      );
      expect(['unauthenticated', 'permission_denied', 'invalid_argument']).to.include(anonymous?.code);
    } finally {
      await authed.stop();
    }
  });
});
