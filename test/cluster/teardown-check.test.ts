import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

/** The teardown check every real-process test runs can fail: a process left behind under the fixture's home. */
describe('teardown check (real processes): a process left behind fails the test', function () {
  this.timeout(30_000);

  async function failureOf(fx: ClusterFixture): Promise<string | undefined> {
    try {
      await expectNoProcessLeft(fx, 1000);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  it('passes when nothing was started', async () => {
    expect(await failureOf(new ClusterFixture())).to.equal(undefined);
  });

  it('fails on processes cluster.json never recorded, found by their CCM_HOME or their arguments, and kills them', async () => {
    const fx = new ClusterFixture();
    // As the CLI's children are: CCM_HOME in the environment, or (a node) the cluster directory among the arguments.
    const byEnv = spawn('sleep', ['300'], { env: { ...process.env, CCM_HOME: fx.home }, stdio: 'ignore' });
    const byArgs = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)', '--', '--dir', `${fx.home}/test`], { stdio: 'ignore' });
    const pids = [byEnv.pid!, byArgs.pid!];
    await waitFor('both children running', () => pids.every(isAlive), 5000);

    const failure = await failureOf(fx);
    expect(failure).to.match(/2 process\(es\) left running under/);
    for (const pid of pids) expect(failure).to.include(`${pid}:`);
    await waitFor('the check killed both', () => !pids.some(isAlive), 5000);
  });
});
