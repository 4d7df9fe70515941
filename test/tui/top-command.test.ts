import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execaSync } from 'execa';
import { clusterPaths } from '../../src/cluster/cluster-dir.js';
import { ClusterCommandRunner, DashboardSource, defaultDashboardHooks } from '../../src/tui/dashboard-source.js';
import { matrixView, nodeRows } from '../../src/tui/status-model.js';
import { ClusterFixture, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const hasTmux = execaSync('tmux', ['-V'], { reject: false }).exitCode === 0;

/**
 * `ccm top` / `ccm status --watch` against one real 3-node cluster, shared by the steps below in order (each
 * CLI start costs a second or two, so the suite brings the cluster up once): refusals, plain output, the data
 * source and the command runner, a real terminal, and the refusal once the cluster is down.
 */
describe('cluster (real processes): ccm top', function () {
  this.timeout(120_000);
  const fx = new ClusterFixture();
  const paths = clusterPaths(fx.home, fx.name);

  before(async () => {
    const [missingTop, missingWatch] = await Promise.all([fx.ccm('top'), fx.ccm('status', '--watch')]);
    for (const r of [missingTop, missingWatch]) {
      expect(r.exitCode).to.equal(1);
      expect(r.stderr).to.match(/cluster "test" does not exist/);
      expect(r.stdout).to.equal('');
    }
    await fx.json('up', '--nodes', '3', '--no-heal');
  });
  after(async () => {
    await expectNoProcessLeft(fx);
  });

  it('prints the plain table once when stdout is not a terminal, and the status once under --json', async () => {
    // One at a time: concurrent reachability probes overwrite each other's nonces on the nodes, and would
    // show cuts that are not there.
    const plainTop = await fx.ccm('top');
    const json = await fx.json('top');
    expect(plainTop.exitCode, plainTop.stderr).to.equal(0);
    const lines = plainTop.stdout.split('\n');
    expect(lines[0]).to.match(/^NODE +ROLE +TERM +COMMIT +LAG/);
    expect(lines.filter((l) => /^n[123]\*? +(leader|follower|pre-cand|candidate|core)/.test(l))).to.have.length(3);
    expect(plainTop.stdout).to.include('reach: all 3 up reach each other');
    expect(plainTop.stdout).to.not.match(/\u001b\[/);
    expect(json.nodes.map((n: { id: string }) => n.id)).to.deep.equal(['n1', 'n2', 'n3']);
  });

  it('the data source and the command runner follow the cluster through isolate, heal, kill and restart', async () => {
    const source = new DashboardSource(paths, { reachabilityEveryMs: 0, hooks: defaultDashboardHooks(paths) });
    const runner = new ClusterCommandRunner(paths);
    const look = async () => {
      const s = await source.fetch();
      return { s, reach: matrixView(s, s.fetchedAtMs).summary, roles: nodeRows(s, null, s.fetchedAtMs).map((r) => r.role) };
    };

    const lease = await fx.json('lease', 'acquire', 'tui-demo', '--holder', 'worker-1', '--ttl', '300s');
    const first = await look();
    expect(first.reach).to.equal('all 3 up reach each other');
    // The lease panel reads the lease manager through the leader.
    expect(first.s.leasesError ?? null).to.equal(null);
    expect(first.s.leases).to.have.length(1);
    expect(first.s.leases?.[0]).to.include({ resource: 'tui-demo', holder: 'worker-1', token: lease.token, ttlMs: 300_000 });
    expect(first.s.leases?.[0].remainingMs).to.be.within(250_000, 300_000);
    expect(first.s.events.filter((e) => e.type === 'node-started').map((e) => e.source).sort()).to.deep.equal(['n1', 'n2', 'n3']);
    expect(first.s.events.some((e) => e.source === 'cli' && e.type === 'cluster-up')).to.equal(true);
    // Every node answered GET /v1/members (its gossip view: phi, health).
    expect(Object.keys(first.s.nodeDetails ?? {}).sort()).to.deep.equal(['n1', 'n2', 'n3']);

    expect(await runner.run({ kind: 'isolate', nodeId: 'n3' })).to.equal('isolated n3');
    expect((await look()).reach).to.equal('partitioned: n1 n2 | n3');
    expect(await runner.run({ kind: 'heal' })).to.match(/^healed: /);
    expect((await look()).reach).to.equal('all 3 up reach each other');

    expect(await runner.run({ kind: 'kill', nodeId: 'n2' })).to.match(/^killed n2: stopped \(pid \d+\)$/);
    const afterKill = await look();
    expect(afterKill.roles[1]).to.equal('stopped');
    expect(afterKill.s.events.some((e) => e.type === 'node-kill' && e.node === 'n2')).to.equal(true);
    let error: Error | null = null;
    await runner.run({ kind: 'pause', nodeId: 'n2' }).catch((e: Error) => (error = e));
    expect(error).to.have.property('message', 'node n2 is not running');
    expect(await runner.run({ kind: 'restart', nodeId: 'n2' })).to.match(/^restarted n2: running \(pid \d+\)$/);
    await waitFor('n2 to answer again', async () => (await look()).roles[1] !== 'stopped');
  });

  (hasTmux ? it : it.skip)('at 80×24 in tmux: the services, elections, watches and gossip-spread panels; a partition of two groups and a one-way cut from the keys', async () => {
    const session = `ccm-top-panels-${process.pid}`;
    const tmux = (...args: string[]) => execaSync('tmux', ['-u', ...args], { reject: false, env: { LANG: 'C.UTF-8' } });
    const screen = () => String(tmux('capture-pane', '-p', '-t', session).stdout);
    const showing = async (what: string, ok: (text: string) => boolean, ms = 30_000) => {
      try {
        await waitFor(what, () => ok(screen()), ms);
      } catch (e) {
        throw new Error(`${(e as Error).message}; the terminal showed:\n${screen()}`);
      }
    };
    const client = fx.client({ timeoutMs: 8000 });
    await fx.json('service', 'register', 'web', '--id', 'web-1', '--address', '127.0.0.1', '--port', '8080', '--ttl', '300s');
    await client.campaign('scheduler', { id: 'worker-a', ttlMs: 300_000 });
    const { watch } = await import('../../src/client/ccm-client.js');
    const { clusterEndpoints } = await import('../../src/cluster/cluster-client.js');
    const w = watch(clusterEndpoints(fx.clusterFile()), '/app/', { prefix: true, onEvents: () => undefined });
    const created = tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', 'bash', '--norc', '--noprofile');
    expect(created.exitCode, `tmux new-session: ${created.stderr}`).to.equal(0);
    try {
      tmux('send-keys', '-t', session, `LANG=C.UTF-8 CCM_HOME=${fx.home} ${process.execPath} ${BIN} top --name ${fx.name}; echo "exit=$?"`, 'Enter');
      await showing('the view at 80×24', (s) => /› n1/.test(s) && /leader n\d/.test(s) && /tab panel/.test(s), 60_000);
      tmux('send-keys', '-t', session, 'Tab');
      await showing('the services panel with web-1 passing', (s) => /services · 1 service, 1 instance/.test(s) && /web-1 +127\.0\.0\.1:8080 +passing/.test(s));
      tmux('send-keys', '-t', session, 'Tab');
      await showing('the elections panel with its leader', (s) => /scheduler +worker-a +\d+ +\d+s/.test(s));
      tmux('send-keys', '-t', session, 'Tab');
      await showing('the watches panel with the open watch', (s) => /n\d +\/app\/\* +\d+ +0 /.test(s));
      tmux('send-keys', '-t', session, 'Tab');
      await showing('the gossip panel, before any tag change', (s) => /no tag change yet|gossip spread/.test(s));
      await fx.json('gossip', 'set', 'n3', 'zone=eu');
      await showing('the tag reaching every node', (s) => /gossip spread: n3 zone=eu/.test(s) && /reached all 2 other nodes in \d+\.\d\ds/.test(s) && /n1 +\+\d+\.\d\ds/.test(s));
      await showing('the gossip updates collapsed into one event line', (s) => /member-updated ×\d+ \(/.test(s));

      // A partition picked with the keys: n1 on side A (it is picked), everyone else on B; enter cuts.
      tmux('send-keys', '-t', session, '1');
      await showing('the leases and config panels back', (s) => /leases +config/.test(s));
      tmux('send-keys', '-t', session, 'g');
      await showing('the partition choice', (s) => /partition: n1 \| n2 n3 · space moves/.test(s) && /›An1/.test(s) && / Bn2/.test(s));
      tmux('send-keys', '-t', session, 'Enter');
      await showing('the partition made and seen', (s) => /✓ partitioned n1 \| n2,n3/.test(s) && /reach: partitioned: n1 \| n2 n3/.test(s), 40_000);
      tmux('send-keys', '-t', session, 'h');
      await showing('healed', (s) => /reach: all 3 up reach each other/.test(s), 40_000);
      // One key per write: keys that arrive together reach the view as one string.
      tmux('send-keys', '-t', session, 'o');
      await showing('the one-way choice', (s) => /one-way: n1 ↛ \? · /.test(s));
      tmux('send-keys', '-t', session, 'Down');
      await showing('n2 picked as the target', (s) => /one-way: n1 ↛ n2 · /.test(s));
      tmux('send-keys', '-t', session, 'Enter');
      await showing('the one-way cut made and seen', (s) => /✓ one-way: n1 cannot reach n2/.test(s) && /reach: cut: n1→n2/.test(s), 40_000);
      tmux('send-keys', '-t', session, 'h');
      await showing('healed again', (s) => /reach: all 3 up reach each other/.test(s), 40_000);
      for (const line of screen().split('\n')) expect([...line].length).to.be.at.most(80);
      tmux('send-keys', '-t', session, 'q');
      await showing('the view to end', (s) => /^exit=0$/m.test(s));
    } finally {
      w.close();
      tmux('kill-session', '-t', session);
    }
    expect((await fx.json('chaos', 'status')).lines).to.deep.equal([]);
  });

  (hasTmux ? it : it.skip)('in a real terminal (tmux): draws the cluster, a key kills a node, q quits and the terminal is as it was', async () => {
    const session = `ccm-top-test-${process.pid}`;
    // -u: the pane is UTF-8 whatever the locale of the machine running the tests (the view draws › and ✓).
    const tmux = (...args: string[]) => execaSync('tmux', ['-u', ...args], { reject: false, env: { LANG: 'C.UTF-8' } });
    const screen = () => String(tmux('capture-pane', '-p', '-t', session).stdout);
    // A failed wait says what the terminal showed, so a run elsewhere can be read afterwards.
    const showing = async (what: string, ok: (text: string) => boolean, ms: number) => {
      try {
        await waitFor(what, () => ok(screen()), ms);
      } catch (e) {
        throw new Error(`${(e as Error).message}; the terminal showed:\n${screen()}`);
      }
    };
    const sttyBefore = path.join(fx.home, 'stty-before');
    const sttyAfter = path.join(fx.home, 'stty-after');
    const created = tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', 'bash', '--norc', '--noprofile');
    expect(created.exitCode, `tmux new-session: ${created.stderr}`).to.equal(0);
    try {
      // The shell records the terminal settings, runs the view, records them again.
      const command = `stty -g > ${sttyBefore}; LANG=C.UTF-8 CCM_HOME=${fx.home} ${process.execPath} ${BIN} top --name ${fx.name}; echo "exit=$?"; stty -g > ${sttyAfter}`;
      tmux('send-keys', '-t', session, command, 'Enter');
      await showing('the view to show all nodes, a leader and the lease', (s) => /› n1/.test(s) && /n3/.test(s) && /leader n\d/.test(s) && /tui-demo/.test(s), 60_000);
      tmux('send-keys', '-t', session, 'Down');
      await showing('n2 picked', (s) => /› n2/.test(s), 20_000);
      tmux('send-keys', '-t', session, 'k');
      await showing('the kill result in the events panel', (s) => /✓ killed n2: stopped/.test(s), 30_000);
      await showing('n2 shown as stopped', (s) => /› n2 +stopped/.test(s), 30_000);
      tmux('send-keys', '-t', session, 'q');
      await waitFor('the command to end', () => fs.existsSync(sttyAfter) && fs.readFileSync(sttyAfter, 'utf8').length > 0, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; the terminal showed:\n${screen()}`);
      });
      const after = screen();
      expect(after).to.match(/^exit=0$/m);
      // The alternate screen is gone: the shell's own screen is back, with no dashboard left on it.
      expect(after).to.not.match(/reach:|↑↓ pick/);
      expect(fs.readFileSync(sttyAfter, 'utf8')).to.equal(fs.readFileSync(sttyBefore, 'utf8'));
      expect((await fx.json('status')).nodes.map((n: { state: string }) => n.state)).to.deep.equal(['running', 'stopped', 'running']);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });

  it('refuses a cluster whose nodes are all stopped, before drawing anything', async () => {
    await fx.json('down');
    const stopped = await fx.ccm('top');
    expect(stopped.exitCode).to.equal(1);
    expect(stopped.stderr).to.match(/cluster "test" is not running/);
    expect(stopped.stdout).to.equal('');
  });
});
