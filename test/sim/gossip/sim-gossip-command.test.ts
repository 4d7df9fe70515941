import { expect } from 'chai';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

// dist/test/sim/gossip → repository root
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const ccm = (...args: string[]) => execa('node', ['bin/run.js', 'sim', 'gossip', ...args], { cwd: root, reject: false });

describe('ccm sim gossip', function () {
  this.timeout(60_000);

  it('prints the spread per round, the convergence times, detection and false positives; --json returns the same figures', async () => {
    const human = await ccm('--nodes', '30', '--seed', '3');
    expect(human.exitCode, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/round\s+time\s+know\s+serf model/);
    expect(human.stdout).to.match(/99\.99 % of nodes knew it after .* all 30 after/);
    expect(human.stdout).to.match(/every other node \(29\) after/);
    expect(human.stdout).to.match(/false positives: 0/);
    expect(human.stdout).to.match(/bytes sent per node per second/);

    const json = await ccm('--nodes', '30', '--seed', '3', '--scenario', 'dissemination', '--scenario', 'partition', '--json');
    expect(json.exitCode, json.stderr).to.equal(0);
    const r = JSON.parse(json.stdout);
    expect(r).to.include({ nodes: 30, loss: 0, seed: 3 });
    expect(r.dissemination.timeToAllMs).to.be.a('number');
    expect(r.dissemination.rounds[0]).to.have.keys(['round', 'timeMs', 'fraction', 'model']);
    expect(r.partition.reconvergedAfterMs).to.be.a('number');
    expect(r).to.not.have.property('failure');
  });

  it('rejects bad input with a clear error and a non-zero exit', async () => {
    for (const [args, message] of [
      [['--nodes', '20001'], /--nodes must be an integer from 2 to 20000 \(got "20001"\)/],
      [['--loss', '1'], /--loss must be a number in \[0, 1\)/],
      [['--seed', '1.5'], /--seed must be an integer from 0 to 4294967295 \(got "1\.5"\)/],
    ] as [string[], RegExp][]) {
      const r = await ccm(...args);
      expect(r.exitCode, args.join(' ')).to.not.equal(0);
      expect(r.stderr, args.join(' ')).to.match(message);
    }
    const json = await ccm('--nodes', '1', '--json');
    expect(json.exitCode).to.not.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({ error: { code: 'invalid_argument', message: '--nodes must be an integer from 2 to 20000 (got "1")' } });
  });
});
