import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** Issue 16: leases that protect what they guard — fencing in the core, per-grant secrets, holders that know when they may have lost. */
describe('lease safety (real processes): fencing, secrets, lease run, lost leases', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  const running: ResultPromise[] = [];
  before(async () => {
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '3', '--no-heal');
  });
  afterEach(async () => {
    await fx.ccm('chaos', 'heal');
    for (const p of running.splice(0)) p.kill('SIGKILL');
  });
  after(async () => expectNoProcessLeft(fx));

  /** `--name` goes before a `--`: what follows it is the child's command line. */
  const withName = (args: string[]): string[] => {
    const dashes = args.indexOf('--');
    return dashes < 0 ? [...args, '--name', fx.name] : [...args.slice(0, dashes), '--name', fx.name, ...args.slice(dashes)];
  };
  const background = (args: string[]): ResultPromise => {
    const p = execa(process.execPath, [BIN, ...withName(args)], { env: { CCM_HOME: fx.home }, reject: false, all: true });
    running.push(p);
    return p;
  };

  it('fencing: a write with a stale token is refused (stale_token, nothing written), the current one accepted; bad --fence is refused', async () => {
    const a = await fx.json('lease', 'acquire', 'fenced', '--holder', 'a', '--ttl', '1s');
    await new Promise((r) => setTimeout(r, 2500));
    const b = await fx.json('lease', 'acquire', 'fenced', '--holder', 'b', '--ttl', '60s');
    expect(b.token).to.be.greaterThan(a.token);
    const stale = await fx.ccm('kv', 'put', '/fenced', 'from-a', '--fence', `fenced:${a.token}`, '--json');
    expect(stale.exitCode).to.equal(1);
    expect(JSON.parse(stale.stdout).error.code).to.equal('stale_token');
    await fx.expectFailure(['kv', 'get', '/fenced'], /not found/);
    expect((await fx.json('kv', 'put', '/fenced', 'from-b', '--fence', `fenced:${b.token}`)).revision).to.be.a('number');
    // (every malformed shape is in test/core/fence.test.ts; here, that the CLI refuses before writing)
    await fx.expectFailure(['kv', 'put', '/fenced', 'x', '--fence', 'fenced:x'], /fence "fenced:x" is malformed/);
    expect((await fx.json('kv', 'get', '/fenced')).kvs[0].value).to.equal('from-b');
    // The lock is released with its secret only; the public lease id is not enough, and lease list never shows it.
    await fx.expectFailure(['lease', 'release', 'fenced', '--lease', String(b.lease), '--secret', 'A'.repeat(32)], /wrong or missing secret/);
    const listed = await fx.ccm('lease', 'list', '--json');
    expect(listed.stdout).to.not.include(b.secret);
    expect(listed.stdout).to.not.match(/secretHash/);
    expect((await fx.json('lease', 'inspect', 'fenced')).lease).to.equal(b.lease);
    await fx.json('lease', 'release', 'fenced', '--lease', String(b.lease), '--secret', b.secret);
  });

  it('lease run: the child gets its lease and token, its exit code comes back, the lease is released; no command is refused', async () => {
    const marker = path.join(fx.home, 'env');
    const r = await background(['lease', 'run', 'job', '--ttl', '3s', '--', 'sh', '-c', `echo "$CCM_LEASE_ID $CCM_FENCING_TOKEN $CCM_LEASE_RESOURCE" > ${marker}; exit 7`]);
    expect(r.exitCode, String(r.all)).to.equal(7);
    const [lease, token, resource] = fs.readFileSync(marker, 'utf8').trim().split(' ');
    expect(Number(lease)).to.be.above(0);
    expect(Number(token)).to.be.above(0);
    expect(resource).to.equal('job');
    // Released: free again (inspect still shows its utilization, so it answers rather than failing).
    expect((await fx.json('lease', 'inspect', 'job')).holder).to.equal(null);
    await fx.expectFailure(['lease', 'run', 'job'], /needs a command after --/);
  });

  it('lease run: the child is stopped (SIGTERM) once the lease may be lost, under ccm chaos pause of every voter; ccm exits 1 with "lease lost"', async () => {
    const pidFile = path.join(fx.home, 'child.pid');
    const run = background(['lease', 'run', 'paused-job', '--ttl', '2s', '--grace', '1s', '--', 'sh', '-c', `echo $$ > ${pidFile}; sleep 60`]);
    const child = await waitFor('the child started', () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || null : null), 30_000);
    // Its node and every other voter, so that no renewal can be confirmed whichever node the client tries.
    for (const n of ['n1', 'n2', 'n3']) await fx.json('chaos', 'pause', n);
    await waitFor('the child stopped', () => !isAlive(child as number), 15_000, 100);
    const result = await run;
    expect(result.exitCode).to.equal(1);
    expect(result.all).to.match(/lease lost: no renewal confirmed within its 2 s TTL/);
  });

  it('lease renew --keepalive exits 1 with "lease lost" once no renewal is confirmed within the TTL; election campaign likewise', async () => {
    const g = await fx.json('lease', 'acquire', 'kept', '--holder', 'k', '--ttl', '8s');
    const keep = background(['lease', 'renew', 'kept', '--lease', String(g.lease), '--secret', g.secret, '--keepalive']);
    const campaign = background(['election', 'campaign', 'boss', '--id', 'c1', '--ttl', '2s']);
    await waitFor('c1 leads', async () => (await fx.client().electionLeader('boss')).leader?.id === 'c1', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const n of ['n1', 'n2', 'n3']) await fx.json('node', 'pause', n);
    const [k, c] = await Promise.all([keep, campaign]);
    expect(k.exitCode).to.equal(1);
    expect(k.all).to.match(/lease lost/);
    expect(c.exitCode).to.equal(1);
    expect(c.all).to.match(/lost leadership of boss.*lease lost/);
  });
});
