/**
 * chaos run can fail: short runs on real clusters with a test-only fault switch planted (src/node/raft/unsafe-fault-switch.ts),
 * each found invalid with a counter-example. In the long tier (test/long-tier.json): `npm run test:long`, run by CI.
 */
import { expect } from 'chai';
import { ClusterFixture, type CliResult } from '../fixtures/cluster-fixture.js';

/** A 3-node cluster with `fault` switched on, one `ccm chaos run` with `runArgs` against it, then down and clean. */
async function chaosRunWith(fault: string, runArgs: string[]): Promise<CliResult> {
  const fx = new ClusterFixture();
  try {
    await fx.json('up', '--nodes', '3', '--setting', `unsafeFaultSwitch=${fault}`);
    return await fx.ccmWithin(180_000, 'chaos', 'run', ...runArgs);
  } finally {
    await fx.ccm('down');
    await fx.cleanup();
  }
}

describe('chaos run can fail: the test-only fault switches', function () {
  it('ack-before-commit (a write acknowledged before it commits): the register run is invalid, with a counter-example', async () => {
    const r = await chaosRunWith('ack-before-commit', ['--workload', 'register', '--nemesis', 'none', '--duration', '8s', '--seed', '1', '--recovery', '1s']);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.match(/^verdict: INVALID$/m);
    expect(r.stdout).to.match(/invalid\s+linearizability/);
    expect(r.stdout).to.match(/counter-example \(linearizability\)/);
  });

  it('ignore-fence (fenced writes proposed without their fence): the lease run finds a stale token accepted; without the switch, none is', async () => {
    const r = await chaosRunWith('ignore-fence', ['--workload', 'lease', '--nemesis', 'none', '--duration', '8s', '--seed', '2', '--recovery', '1s', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
    const result = JSON.parse(r.stdout);
    expect(result.checks[0].counterExample).to.match(/stale token|after that grant was released/);
  });

  it('grant-without-core (a lock granted without consensus): the lease run finds two holders at once', async () => {
    const r = await chaosRunWith('grant-without-core', ['--workload', 'lease', '--nemesis', 'none', '--duration', '6s', '--seed', '1', '--recovery', '1s', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
    const result = JSON.parse(r.stdout);
    expect(result.verdict).to.equal('invalid');
    expect(result.checks[0].checker).to.equal('lease-exclusivity');
    expect(result.checks[0].counterExample).to.match(/two holders of .* at once/);
  });
});
