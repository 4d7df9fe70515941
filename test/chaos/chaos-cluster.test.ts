/**
 * Chaos on real node processes: the fault commands (each shows in `chaos status` in words, and heal removes
 * every one), bad input refused with nothing changed, short `chaos run`s (valid on the real implementation; invalid
 * with a fault switch on is chaos-defects.test.ts, in the long tier), and Ctrl-C during a run healing everything.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { requestJson } from '../../src/client/http-json.js';
import { ClusterFixture, isAlive, waitFor, type CliResult } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** Runs ccm against the fixture's cluster with a deadline fit for a chaos run (the fixture's own is 60 s). */
const ccm = (fx: ClusterFixture, args: string[]): Promise<CliResult> => fx.ccmWithin(180_000, ...args);

function start(fx: ClusterFixture, args: string[]): ResultPromise {
  return execa(process.execPath, [BIN, ...args, '--name', fx.name], { env: { CCM_HOME: fx.home }, reject: false, timeout: 180_000 });
}

/** Every node running, none paused, every link filter clear and every clock right. */
async function expectNoFaults(fx: ClusterFixture): Promise<void> {
  const status = await fx.json('chaos', 'status');
  expect(status.lines, 'chaos status').to.deep.equal([]);
  const file = fx.clusterFile();
  expect(file.faults).to.deep.equal([]);
  for (const n of file.nodes) {
    expect(n.paused, `${n.id} paused`).to.equal(false);
    expect(isAlive(n.pid), `${n.id} running`).to.equal(true);
    const s = await requestJson<{ clockSkewMs: number; clockRate: number; linkFilter: { peers: object } }>({ host: file.host, port: n.ports.http }, 'GET', '/v1/status', undefined, { timeoutMs: 5000 });
    expect(s.clockSkewMs, `${n.id} clock`).to.equal(0);
    expect(s.clockRate, `${n.id} clock rate`).to.equal(1);
    expect(s.linkFilter.peers, `${n.id} link filter`).to.deep.equal({});
  }
}

describe('chaos on a real 5-node cluster', function () {
  const fx = new ClusterFixture();

  before(async () => {
    await fx.json('up', '--nodes', '5');
  });
  after(async () => {
    await fx.ccm('down');
    await expectNoProcessLeft(fx);
  });

  it('every fault command shows in chaos status in words, and chaos heal returns the cluster to no faults', async () => {
    for (const args of [
      ['chaos', 'partition', '--bridge', '--seed', '1'],
      ['chaos', 'one-way', 'n1', 'n2'],
      ['chaos', 'delay', 'n1', 'n3', '50ms', '--jitter', '10ms'],
      ['chaos', 'loss', '10%', '--between', 'n2', 'n3'],
      ['chaos', 'duplicate', '5%'],
      ['chaos', 'skew', 'n4', '+3s'],
      ['chaos', 'clock-rate', 'n3', '2x'],
      ['chaos', 'pause', 'n5'],
      ['chaos', 'kill', 'n2'],
    ]) {
      const r = await ccm(fx, args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    }
    const status = await fx.json('chaos', 'status');
    const text = status.lines.join('\n');
    for (const words of [/^partition: \{.*\} \| \{.*\} cannot reach each other$/m, /one-way: n1 cannot reach n2/, /delay 50 ms ±10 ms jitter between n1 and n3/, /loss 10% between n2 and n3/, /duplicate 5% on every link/, /clock of n4 ahead by 3 s/, /timers of n3 run 2x fast/, /n5 paused \(SIGSTOP\)/, /n2 killed \(SIGKILL\), held down/]) {
      expect(text).to.match(words);
    }
    // the faults are in effect: n2 stays down (the supervisor leaves a held node alone), n5 is stopped, n4's clock is off
    await new Promise((r) => setTimeout(r, 1500));
    const file = fx.clusterFile();
    const node = (id: string) => file.nodes.find((n: { id: string }) => n.id === id);
    expect(isAlive(node('n2').pid)).to.equal(false);
    expect(fs.readFileSync(`/proc/${node('n5').pid}/stat`, 'utf8')).to.match(/\) T /);
    expect(status.clockSkewMs.n4).to.equal(3000);
    expect(status.clockRates.n3).to.equal(2);
    const n1 = await requestJson<{ peers: Record<string, { out?: { drop?: boolean } }> }>({ host: file.host, port: node('n1').ports.http }, 'GET', '/admin/link-filter');
    expect(n1.peers.n2?.out?.drop).to.equal(true);

    const healed = await fx.json('chaos', 'heal');
    expect(healed.removed).to.have.length(8);
    expect(healed.resumed).to.deep.equal(['n5']);
    expect(healed.restarted).to.deep.equal(['n2']);
    await expectNoFaults(fx);
    expect((await fx.json('chaos', 'heal')).removed).to.deep.equal([]);
  });

  it('majority ring: every node reaches a majority, no two the same', async () => {
    await fx.json('chaos', 'partition', '--majority-ring', '--seed', '4');
    const status = await fx.json('status');
    const views = Object.entries(status.reachability as Record<string, Record<string, boolean>>).map(([id, row]) =>
      [id, ...Object.entries(row).filter(([, ok]) => ok).map(([peer]) => peer)].sort().join(),
    );
    for (const view of views) expect(view.split(',').length, view).to.equal(3);
    expect(new Set(views).size).to.equal(5);
    await fx.json('chaos', 'heal');
  });

  it('bad input gets a clear error and changes nothing', async () => {
    await fx.json('chaos', 'delay', '100ms');
    const before = JSON.stringify(fx.clusterFile().faults);
    for (const [args, message] of [
      [['chaos', 'partition', 'n1,n1', 'n2'], /n1 is named more than once/],
      [['chaos', 'partition', 'n1,n2', 'n9'], /unknown node "n9"/],
      [['chaos', 'partition', 'n1,n2'], /at least two groups/],
      [['chaos', 'partition', '--halves', 'n1', 'n2'], /not both/],
      [['chaos', 'loss', '150%'], /outside 0-100%/],
      [['chaos', 'duplicate', '-5%'], /not a percentage|outside/],
      [['chaos', 'delay', 'n1', 'n2', 'soon'], /not a duration/],
      [['chaos', 'delay', 'n1', 'n2', '200ms', '--jitter', 'lots'], /jitter "lots" is not a duration/],
      [['chaos', 'skew', 'n4', 'ahead'], /not a duration/],
      [['chaos', 'skew', 'n9', '+1s'], /unknown node "n9"/],
      [['chaos', 'clock-rate', 'n1', 'fast'], /2x, 0.5x or 1x/],
      [['chaos', 'clock-rate', 'n9', '2x'], /unknown node "n9"/],
      [['chaos', 'kill', 'n9'], /unknown node "n9"/],
      [['chaos', 'one-way', 'n1', 'n1'], /two different nodes/],
      [['chaos', 'run', '--nemesis', 'partition,explode'], /unknown nemesis "explode"/],
      [['chaos', 'run', '--workload', 'bank'], /unknown workload "bank"/],
      [['chaos', 'run', '--duration', '10'], /duration "10" is not a duration/],
      [['chaos', 'run', '--interval', 'often'], /interval "often" is not a duration/],
    ] as [string[], RegExp][]) {
      const r = await ccm(fx, args);
      expect(r.exitCode, args.join(' ')).to.not.equal(0);
      expect(r.stderr + r.stdout, args.join(' ')).to.match(message);
    }
    expect(JSON.stringify(fx.clusterFile().faults)).to.equal(before);
    expect(fs.existsSync(path.join(fx.home, fx.name, 'chaos-run.json'))).to.equal(false);
    await fx.json('chaos', 'heal');
  });

  it('chaos run register under partitions and kills: valid, with ops/s, checker time and a report', async () => {
    const report = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-chaos-report-'));
    try {
      const r = await ccm(fx, ['chaos', 'run', '--workload', 'register', '--nemesis', 'partition,kill', '--duration', '15s', '--interval', '3s', '--seed', '3', '--recovery', '2s', '--report', report]);
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^verdict: VALID$/m);
      expect(r.stdout).to.match(/\d+ ops\/s \(ok \d+%/);
      expect(r.stdout).to.match(/checking took: /);
      expect(r.stdout).to.match(/\+ .*(partition|halves|bridge|isolate|ring)/);
      expect(r.stdout).to.match(/\+ kill n\d/);
      expect(fs.readdirSync(report).sort()).to.deep.equal(['history.json', 'report.html', 'verdict.txt']);
      const history = JSON.parse(fs.readFileSync(path.join(report, 'history.json'), 'utf8'));
      expect(history.events.length).to.be.greaterThan(200);
      expect(history.faults.map((f: { kind: string }) => f.kind)).to.include('kill');
      const html = fs.readFileSync(path.join(report, 'report.html'), 'utf8');
      expect(html).to.include('<svg').and.include('VALID');
      expect(fs.readFileSync(path.join(report, 'verdict.txt'), 'utf8')).to.match(/^verdict: VALID/);
      await expectNoFaults(fx);
    } finally {
      fs.rmSync(report, { recursive: true, force: true });
    }
  });

  it('chaos run config under kills and pauses: every watcher saw every version in order', async () => {
    const r = await ccm(fx, ['chaos', 'run', '--workload', 'config', '--nemesis', 'kill,pause', '--duration', '12s', '--interval', '3s', '--seed', '5', '--recovery', '2s']);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/valid\s+watch-order\s+every watch saw every committed version in order: \d+ watches/);
    expect(r.stdout).to.match(/valid\s+lost-writes/);
  });

  it('Ctrl-C during a run heals every fault, resumes paused nodes and restarts killed ones, then exits 130', async () => {
    const run = start(fx, ['chaos', 'run', '--workload', 'register', '--nemesis', 'kill,pause,skew,delay', '--interval', '1s', '--duration', '60s', '--seed', '11']);
    // wait until a kill and a pause are both in effect
    await waitFor(
      'a node killed and a node paused by the run',
      () => {
        const file = fx.clusterFile();
        return file.faults.some((f: { kind: string }) => f.kind === 'kill') && file.nodes.some((n: { paused: boolean }) => n.paused);
      },
      60_000,
      100,
    );
    const during = await fx.json('chaos', 'status');
    expect(during.run?.workload).to.equal('register');
    expect(during.lines[0]).to.match(/^chaos run in progress \(pid \d+, workload register, nemesis kill,pause,skew,delay, seed 11/);
    const second = await ccm(fx, ['chaos', 'run', '--duration', '5s']);
    expect(second.exitCode).to.not.equal(0);
    expect(second.stderr).to.match(/a chaos run is already in progress/);
    run.kill('SIGINT');
    const r = await run;
    fx.pids();
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).to.equal(130);
    expect(String(r.stderr)).to.match(/interrupted: stopping the clients and healing every fault/);
    expect(String(r.stdout)).to.match(/interrupted: every fault was healed/);
    await expectNoFaults(fx);
  });
});
