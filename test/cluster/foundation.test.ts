import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** The foundation, through the real CLI and real processes: up, status, kill/start, pause/resume, partition/heal, down. */
describe('cluster (real processes): ccm up / node / chaos / down', function () {
  this.timeout(120_000);
  let fx: ClusterFixture;
  beforeEach(() => (fx = new ClusterFixture()));
  afterEach(async () => {
    await expectNoProcessLeft(fx);
  });

  const state = (s: any, id: string): string => s.nodes.find((n: any) => n.id === id).state;

  it('runs the whole lifecycle and leaves no process behind', async () => {
    const up = await fx.json('up', '--nodes', '3', '--no-heal');
    expect(up.nodes.map((n: any) => n.id)).to.deep.equal(['n1', 'n2', 'n3']);
    const pids: number[] = up.nodes.map((n: any) => n.pid);
    expect(pids.every(isAlive)).to.equal(true);

    let s = await fx.json('status');
    expect(s.nodes.map((n: any) => n.state)).to.deep.equal(['running', 'running', 'running']);
    expect(s.reachability.n1.n2 && s.reachability.n2.n3 && s.reachability.n3.n1).to.equal(true);

    // partition: n1 alone; n2 and n3 still reach each other
    await fx.json('chaos', 'partition', 'n1', 'n2,n3');
    s = await fx.json('status');
    expect(s.reachability.n1.n2).to.equal(false);
    expect(s.reachability.n2.n1).to.equal(false);
    expect(s.reachability.n3.n1).to.equal(false);
    expect(s.reachability.n2.n3).to.equal(true);
    expect(s.faults).to.have.length(1);

    await fx.json('chaos', 'heal');
    s = await fx.json('status');
    expect(s.reachability.n1.n2 && s.reachability.n2.n1 && s.reachability.n3.n1).to.equal(true);
    expect(s.faults).to.deep.equal([]);

    // kill: SIGKILL, status shows it stopped, peers cannot reach it
    await fx.json('node', 'kill', 'n2');
    expect(isAlive(pids[1])).to.equal(false);
    s = await fx.json('status');
    expect(state(s, 'n2')).to.equal('stopped');
    expect(s.reachability.n1.n2).to.equal(false);

    // start: same ports, same data dir (start count 2)
    const started = await fx.json('node', 'start', 'n2');
    expect(started.state).to.equal('running');
    s = await fx.json('status');
    const n2 = s.nodes.find((n: any) => n.id === 'n2');
    expect(n2.ports).to.deep.equal(up.nodes[1].ports);
    expect(n2.startCount).to.equal(2);
    expect(s.reachability.n1.n2).to.equal(true);

    // a partition set while a node is down applies when it starts
    await fx.json('node', 'stop', 'n3');
    await fx.json('chaos', 'isolate', 'n3');
    await fx.json('node', 'start', 'n3');
    s = await fx.json('status');
    expect(s.reachability.n3.n1).to.equal(false);
    expect(s.reachability.n1.n3).to.equal(false);
    expect(s.reachability.n1.n2).to.equal(true);
    await fx.json('chaos', 'heal');

    // pause / resume
    await fx.json('node', 'pause', 'n3');
    s = await fx.json('status');
    expect(state(s, 'n3')).to.equal('paused');
    expect(s.reachability.n1.n3).to.equal(false);
    await fx.json('node', 'resume', 'n3');
    s = await fx.json('status');
    expect(state(s, 'n3')).to.equal('running');
    expect(s.reachability.n1.n3).to.equal(true);

    // restart
    const before = fx.clusterFile().nodes[0].pid;
    await fx.json('node', 'restart', 'n1');
    expect(fx.clusterFile().nodes[0].pid).to.not.equal(before);
    expect(isAlive(before)).to.equal(false);

    // logs
    const logs = await fx.ccm('logs', 'n1', '-n', '100');
    expect(logs.exitCode).to.equal(0);
    expect(logs.stdout).to.include('node-started');

    const all = fx.pids();
    const down = await fx.json('down');
    expect(down.stopped).to.deep.equal(['n1', 'n2', 'n3']);
    expect(all.filter(isAlive)).to.deep.equal([]);
    expect(state(await fx.json('status'), 'n1')).to.equal('stopped');
  });

  it('rejects bad input with a clear message and a non-zero exit, changing nothing', async () => {
    for (const [args, pattern] of [
      [['up', '--nodes', '0'], /--nodes must be/],
      [['up', '--nodes', 'abc'], /integer/],
      [['status'], /does not exist/],
      [['node', 'kill', 'n1'], /does not exist/],
      [['chaos', 'heal'], /does not exist/],
      [['up', '--nodes', '3', '--core', '2'], /odd/],
    ] as [string[], RegExp][]) {
      const r = await fx.ccm(...args);
      expect(r.exitCode, args.join(' ')).to.not.equal(0);
      expect(r.stderr + r.stdout, args.join(' ')).to.match(pattern);
    }
    expect(fs.existsSync(path.join(fx.home, fx.name))).to.equal(false);

    await fx.json('up', '--nodes', '2', '--no-heal');
    const pidsBefore = fx.clusterFile().nodes.map((n: any) => n.pid);
    for (const [args, pattern] of [
      [['up', '--nodes', '2'], /already running/],
      [['node', 'kill', 'n9'], /unknown node "n9"/],
      [['node', 'start', 'n1'], /already running/],
      [['node', 'resume', 'n1'], /not paused/],
      [['chaos', 'partition', 'n1,n1', 'n2'], /more than once/],
      [['chaos', 'partition', 'n1', 'n7'], /unknown node "n7"/],
      [['chaos', 'partition', 'n1'], /two groups/],
    ] as [string[], RegExp][]) {
      const r = await fx.ccm(...args);
      expect(r.exitCode, args.join(' ')).to.not.equal(0);
      expect(r.stderr + r.stdout, args.join(' ')).to.match(pattern);
    }
    expect(fx.clusterFile().nodes.map((n: any) => n.pid)).to.deep.equal(pidsBefore);
    expect(fx.clusterFile().faults).to.deep.equal([]);

    // --json errors are machine-readable
    const r = await fx.ccm('node', 'kill', 'n9', '--json');
    expect(r.exitCode).to.equal(1);
    expect(JSON.parse(r.stdout).error.code).to.equal('not_found');
  });

  it('a node that fails to start is named, with its last log lines', async () => {
    await fx.json('up', '--nodes', '2', '--no-heal');
    await fx.json('node', 'stop', 'n2');
    const port = fx.clusterFile().nodes[1].ports.http;
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await fx.ccm('node', 'start', 'n2');
      expect(r.exitCode).to.equal(1);
      expect(r.stderr).to.match(/node n2 exited during start-up/);
      expect(r.stderr).to.include(`port ${port} is already in use`);
    } finally {
      squatter.close();
    }
    await waitFor('n2 process gone', () => fx.clusterFile().nodes[1].pid === null || !isAlive(fx.clusterFile().nodes[1].pid));
  });

  it('a corrupt cluster.json is reported, and down --purge still cleans up', async () => {
    await fx.json('up', '--nodes', '1', '--no-heal');
    const pids = fx.pids();
    const file = path.join(fx.home, fx.name, 'cluster.json');
    fs.writeFileSync(file, '{"version": 1, "nodes": [');
    const r = await fx.ccm('status');
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(/cluster\.json is corrupt/);
    // the node is still ours to kill (the fixture remembered its pid); purge removes the dir
    for (const p of pids) process.kill(p, 'SIGKILL');
    expect((await fx.ccm('down', '--purge')).exitCode).to.equal(0);
    expect(fs.existsSync(path.join(fx.home, fx.name))).to.equal(false);
  });
});
