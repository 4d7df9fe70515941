/**
 * chaos run can fail: short runs on real clusters with a test-only fault switch planted (src/node/raft/unsafe-fault-switch.ts),
 * each found invalid with a counter-example. In the long tier (test/long-tier.json): `npm run test:long`, run by CI.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ClusterFixture, type CliResult } from '../fixtures/cluster-fixture.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** Runs ccm against the fixture's cluster with a deadline fit for a chaos run (the fixture's own is 60 s). */
async function ccm(fx: ClusterFixture, args: string[], timeoutMs = 180_000): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args, '--name', fx.name], { env: { CCM_HOME: fx.home }, reject: false, timeout: timeoutMs });
  fx.pids(); // record any pid the command started
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('chaos run can fail: the test-only fault switches', function () {
  it('ack-before-commit (a write acknowledged before it commits): the register run is invalid, with a counter-example', async () => {
    const fx = new ClusterFixture();
    try {
      await fx.json('up', '--nodes', '3', '--setting', 'unsafeFaultSwitch=ack-before-commit');
      const r = await ccm(fx, ['chaos', 'run', '--workload', 'register', '--nemesis', 'none', '--duration', '8s', '--seed', '1', '--recovery', '1s']);
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/^verdict: INVALID$/m);
      expect(r.stdout).to.match(/invalid\s+linearizability/);
      expect(r.stdout).to.match(/counter-example \(linearizability\)/);
    } finally {
      await fx.ccm('down');
      await fx.cleanup();
    }
  });

  it('ignore-fence (fenced writes proposed without their fence): the lease run finds a stale token accepted; without the switch, none is', async () => {
    const fx = new ClusterFixture();
    try {
      await fx.json('up', '--nodes', '3', '--setting', 'unsafeFaultSwitch=ignore-fence');
      const r = await ccm(fx, ['chaos', 'run', '--workload', 'lease', '--nemesis', 'none', '--duration', '8s', '--seed', '2', '--recovery', '1s', '--json']);
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
      const result = JSON.parse(r.stdout);
      expect(result.checks[0].counterExample).to.match(/stale token|after that grant was released/);
    } finally {
      await fx.ccm('down');
      await fx.cleanup();
    }
  });

  it('grant-without-core (a lock granted without consensus): the lease run finds two holders at once', async () => {
    const fx = new ClusterFixture();
    try {
      await fx.json('up', '--nodes', '3', '--setting', 'unsafeFaultSwitch=grant-without-core');
      const r = await ccm(fx, ['chaos', 'run', '--workload', 'lease', '--nemesis', 'none', '--duration', '6s', '--seed', '1', '--recovery', '1s', '--json']);
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
      const result = JSON.parse(r.stdout);
      expect(result.verdict).to.equal('invalid');
      expect(result.checks[0].checker).to.equal('lease-exclusivity');
      expect(result.checks[0].counterExample).to.match(/two holders of .* at once/);
    } finally {
      await fx.ccm('down');
      await fx.cleanup();
    }
  });
});
