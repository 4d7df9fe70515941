import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'chai';
import { execa } from 'execa';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const ETCDCTL = '/usr/bin/etcdctl';
const hasEtcdctl = fs.existsSync(ETCDCTL);

/** The real etcdctl (Debian's etcd-client, 3.4) against a ccm cluster, through `ccm env`. */
describe('etcdctl against ccm (real processes)', function () {
  this.timeout(240_000);
  let fx: ClusterFixture;
  let env: Record<string, string>;
  let endpoints: string[];

  before(async function () {
    if (!hasEtcdctl) {
      process.stdout.write(`    skipped: ${ETCDCTL} is not installed (apt-get install etcd-client)\n`);
      this.skip();
    }
    fx = new ClusterFixture();
    await fx.json('up', '--nodes', '4', '--core', '3', '--no-heal');
    env = await fx.json('env');
    endpoints = env.ETCDCTL_ENDPOINTS.split(',');
  });
  after(async () => {
    if (fx !== undefined) await expectNoProcessLeft(fx);
  });

  /** etcdctl with the cluster's environment (or one endpoint): exit code and output. */
  const ctl = async (args: string[], options: { input?: string; endpoint?: string; user?: string | null } = {}): Promise<{ code: number; out: string; err: string }> => {
    // This process's environment and the cluster's, without ETCDCTL_USER when the call goes without a token.
    const { ETCDCTL_USER, ...rest } = { ...process.env, ...env };
    const user = options.user === undefined ? ETCDCTL_USER : options.user;
    const r = await execa(ETCDCTL, args, {
      env: { ...rest, ...(options.endpoint ? { ETCDCTL_ENDPOINTS: options.endpoint } : {}), ...(user !== null && user !== undefined ? { ETCDCTL_USER: user } : {}) },
      extendEnv: false,
      input: options.input,
      reject: false,
      timeout: 30_000,
    });
    return { code: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr) };
  };
  const ok = async (...args: string[]): Promise<string> => {
    const r = await ctl(args);
    expect(r.code, `etcdctl ${args.join(' ')}: ${r.err}`).to.equal(0);
    return r.out;
  };

  it('ccm env sets what etcdctl needs: API 3, every node\'s etcd endpoint and the client token as its user; ccm status shows the port', async () => {
    expect(env.ETCDCTL_API).to.equal('3');
    expect(env.ETCDCTL_USER).to.equal(`ccm:${env.CCM_TOKEN}`);
    expect(endpoints).to.have.length(4);
    const status = await fx.json('status', '--no-probe');
    for (const n of status.nodes) expect(endpoints).to.include(`127.0.0.1:${n.ports.etcd}`);
  });

  it("without the client token etcdctl is refused with etcd's errors and nothing is written; `eval \"$(ccm env)\"` gets it in", async () => {
    const none = await ctl(['put', '/ctl/auth', 'x'], { user: null });
    expect(none.code).to.not.equal(0);
    expect(none.err).to.include('etcdserver: user name is empty');
    const wrong = await ctl(['put', '/ctl/auth', 'x'], { user: 'ccm:not-the-token' });
    expect(wrong.code).to.not.equal(0);
    expect(wrong.err).to.include('etcdserver: authentication failed, invalid user ID or password');
    expect((await ctl(['get', '/ctl/auth'], { user: null })).code).to.not.equal(0);
    expect(await ok('get', '/ctl/auth')).to.equal('');
    // What a shell gets from eval "$(ccm env)": the exports, quoted as printed, run through sh.
    const exports = (await fx.ccm('env')).stdout;
    const viaShell = await execa('sh', ['-c', `${exports}\n${ETCDCTL} put /ctl/auth via-shell && ${ETCDCTL} get /ctl/auth --print-value-only`], { env: { PATH: process.env.PATH ?? '' }, extendEnv: false, reject: false, timeout: 30_000 });
    expect(viaShell.exitCode, String(viaShell.stderr)).to.equal(0);
    expect(String(viaShell.stdout)).to.equal('OK\nvia-shell');
    await ok('del', '/ctl/auth');
  });

  it('put, get and del: prev-kv, prefixes, limit, sort, counts, and the header etcd gives', async () => {
    await ok('put', '/ctl/a', '1');
    await ok('put', '/ctl/b', '2');
    await ok('put', '/ctl/c', '3');
    expect(await ok('put', '/ctl/a', 'one', '--prev-kv')).to.equal('OK\n/ctl/a\n1');
    expect(await ok('get', '/ctl/a', '--print-value-only')).to.equal('one');
    expect(await ok('get', '/ctl/', '--prefix', '--keys-only')).to.equal('/ctl/a\n\n/ctl/b\n\n/ctl/c\n');
    expect(await ok('get', '/ctl/', '--prefix', '--limit=1', '--sort-by=MODIFY', '--order=DESCEND', '--keys-only')).to.equal('/ctl/a\n');
    const json = JSON.parse(await ok('get', '/ctl/', '--prefix', '--limit=2', '-w', 'json'));
    expect(json.count).to.equal(3);
    expect(json.more).to.equal(true);
    expect(json.kvs).to.have.length(2);
    expect(json.header.cluster_id).to.be.a('number').and.not.equal(0);
    expect(json.header.member_id).to.be.a('number').and.not.equal(0);
    expect(json.header.raft_term).to.be.greaterThan(0);
    const a = json.kvs.find((kv: { key: string }) => Buffer.from(kv.key, 'base64').toString() === '/ctl/a');
    expect(a).to.include({ version: 2 });
    expect(a.mod_revision).to.be.greaterThan(a.create_revision);
    // a read at an earlier revision sees the value as it was
    expect(await ok('get', '/ctl/a', `--rev=${a.create_revision}`, '--print-value-only')).to.equal('1');
    expect(await ok('del', '/ctl/', '--prefix', '--prev-kv')).to.equal('3\n/ctl/a\none\n/ctl/b\n2\n/ctl/c\n3');
    expect(await ok('get', '/ctl/', '--prefix')).to.equal('');
  });

  it('any node answers, members too (n4 is not a voter), and writes through one are read through another', async () => {
    await ctl(['put', '/ctl/via-member', 'm'], { endpoint: endpoints[3] });
    const r = await ctl(['get', '/ctl/via-member', '--print-value-only'], { endpoint: endpoints[0] });
    expect(r.out).to.equal('m');
  });

  it('txn: compares on value, version and revisions pick the branch; a failed compare changes nothing', async () => {
    await ok('put', '/ctl/t', 'v1');
    const success = await ctl(['txn'], { input: 'value("/ctl/t") = "v1"\nversion("/ctl/t") = "1"\n\nput /ctl/t v2\nput /ctl/t-side yes\n\nget /ctl/t\n\n' });
    expect(success.out).to.match(/^SUCCESS\n\nOK\n\nOK/);
    const failure = await ctl(['txn'], { input: 'mod("/ctl/t") = "1"\n\nput /ctl/t v3\n\nget /ctl/t\n\n' });
    expect(failure.out).to.equal('FAILURE\n\n/ctl/t\nv2');
    expect(await ok('get', '/ctl/t-side', '--print-value-only')).to.equal('yes');
  });

  it('watch: events from a past revision, prefixes, prev-kv; put, then delete, in order', async () => {
    const first = JSON.parse(await ok('put', '/ctl/w/k', 'a', '-w', 'json')).header.revision as number;
    const watcher = spawn(ETCDCTL, ['watch', '/ctl/w/', '--prefix', '--prev-kv', `--rev=${first}`], { env: { ...process.env, ...env } });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await ok('put', '/ctl/w/k', 'b');
      await ok('del', '/ctl/w/k');
      await waitFor('the watch printed three events', () => (out.match(/^(PUT|DELETE)$/gm) ?? []).length >= 3, 20_000);
      expect(out.trim().split('\n')).to.deep.equal(['PUT', '/ctl/w/k', 'a', 'PUT', '/ctl/w/k', 'a', '/ctl/w/k', 'b', 'DELETE', '/ctl/w/k', 'b', '/ctl/w/k']);
    } finally {
      watcher.kill();
    }
  });

  it('lease: grant, a key on it, time-to-live with keys, keep-alive, revoke takes the key; etcd\'s errors', async () => {
    const id = (await ok('lease', 'grant', '30')).match(/lease ([0-9a-f]+) granted with TTL\(30s\)/)![1];
    expect(id.length).to.be.at.least(8);
    await ok('put', '/ctl/leased', 'x', `--lease=${id}`);
    expect(await ok('lease', 'timetolive', id, '--keys')).to.match(new RegExp(`lease ${id} granted with TTL\\(30s\\), remaining\\((29|30)s\\), attached keys\\(\\[/ctl/leased\\]\\)`));
    expect(await ok('lease', 'keep-alive', '--once', id)).to.include(`lease ${id} keepalived with TTL(30)`);
    expect(await ok('lease', 'list')).to.include(id);
    await ok('lease', 'revoke', id);
    expect(await ok('get', '/ctl/leased')).to.equal('');
    expect(await ok('lease', 'timetolive', id)).to.include('already expired');
    const revokeAgain = await ctl(['lease', 'revoke', id]);
    expect(revokeAgain.code).to.not.equal(0);
    expect(revokeAgain.err).to.include('etcdserver: requested lease not found');
    const onMissing = await ctl(['put', '/ctl/leased', 'x', `--lease=${id}`]);
    expect(onMissing.err).to.include('etcdserver: requested lease not found');
  });

  it('compaction: a read or watch from before it is refused with etcd\'s error', async () => {
    const rev = JSON.parse(await ok('put', '/ctl/compact', '1', '-w', 'json')).header.revision as number;
    await ok('put', '/ctl/compact', '2');
    await ok('compact', String(rev + 1));
    const old = await ctl(['get', '/ctl/compact', `--rev=${rev}`]);
    expect(old.err).to.include('etcdserver: mvcc: required revision has been compacted');
    const again = await ctl(['compact', String(rev)]);
    expect(again.err).to.include('etcdserver: mvcc: required revision has been compacted');
    const watch = await execa(ETCDCTL, ['watch', '/ctl/compact', `--rev=${rev}`], { env: { ...env }, reject: false, timeout: 10_000 });
    expect(`${watch.stdout}${watch.stderr}`).to.match(/compacted/);
  });

  it('lock: one holder at a time; the second runs its command once the first released', async () => {
    const first = spawn(ETCDCTL, ['lock', 'ctl-lock', '--', 'sh', '-c', 'echo first-in; sleep 2; echo first-out'], { env: { ...process.env, ...env } });
    const firstExited = new Promise((r) => first.once('exit', r));
    let firstOut = '';
    first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
    await waitFor('the first holder is in', () => firstOut.includes('first-in'), 20_000);
    const second = await ctl(['lock', 'ctl-lock', '--', 'echo', 'second-in']);
    expect(second.out.trim()).to.equal('second-in');
    // the second got in only after the first was out
    expect(firstOut).to.include('first-out');
    await firstExited;
  });

  it('elect: a leader, an observer that follows it, and the next candidate once it resigns', async () => {
    const alpha = spawn(ETCDCTL, ['elect', 'ctl-elect', 'alpha'], { env: { ...process.env, ...env } });
    let alphaOut = '';
    alpha.stdout.on('data', (d: Buffer) => (alphaOut += d.toString()));
    await waitFor('alpha leads', () => alphaOut.includes('alpha'), 20_000);
    const beta = spawn(ETCDCTL, ['elect', 'ctl-elect', 'beta'], { env: { ...process.env, ...env } });
    let betaOut = '';
    beta.stdout.on('data', (d: Buffer) => (betaOut += d.toString()));
    const observer = spawn(ETCDCTL, ['elect', '-l', 'ctl-elect'], { env: { ...process.env, ...env } });
    let seen = '';
    observer.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor('the observer sees alpha', () => seen.includes('alpha'), 20_000);
      expect(betaOut).to.equal('');
      alpha.kill('SIGINT'); // etcdctl resigns on an interrupt
      await waitFor('beta leads', () => betaOut.includes('beta'), 20_000);
      await waitFor('the observer sees beta', () => seen.includes('beta'), 20_000);
    } finally {
      for (const p of [alpha, beta, observer]) p.kill('SIGKILL');
    }
  });

  it('member list and endpoint status name the core\'s voters and its leader', async () => {
    const members = await ok('member', 'list');
    for (const id of ['n1', 'n2', 'n3']) expect(members).to.match(new RegExp(`started, ${id}, http://127\\.0\\.0\\.1:\\d+, http://127\\.0\\.0\\.1:\\d+, false`));
    expect(members).to.not.include('n4');
    const status = JSON.parse(await ok('endpoint', 'status', '-w', 'json')) as { Status: { leader: number; header: { member_id: number } } }[];
    expect(status).to.have.length(4);
    const leaders = new Set(status.map((s) => s.Status.leader));
    expect(leaders.size).to.equal(1);
    expect(status.some((s) => s.Status.header.member_id === [...leaders][0])).to.equal(true);
  });

  it('ccm\'s own keys may be read but not written, and a delete of everything leaves them', async () => {
    const reserved = await ctl(['put', '/ccm/locks/x', 'y']);
    expect(reserved.code).to.not.equal(0);
    expect(reserved.err).to.include("belong to ccm's services");
    await fx.json('lease', 'acquire', 'ctl-resource', '--holder', 'me', '--ttl', '30s');
    await ok('del', '', '--from-key');
    expect(await ok('get', '/ccm/locks/ctl-resource', '--print-value-only')).to.include('"holder":"me"');
  });
});
