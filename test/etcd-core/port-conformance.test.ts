import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { Command } from '../../src/core/commands.js';
import { EtcdCore } from '../../src/etcd-core/etcd-core.js';
import { etcdMissingReason, startLocalEtcd, type LocalEtcdCluster } from '../../src/etcd-core/local-etcd.js';
import { SeededRandom } from '../../src/random/random.js';
import { ConfigManager } from '../../src/services/config-manager.js';
import { callWithin, type CallOptions, type CorePort, type ServiceContext, type WatchBatch } from '../../src/services/core-port.js';
import { Election } from '../../src/services/election.js';
import { LeaseManager } from '../../src/services/lease-manager.js';
import { newLeaseSecret } from '../../src/services/lease-secret.js';
import { ServiceRegistry } from '../../src/services/service-registry.js';
import { KernelScheduler } from '../../src/sim/kernel/kernel-scheduler.js';
import { SimKernel } from '../../src/sim/kernel/sim-kernel.js';
import { SimCore } from '../../src/sim/services/sim-core.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase } from '../../src/storage/database.js';
import { SystemClock } from '../../src/time/clock.js';
import { systemScheduler } from '../../src/time/scheduler.js';
import type { WatchEvent } from '../../src/core/kv-types.js';

/**
 * The core port's conformance suite: the real services (LeaseManager, ConfigManager, ServiceRegistry, Election) and
 * watches, case for case on two implementations of CorePort — the simulated core (ccm's own state machine, virtual
 * time run as fast as it goes) and EtcdCore on a real 3-member etcd (Debian's etcd-server; skipped, saying why, where
 * /usr/bin/etcd is missing). A case says what a service promises, never which backend it runs on; where the backends
 * differ (lease TTLs in whole seconds with a minimum on etcd, etcd's own revision numbers and lease ids), a case
 * asserts only what both promise. The last case shows the suite can fail: a port that drops fences fails it.
 */

interface Backend {
  name: string;
  core: CorePort;
  ctx(nodeId: string): ServiceContext;
  stop(): Promise<void>;
}

/** ccm's core in virtual time: the kernel runs as fast as it can, so TTLs pass in a blink of real time. */
function simBackend(): Backend {
  const kernel = new SimKernel();
  const scheduler = new KernelScheduler(kernel);
  const random = new SeededRandom(13);
  const db = openDatabase(':memory:');
  const core = new SimCore(new SqliteStateStore(db), scheduler, random.fork());
  let isRunning = true;
  const pump = (async () => {
    while (isRunning) {
      await scheduler.runFor(20);
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    name: 'ccm core (simulated)',
    core,
    ctx: (nodeId) => ({ core, clock: kernel.clock, scheduler, nodeId, random: () => random.next() }),
    async stop() {
      isRunning = false;
      await pump;
      core.stop();
      db.close();
    },
  };
}

async function etcdBackend(cluster: LocalEtcdCluster): Promise<Backend> {
  const cores: EtcdCore[] = [];
  const make = async (nodeId: string): Promise<EtcdCore> => {
    const c = new EtcdCore({ endpoints: cluster.endpoints, nodeId, clock: new SystemClock(), scheduler: systemScheduler });
    await c.start();
    cores.push(c);
    return c;
  };
  // Two nodes' cores: services on n1 and n2 share one etcd, as ccm nodes share their core.
  const n1 = await make('n1');
  const n2 = await make('n2');
  return {
    name: 'etcd',
    core: n1,
    ctx: (nodeId) => (nodeId === 'n2' ? n2 : n1).serviceContext(),
    async stop() {
      await Promise.all(cores.map((c) => c.stop()));
    },
  };
}

/** A port that drops every write's fence: what a backend that forgot the fence compares would be. */
function droppingFences(core: CorePort): CorePort {
  return {
    write: (command, opts) => {
      if ('fence' in command && command.fence) {
        const { fence: _dropped, ...unfenced } = command;
        return core.write(unfenced as typeof command, opts);
      }
      return core.write(command, opts);
    },
    read: (r, s, o) => core.read(r, s, o),
    subscribe: (spec, h) => core.subscribe(spec, h),
  };
}

const call = (ctx: ServiceContext, ms = 10_000): CallOptions => callWithin(ctx.scheduler, ms);

/** Waits, in the backend's time, until `check` answers a value (generous: conditions, never timings). */
async function eventually<T>(ctx: ServiceContext, what: string, check: () => Promise<T | null | undefined>, withinMs = 20_000): Promise<T> {
  const until = ctx.scheduler.now() + withinMs;
  for (;;) {
    const v = await check().catch(() => null);
    if (v !== null && v !== undefined) return v;
    if (ctx.scheduler.now() > until) throw new Error(`not within ${withinMs} ms: ${what}`);
    await ctx.scheduler.sleep(100);
  }
}

async function rejection(p: Promise<unknown>): Promise<CcmError> {
  try {
    await p;
  } catch (err) {
    return err as CcmError;
  }
  throw new Error('expected the call to fail');
}

let unique = 0;
const name = (what: string): string => `${what}-${process.pid}-${++unique}`;

/** The fencing case: also run on a broken port, to show it fails there. */
async function fencingCase(ctx: ServiceContext, core: CorePort): Promise<void> {
  const leases = new LeaseManager(ctx);
  const resource = name('fenced');
  const data = `/data/${resource}`;
  const first = await leases.acquire({ resource, holder: 'old', ttlMs: 2000 }, call(ctx));
  if (!first.granted) throw new Error('not granted');
  await core.write({ op: 'put', key: data, value: 'old-1', fence: { resource, token: first.token } }, call(ctx));
  // The holder stalls past its TTL (no renewals); a new holder is granted with a larger token.
  const second = await leases.acquire({ resource, holder: 'new', ttlMs: 10_000, wait: true, waitTimeoutMs: 20_000 }, call(ctx, 30_000));
  if (!second.granted) throw new Error('not granted');
  expect(second.token).to.be.greaterThan(first.token);
  await core.write({ op: 'put', key: data, value: 'new-1', fence: { resource, token: second.token } }, call(ctx));
  // The old holder wakes up and writes with its token: refused, nothing written.
  const refused = await rejection(core.write({ op: 'put', key: data, value: 'old-2', fence: { resource, token: first.token } }, call(ctx)));
  expect(refused.code, refused.message).to.equal('stale_token');
  const txnRefused = await rejection(core.write({ op: 'txn', compare: [], success: [{ op: 'put', key: data, value: 'old-3' }], failure: [], fence: { resource, token: first.token } }, call(ctx)));
  expect(txnRefused.code).to.equal('stale_token');
  const now = await core.read({ kind: 'range', key: data, prefix: false }, false, call(ctx));
  expect(now.kvs.map((kv) => kv.value)).to.deep.equal(['new-1']);
  await leases.release(resource, second.lease, second.secret, call(ctx));
}

function conformance(backendName: string, setup: () => Promise<Backend>): void {
  describe(`core port conformance: ${backendName}`, function () {
    this.timeout(60_000);
    let b: Backend;
    before(async function () {
      b = await setup();
    });
    after(async () => {
      await b?.stop();
    });

    it('lease manager: a grant has a token; a try-acquire of a held resource is refused with its holder', async () => {
      const ctx = b.ctx('n1');
      const leases = new LeaseManager(ctx);
      const resource = name('held');
      const g = await leases.acquire({ resource, holder: 'alice', ttlMs: 10_000 }, call(ctx));
      expect(g.granted).to.equal(true);
      if (!g.granted) return;
      expect(g.token).to.be.greaterThan(0);
      const other = await new LeaseManager(b.ctx('n2')).acquire({ resource, holder: 'bob', ttlMs: 10_000 }, call(ctx));
      expect(other.granted).to.equal(false);
      if (other.granted) return;
      expect(other.heldBy).to.include({ holder: 'alice', lease: g.lease, token: g.token });
      const view = await leases.inspect(resource, call(ctx));
      expect(view).to.include({ resource, holder: 'alice', lease: g.lease, token: g.token });
      // A wrong secret cannot release it; the right one can, and then it is free.
      expect((await rejection(leases.release(resource, g.lease, newLeaseSecret().secret, call(ctx)))).code).to.equal('permission_denied');
      await leases.release(resource, g.lease, g.secret, call(ctx));
      expect((await rejection(leases.inspect(resource, call(ctx)))).code).to.equal('not_found');
    });

    it('lease manager: FIFO hand-over on release, each grant with a larger token', async () => {
      const ctx = b.ctx('n1');
      const leases = new LeaseManager(ctx);
      const resource = name('fifo');
      const first = await leases.acquire({ resource, holder: 'h1', ttlMs: 10_000 }, call(ctx));
      if (!first.granted) throw new Error('not granted');
      const second = leases.acquire({ resource, holder: 'h2', ttlMs: 10_000, wait: true, waitTimeoutMs: 20_000 }, call(ctx, 30_000));
      await eventually(ctx, 'h2 queued', async () => ((await leases.inspect(resource, call(ctx))).waiting.length === 1 ? true : null));
      const third = new LeaseManager(b.ctx('n2')).acquire({ resource, holder: 'h3', ttlMs: 10_000, wait: true, waitTimeoutMs: 20_000 }, call(ctx, 30_000));
      const queue = await eventually(ctx, 'h3 queued', async () => {
        const v = await leases.inspect(resource, call(ctx));
        return v.waiting.length === 2 ? v.waiting.map((w) => w.holder) : null;
      });
      expect(queue).to.deep.equal(['h2', 'h3']);
      const released = await leases.release(resource, first.lease, first.secret, call(ctx));
      expect(released.nextHolder).to.equal('h2');
      const got2 = await second;
      if (!got2.granted) throw new Error('h2 not granted');
      expect(got2.token).to.be.greaterThan(first.token);
      expect((await leases.inspect(resource, call(ctx))).waiting.map((w) => w.holder)).to.deep.equal(['h3']);
      await leases.release(resource, got2.lease, got2.secret, call(ctx));
      const got3 = await third;
      if (!got3.granted) throw new Error('h3 not granted');
      expect(got3.token).to.be.greaterThan(got2.token);
      await leases.release(resource, got3.lease, got3.secret, call(ctx));
    });

    it("lease manager: the holder's lease runs out, the waiter gets the resource", async () => {
      const ctx = b.ctx('n1');
      const leases = new LeaseManager(ctx);
      const resource = name('expiry');
      const holder = await leases.acquire({ resource, holder: 'stalled', ttlMs: 2000 }, call(ctx));
      if (!holder.granted) throw new Error('not granted');
      const started = ctx.scheduler.now();
      const waiter = await new LeaseManager(b.ctx('n2')).acquire({ resource, holder: 'next', ttlMs: 10_000, wait: true, waitTimeoutMs: 20_000 }, call(ctx, 30_000));
      if (!waiter.granted) throw new Error('waiter not granted');
      expect(waiter.token).to.be.greaterThan(holder.token);
      // Not before the holder's TTL ran out (etcd's TTL is whole seconds: at least as long).
      expect(ctx.scheduler.now() - started).to.be.at.least(1500);
      // The old holder's lease is gone: it can neither renew nor release.
      expect((await rejection(leases.renew(resource, holder.lease, holder.secret, call(ctx)))).code).to.equal('not_found');
      await leases.release(resource, waiter.lease, waiter.secret, call(ctx));
    });

    it("lease manager: a fencing token refuses a stale holder's write (put and txn)", async () => {
      await fencingCase(b.ctx('n1'), b.core);
    });

    it('lease manager: renew keeps a lease past its TTL; the lease is listed with its keys', async () => {
      const ctx = b.ctx('n1');
      const leases = new LeaseManager(ctx);
      const granted = await leases.grant(2000, 'conformance', call(ctx));
      await b.core.write({ op: 'put', key: `/data/${name('leased')}`, value: 'v', lease: granted.id }, call(ctx));
      for (let i = 0; i < 5; i++) {
        await ctx.scheduler.sleep(600);
        await leases.renew(undefined, granted.id, granted.secret, call(ctx));
      }
      const view = await leases.lease(granted.id, call(ctx));
      expect(view.owner).to.equal('conformance');
      expect(view.keys).to.have.length(1);
      expect((await leases.leases(call(ctx))).map((l) => l.id)).to.include(granted.id);
      const revoked = await leases.revoke(granted.id, granted.secret, call(ctx));
      expect(revoked.deletedKeys).to.equal(1);
      expect((await rejection(leases.lease(granted.id, call(ctx)))).code).to.equal('not_found');
    });

    it('config manager: typed set, versions, history and rollback', async () => {
      const ctx = b.ctx('n1');
      const config = new ConfigManager(ctx);
      const key = name('cfg');
      const v1 = await config.set({ name: key, value: '10', type: 'int' }, call(ctx));
      expect(v1).to.include({ version: 1, value: 10, type: 'int' });
      const v2 = await config.set({ name: key, value: 20 }, call(ctx));
      expect(v2).to.include({ version: 2, value: 20 });
      expect((await rejection(config.set({ name: key, value: 'twenty' }, call(ctx)))).code).to.equal('invalid_argument');
      expect((await rejection(config.set({ name: key, value: 30, ifVersion: 1 }, call(ctx)))).code).to.equal('failed_precondition');
      const v3 = await config.rollback({ name: key, toVersion: 1 }, call(ctx));
      expect(v3).to.include({ version: 3, value: 10, kind: 'rollback' });
      const history = await config.history(key, call(ctx));
      expect(history.versions.map((v) => [v.version, v.value])).to.deep.equal([
        [1, 10],
        [2, 20],
        [3, 10],
      ]);
      expect(await config.get(key, call(ctx))).to.include({ version: 3, value: 10 });
    });

    it('service registry: an instance registered with a lease is deregistered when the lease runs out', async () => {
      const ctx = b.ctx('n1');
      const registry = new ServiceRegistry(ctx);
      const service = name('svc');
      const kept = await registry.register(service, { id: `${service}-a`, address: '127.0.0.1', port: 8080, ttlMs: 10_000 }, call(ctx));
      await registry.register(service, { id: `${service}-b`, address: '127.0.0.1', port: 8081, ttlMs: 2000 }, call(ctx));
      expect((await rejection(registry.register(service, { id: `${service}-a`, address: '127.0.0.1', port: 9, ttlMs: 2000 }, call(ctx)))).code).to.equal('already_exists');
      expect((await registry.lookup(service, true, call(ctx))).instances.map((i) => i.id).sort()).to.deep.equal([`${service}-a`, `${service}-b`]);
      // b is not renewed: gone once its lease ends; a is renewed and stays.
      const left = await eventually(ctx, 'b deregistered at expiry', async () => {
        await registry.renew(`${service}-a`, kept.secret, call(ctx));
        const ids = (await registry.lookup(service, true, call(ctx))).instances.map((i) => i.id);
        return ids.length === 1 ? ids : null;
      });
      expect(left).to.deep.equal([`${service}-a`]);
      await registry.deregister(`${service}-a`, kept.secret, call(ctx));
      expect((await registry.lookup(service, true, call(ctx))).instances).to.deep.equal([]);
    });

    it('election: campaign, leader with candidates in line, resign hands leadership to the next', async () => {
      const c1 = b.ctx('n1');
      const c2 = b.ctx('n2');
      const e1 = new Election(new LeaseManager(c1), c1.core);
      const e2 = new Election(new LeaseManager(c2), c2.core);
      const election = name('el');
      const lead1 = await e1.campaign({ name: election, id: 'c1', ttlMs: 10_000 }, call(c1), () => false);
      const pending = e2.campaign({ name: election, id: 'c2', ttlMs: 10_000, waitTimeoutMs: 20_000 }, call(c2, 30_000), () => false);
      const view = await eventually(c1, 'c2 in line', async () => {
        const v = await e1.leader(election, call(c1));
        return v.candidates.length === 1 ? v : null;
      });
      expect(view.leader).to.include({ id: 'c1', token: lead1.token });
      expect(view.candidates.map((c) => c.id)).to.deep.equal(['c2']);
      const resigned = await e1.resign(election, lead1.lease, lead1.secret, call(c1));
      expect(resigned.nextLeader).to.equal('c2');
      const lead2 = await pending;
      expect(lead2.token).to.be.greaterThan(lead1.token);
      expect((await e2.leader(election, call(c2))).leader).to.include({ id: 'c2' });
      await e2.resign(election, lead2.lease, lead2.secret, call(c2));
      expect((await e1.leader(election, call(c1))).leader).to.equal(null);
    });

    it('watch: a prefix from a past revision, in order, with prev_kv; then live changes', async () => {
      const ctx = b.ctx('n1');
      const prefix = `/w/${name('watch')}/`;
      const w = (c: Command) => b.core.write(c, call(ctx));
      const first = await b.core.write({ op: 'put', key: `${prefix}a`, value: '1' }, call(ctx));
      await w({ op: 'put', key: `${prefix}a`, value: '2' });
      await w({ op: 'put', key: `/w/${name('outside')}`, value: 'x' });
      await w({ op: 'delete', key: `${prefix}a` });
      const events: WatchEvent[] = [];
      const batches: WatchBatch[] = [];
      let failed: CcmError | null = null;
      const stop = b.core.subscribe(
        { key: prefix, prefix: true, fromRevision: first.revision, prevKv: true },
        {
          onBatch: (batch) => {
            batches.push(batch);
            events.push(...batch.events);
          },
          onError: (e) => (failed = e),
        },
      );
      try {
        await eventually(ctx, 'the 3 past events', async () => (events.length >= 3 ? true : null));
        await w({ op: 'put', key: `${prefix}b`, value: 'live' });
        await eventually(ctx, 'the live event', async () => (events.length >= 4 ? true : null));
        expect(failed).to.equal(null);
        expect(events.map((e) => [e.type, e.kv.key.slice(prefix.length), e.kv.value])).to.deep.equal([
          ['put', 'a', '1'],
          ['put', 'a', '2'],
          ['delete', 'a', ''],
          ['put', 'b', 'live'],
        ]);
        // prev_kv: none for a creation; the key before an update and before a delete.
        expect(events[0].prev).to.equal(undefined);
        expect(events[1].prev?.value).to.equal('1');
        expect(events[2].prev?.value).to.equal('2');
        const revisions = events.map((e) => e.kv.modRevision);
        expect(revisions).to.deep.equal([...revisions].sort((x, y) => x - y));
        expect(revisions[0]).to.equal(first.revision);
        expect(batches[batches.length - 1].revision).to.be.at.least(revisions[3]);
      } finally {
        stop();
      }
    });

    it('watch: a start below the compacted history ends with compacted', async () => {
      const ctx = b.ctx('n1');
      const key = `/w/${name('compact')}`;
      const first = await b.core.write({ op: 'put', key, value: '1' }, call(ctx));
      const second = await b.core.write({ op: 'put', key, value: '2' }, call(ctx));
      await b.core.write({ op: 'compact', revision: second.revision }, call(ctx));
      const err = await new Promise<CcmError>((resolve, reject) => {
        const stop = b.core.subscribe(
          { key, prefix: false, fromRevision: first.revision },
          {
            onBatch: () => {
              stop();
              reject(new Error('a compacted start delivered events'));
            },
            onError: resolve,
          },
        );
      });
      expect(err.code).to.equal('compacted');
    });

    it('can fail: on a port that drops fences, the fencing case fails (a stale write goes through)', async () => {
      const ctx = b.ctx('n1');
      const broken = droppingFences(b.core);
      const err = await fencingCase({ ...ctx, core: broken }, broken).then(
        () => null,
        (e: Error) => e,
      );
      expect(err, 'the fencing case passed on a port without fences').to.not.equal(null);
      expect(err!.message).to.match(/stale_token|expected/);
    });
  });
}

conformance('ccm core (simulated)', async () => simBackend());

describe('core port conformance on etcd', function () {
  this.timeout(60_000);
  let cluster: LocalEtcdCluster | null = null;
  before(async function () {
    const missing = etcdMissingReason();
    if (missing) this.skip();
    cluster = await startLocalEtcd({ size: 3 });
  });
  after(async () => {
    await cluster?.stop();
  });
  conformance('etcd (3 local members)', async () => {
    if (!cluster) throw new Error(`skipped: ${etcdMissingReason()}`);
    return etcdBackend(cluster);
  });
});
