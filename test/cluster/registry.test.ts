import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ServiceChange, ServiceInstanceView } from '../../src/api/api-types.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';
import { CliProcess } from '../services/cli-process.js';

/** A health endpoint the test controls: answers `status` to GET /health. */
class HealthEndpoint {
  status = 200;
  private readonly server = http.createServer((req, res) => {
    res.writeHead(this.status, { 'content-type': 'text/plain' });
    res.end(this.status === 200 ? 'ok' : 'failing on purpose');
  });

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** The service registry through real processes: leases, health checks run by the owning node, failover. */
describe('service registry (real processes)', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  const endpoint = new HealthEndpoint();
  let healthPort = 0;
  before(async () => {
    healthPort = await endpoint.start();
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '4', '--core', '3', '--no-heal');
  });
  after(async () => {
    await CliProcess.stopAll();
    await expectNoProcessLeft(fx);
    await endpoint.stop();
  });

  const lookupIds = async (service: string, all = false): Promise<string[]> =>
    (await fx.client().lookupService(service, { all })).instances.map((i) => i.id).sort();

  it('CLI: register, lookup, list, info, renew, deregister; an instance without a check is passing; bad input is refused and changes nothing', async () => {
    const reg = await fx.json<ServiceInstanceView & { secret: string }>('service', 'register', 'pay', '--id', 'pay-1', '--address', '127.0.0.1', '--port', '8080', '--ttl', '120s', '--tag', 'v2');
    expect(reg).to.deep.include({ service: 'pay', id: 'pay-1', address: '127.0.0.1', port: 8080, status: 'passing', check: null, ttlMs: 120_000, tags: ['v2'] });
    expect(reg.lease).to.be.a('number');
    const lookup = await fx.json('service', 'lookup', 'pay', '--all');
    expect(lookup.instances.map((i: ServiceInstanceView) => i.id)).to.deep.equal(['pay-1']);
    expect((await fx.json('service', 'lookup', 'pay')).instances).to.have.length(1);
    expect((await fx.json('service', 'list')).services).to.deep.equal([{ service: 'pay', instances: 1, passing: 1, warning: 0, critical: 0, tags: ['v2'] }]);
    expect((await fx.json('service', 'info', 'pay-1')).lease).to.equal(reg.lease);

    const leasesBefore = (await fx.client().leases()).leases.length;
    await Promise.all([
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-2', '--address', '127.0.0.1', '--port', '70000'], /port 70000 is out of range/),
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-1', '--address', '127.0.0.1', '--port', '9090'], /instance pay-1 is already registered \(service pay/),
      fx.expectFailure(['service', 'register', 'other', '--id', 'pay-1', '--address', '127.0.0.1', '--port', '9090'], /already registered/),
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-3', '--address', '127.0.0.1', '--port', '80', '--check', 'not-a-url'], /"not-a-url" is not a URL/),
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-3', '--address', '127.0.0.1', '--port', '80', '--ttl', '0s'], /ttl 0 ms is out of range/),
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-3', '--address', '127.0.0.1', '--port', '80', '--ttl', '-5s'], /out of range/),
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-3', '--address', '127.0.0.1', '--port', '80', '--ttl', '30d'], /out of range: use 1s to 7d/),
      fx.expectFailure(['service', 'register', 'pay', '--id', 'pay-3', '--address', '127.0.0.1', '--port', '80', '--ttl', 'soon'], /not a duration/),
      fx.expectFailure(['service', 'register', 'pay/x', '--id', 'pay-3', '--address', '127.0.0.1', '--port', '80'], /service name "pay\/x" is invalid/),
      fx.expectFailure(['service', 'deregister', 'nope-9', '--secret', 'A'.repeat(32)], /no instance nope-9 is registered/),
      fx.expectFailure(['service', 'renew', 'nope-9', '--secret', 'A'.repeat(32)], /no instance nope-9 is registered/),
      fx.expectFailure(['service', 'deregister', 'pay-1'], /--secret/),
    ]);
    // The HTTP API refuses the same without the CLI's own checks, and a duplicate leaves no lease behind.
    const c = fx.client();
    for (const [body, pattern] of [
      [{ id: 'pay-4', address: '127.0.0.1', port: 70000, ttlMs: 5000 }, /port 70000/],
      [{ id: 'pay-1', address: '127.0.0.1', port: 1, ttlMs: 5000 }, /already registered/],
      [{ id: 'pay-4', address: '127.0.0.1', port: 1, ttlMs: 5000, check: { http: 'http://x/', intervalMs: 1000, timeoutMs: 2000 } }, /shorter than the interval/],
    ] as [Record<string, unknown>, RegExp][]) {
      const err = await c.call('POST', '/v1/services/pay/instances', body).catch((e: Error) => e);
      expect((err as Error).message).to.match(pattern);
    }
    expect(await lookupIds('pay', true)).to.deep.equal(['pay-1']);
    expect(await lookupIds('other', true)).to.deep.equal([]);
    expect((await c.leases()).leases.length).to.equal(leasesBefore);

    // Renewing or deregistering needs the secret the registration returned, not just the public id.
    await fx.expectFailure(['service', 'renew', 'pay-1', '--secret', 'B'.repeat(32)], /wrong or missing secret/);
    expect((await fx.json('service', 'renew', 'pay-1', '--secret', reg.secret)).renewals).to.equal(1);
    // The instance's lease is an ordinary lease: `ccm lease renew --lease` keeps it too.
    expect((await fx.json('lease', 'renew', '--lease', String(reg.lease), '--secret', reg.secret)).renewals).to.equal(2);
    expect(await fx.json('service', 'deregister', 'pay-1', '--secret', reg.secret)).to.deep.include({ service: 'pay', id: 'pay-1', lease: reg.lease });
    expect(await lookupIds('pay', true)).to.deep.equal([]);
    await fx.expectFailure(['service', 'deregister', 'pay-1', '--secret', reg.secret], /no instance pay-1 is registered/);

    // Tied to a lease: gone once its owner stops renewing; kept while renewed (--keepalive), deregistered on Ctrl-C.
    await fx.json('service', 'register', 'pay', '--id', 'pay-ttl', '--address', '127.0.0.1', '--port', '8081', '--ttl', '2s');
    const keeper = new CliProcess(fx, ['service', 'register', 'pay', '--id', 'pay-kept', '--address', '127.0.0.1', '--port', '8082', '--ttl', '2s', '--keepalive']);
    await keeper.waitForLine('registered', (l) => l.startsWith('registered pay/pay-kept'));
    await waitFor('pay-ttl expired', async () => !(await lookupIds('pay', true)).includes('pay-ttl'), 15_000, 250);
    expect(await lookupIds('pay', true)).to.deep.equal(['pay-kept']);
    keeper.signal('SIGINT');
    expect((await keeper.exited).exitCode).to.equal(0);
    expect(await lookupIds('pay', true)).to.deep.equal([]);
  });

  it('checks run by the owning node: a failing HTTP check turns an instance critical, lookup leaves it out, and it is deregistered after its limit; watch sees it all', async () => {
    const watch = new CliProcess(fx, ['service', 'watch', 'web', '--json']);
    await new Promise((r) => setTimeout(r, 1500));
    endpoint.status = 200;
    const url = `http://127.0.0.1:${healthPort}/health`;
    const reg = await fx.json<ServiceInstanceView>('service', 'register', 'web', '--id', 'web-1', '--address', '127.0.0.1', '--port', String(healthPort), '--ttl', '60s', '--check', url, '--check-interval', '500ms', '--deregister-after', '8s', '--node', 'n2');
    expect(reg).to.deep.include({ status: 'critical', node: 'n2' });
    expect(reg.check).to.deep.equal({ kind: 'http', target: url, intervalMs: 500, timeoutMs: 250, deregisterAfterMs: 8000 });
    await fx.json('service', 'register', 'web', '--id', 'web-tcp', '--address', '127.0.0.1', '--port', String(healthPort), '--ttl', '60s', '--tcp-check', `127.0.0.1:${healthPort}`, '--check-interval', '500ms');
    await waitFor('both passing', async () => (await lookupIds('web')).join() === 'web-1,web-tcp');

    endpoint.status = 500;
    const critical = await waitFor('web-1 critical', async () => {
      const i = (await fx.client().lookupService('web', { all: true })).instances.find((x) => x.id === 'web-1');
      return i?.status === 'critical' ? i : null;
    });
    expect(critical!.output).to.match(/500/);
    expect(await lookupIds('web')).to.deep.equal(['web-tcp']);
    const all = await fx.json('service', 'lookup', 'web', '--all');
    expect(all.counts).to.deep.equal({ passing: 1, warning: 0, critical: 1 });
    expect((await fx.ccm('service', 'lookup', 'web', '--all')).stdout).to.match(/web-1\s+127\.0\.0\.1:\d+\s+critical\s+http/);
    // Critical for 8 s (long enough for the CLI checks above on a loaded machine): deregistered by n2, which runs its check.
    await waitFor('web-1 deregistered after its limit', async () => (await lookupIds('web', true)).join() === 'web-tcp', 30_000, 250);
    const criticalAt = critical!.criticalSinceMs!;
    expect(Date.now() - criticalAt).to.be.greaterThan(7500);
    const events = await fx.ccm('events', '--type', 'service-deregistered');
    expect(events.stdout).to.match(/n2\s+service-deregistered\s+web\/web-1 deregistered: critical for \d+ s \(limit 8 s\)/);

    await watch.waitForLine('the deregistration', (l) => l.includes('"deregistered"') && l.includes('web-1'));
    const changes = watch.json<ServiceChange>().filter((ch) => ch.id === 'web-1');
    expect(changes.map((ch) => [ch.type, ch.instance?.status])).to.deep.equal([
      ['registered', 'critical'],
      ['updated', 'passing'],
      ['updated', 'critical'],
      ['deregistered', 'critical'],
    ]);
    watch.signal('SIGINT');
    await watch.exited;
    endpoint.status = 200;
    // The administrator's way out: no secret, the admin token.
    await fx.json('service', 'deregister', 'web-tcp', '--force');
  });

  it('an instance survives a Raft leader kill; the checks of a dead node are adopted by the emergent leader', async () => {
    const c = fx.client({ timeoutMs: 10_000 });
    endpoint.status = 200;
    const kept = await c.registerService('db', { id: 'db-1', address: '127.0.0.1', port: 5432, ttlMs: 8000 });
    // Registered through the member n4, so n4 runs its check.
    const checked = await c.registerService('db', { id: 'db-2', address: '127.0.0.1', port: healthPort, ttlMs: 60_000, check: { http: `http://127.0.0.1:${healthPort}/health`, intervalMs: 500 }, deregisterAfterMs: 60_000 }, { node: 'n4' });
    expect(checked.node).to.equal('n4');
    await waitFor('db-2 passing', async () => (await lookupIds('db')).includes('db-2'));

    const leader = (await fx.json('core', 'status')).leader as string;
    await fx.json('node', 'kill', leader);
    const renewed = await waitFor('a renewal after the leader kill', () => c.renewService('db-1', kept.secret).catch(() => null), 20_000, 200);
    expect(renewed!.lease).to.equal(kept.lease);
    expect((await fx.json('service', 'info', 'db-1')).lease).to.equal(kept.lease);
    expect(await lookupIds('db', true)).to.deep.equal(['db-1', 'db-2']);
    await fx.json('node', 'start', leader);

    await fx.json('node', 'kill', 'n4');
    const adopted = await waitFor('db-2 adopted by another node', async () => {
      const i = await c.serviceInstance('db-2').catch(() => null);
      return i && i.node !== 'n4' ? i : null;
    }, 60_000, 500);
    expect(['n1', 'n2', 'n3']).to.include(adopted!.node);
    // The adopter runs the check: a failure shows up.
    endpoint.status = 503;
    await waitFor('db-2 critical, seen by its new owner', async () => (await c.serviceInstance('db-2')).status === 'critical', 20_000, 250);
    expect(await fx.ccm('events', '--type', 'service-checks-adopted').then((r) => r.stdout)).to.match(/db\/db-2: checks move from n4 \(gone\) to n\d/);
    endpoint.status = 200;
    await fx.json('node', 'start', 'n4');
  });
});
