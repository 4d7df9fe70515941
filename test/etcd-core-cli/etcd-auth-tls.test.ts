/**
 * `ccm up --etcd-endpoints` on an existing etcd cluster as production runs one: clients over TLS (https, a CA made
 * here with openssl) and auth enabled with the real etcdctl (root, and a `ccm` user whose role may read and write the
 * whole key space). The password comes from CCM_ETCD_PASSWORD and lands only in secrets/etcd/ (0600): not in
 * cluster.json, not in any process's argv. A wrong password, or https without the CA, is refused before anything
 * starts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft, processesUnder } from '../fixtures/teardown.js';
import { makeTestCertificates, opensslMissingReason } from '../fixtures/test-ca.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const ETCD = '/usr/bin/etcd';
const ETCDCTL = '/usr/bin/etcdctl';
const PASSWORD = 'ccm-test-pw-5b1c9e';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('ccm up on an existing etcd with TLS and auth (real etcd, etcdctl, openssl)', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-etcd-auth-'));
  let etcd: ChildProcess | null = null;
  let endpoint = '';
  let fx: ClusterFixture;
  const ca = path.join(dir, 'ca.crt');

  /** `ccm …` in the fixture's home with extra environment (the password), as a user would run it. */
  const ccm = async (env: Record<string, string>, ...args: string[]) => {
    const r = await execa(process.execPath, [BIN, ...args, '--name', fx.name], { env: { CCM_HOME: fx.home, ...env }, extendEnv: false, reject: false, timeout: 60_000 });
    fx.pids();
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const etcdctl = (...args: string[]): string => {
    const r = spawnSync(ETCDCTL, ['--endpoints', endpoint, '--cacert', ca, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 });
    if (r.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async function () {
    for (const [bin, pkg] of [[ETCD, 'etcd-server'], [ETCDCTL, 'etcd-client']]) {
      if (!fs.existsSync(bin)) {
        console.log(`      skipped: ${bin} is not installed (apt-get install ${pkg})`);
        this.skip();
      }
    }
    const missing = opensslMissingReason();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    makeTestCertificates(dir, 'test etcd CA', 'etcd');

    const [client, peer] = [await freePort(), await freePort()];
    endpoint = `https://127.0.0.1:${client}`;
    // prettier-ignore
    etcd = spawn(ETCD, [
      '--name', 'e1', '--data-dir', path.join(dir, 'data'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `e1=http://127.0.0.1:${peer}`,
      '--cert-file', path.join(dir, 'etcd.crt'), '--key-file', path.join(dir, 'etcd.key'),
      '--logger', 'zap', '--log-outputs', path.join(dir, 'etcd.log'),
    ], { stdio: 'ignore' });
    await waitFor('etcd healthy over https', () => spawnSync(ETCDCTL, ['--endpoints', endpoint, '--cacert', ca, 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' } }).status === 0, 20_000);
    etcdctl('user', 'add', 'root:root-pw');
    etcdctl('user', 'grant-role', 'root', 'root');
    etcdctl('user', 'add', `ccm:${PASSWORD}`);
    etcdctl('role', 'add', 'ccm-rw');
    etcdctl('role', 'grant-permission', 'ccm-rw', '--from-key', 'readwrite', '');
    etcdctl('user', 'grant-role', 'ccm', 'ccm-rw');
    etcdctl('auth', 'enable');
    fx = new ClusterFixture();
  });

  after(async () => {
    if (fx !== undefined) await expectNoProcessLeft(fx);
    etcd?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const up = ['up', '--nodes', '2', '--etcd-endpoints'];

  it('refuses a wrong password naming the user, https without the CA, a user without a password: nothing started', async () => {
    const wrong = await ccm({ CCM_ETCD_PASSWORD: 'not-it' }, ...up, endpoint, '--etcd-user', 'ccm', '--etcd-cacert', ca);
    expect(wrong.exitCode, wrong.stderr).to.equal(1);
    expect(wrong.stderr).to.match(/refused user ccm: .*authentication failed/);
    const noCa = await ccm({ CCM_ETCD_PASSWORD: PASSWORD }, ...up, endpoint, '--etcd-user', 'ccm');
    expect(noCa.exitCode).to.equal(1);
    expect(noCa.stderr).to.match(/is https: .*--etcd-cacert/);
    const noPassword = await ccm({}, ...up, endpoint, '--etcd-user', 'ccm', '--etcd-cacert', ca);
    expect(noPassword.exitCode).to.equal(1);
    expect(noPassword.stderr).to.match(/--etcd-user ccm needs its password: set CCM_ETCD_PASSWORD or give --etcd-password-file/);
    // No user at all: etcd (auth on) says so, and the check before start reports it.
    const anonymous = await ccm({}, ...up, endpoint, '--etcd-cacert', ca);
    expect(anonymous.exitCode).to.equal(1);
    expect(anonymous.stderr).to.match(/give --etcd-user/);
    expect(fs.existsSync(path.join(fx.home, fx.name)), 'no cluster directory').to.equal(false);
    expect(processesUnder(fx.home)).to.deep.equal([]);
  });

  it('starts with the password from CCM_ETCD_PASSWORD over TLS; a lease is acquired; the password is only in secrets/etcd/; up again uses what was recorded', async () => {
    const r = await ccm({ CCM_ETCD_PASSWORD: PASSWORD }, ...up, endpoint, '--etcd-user', 'ccm', '--etcd-cacert', ca, '--json');
    expect(r.exitCode, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json.etcd).to.include({ mode: 'external', user: 'ccm', tls: true });

    const lease = await fx.json('lease', 'acquire', 'job', '--holder', 'a', '--ttl', '10s');
    expect(lease.granted).to.equal(true);
    await fx.json('kv', 'put', '/app/x', '1');
    // Written through ccm as user ccm: etcd (as root) sees it.
    expect(etcdctl('--user', 'root:root-pw', 'get', '/app/x', '--print-value-only').trim()).to.equal('1');

    const clusterDir = path.join(fx.home, fx.name);
    expect(fs.readFileSync(path.join(clusterDir, 'cluster.json'), 'utf8')).not.to.include(PASSWORD);
    const secret = path.join(clusterDir, 'secrets', 'etcd', 'password');
    expect(fs.readFileSync(secret, 'utf8')).to.equal(PASSWORD);
    expect(fs.statSync(secret).mode & 0o777).to.equal(0o600);
    const procs = processesUnder(fx.home);
    expect(procs.length).to.be.greaterThan(0);
    for (const pid of procs) {
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), `argv of ${pid}`).not.to.include(PASSWORD);
      expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8'), `environment of ${pid}`).not.to.include(PASSWORD);
    }
    const down = await ccm({}, 'down');
    expect(down.exitCode, down.stderr).to.equal(0);

    // Started again with nothing given: the recorded user, CA and password (secrets/etcd/) are used.
    const again = await ccm({}, 'up', '--json');
    expect(again.exitCode, again.stderr).to.equal(0);
    expect((await fx.json('kv', 'get', '/app/x')).value).to.equal('1');
    expect((await ccm({}, 'down')).exitCode).to.equal(0);
  });
});
