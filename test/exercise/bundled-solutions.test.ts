import { expect } from 'chai';
import path from 'node:path';
import { clusterPaths } from '../../src/cluster/cluster-dir.js';
import { checkExercise } from '../../src/exercise/exercise-check.js';
import { PROJECT_ROOT, programCommand } from '../../src/exercise/exercises.js';
import { killAllLearnerProcesses } from '../../src/exercise/learner-process.js';
import { ClusterFixture } from '../fixtures/cluster-fixture.js';

/**
 * The bundled programs the walkthroughs (docs/learn, run by walkthroughs.test.ts) do not run: the TypeScript
 * reference and broken solutions of exercises 1 and 3, and a node written the way Maelstrom and Gossip Glomers
 * nodes are. Short runs; `node dist/scripts/exercise-runs.js` runs every program at the default length.
 */
describe('bundled solutions: TypeScript for exercises 1 and 3, and a Maelstrom-style node unchanged', function () {
  this.timeout(120_000);
  const fx = new ClusterFixture();
  before(async () => {
    await fx.json('up', '--nodes', '3');
  });
  after(async () => {
    killAllLearnerProcesses();
    await fx.cleanup();
  });
  const check = (exercise: 'lease' | 'gossip', command: string[], seed = 11) =>
    checkExercise({ exercise, commands: { [exercise]: command }, paths: clusterPaths(fx.home, fx.name), durationMs: 4000, seed, nodeCount: 5, compare: false, replay: '' });

  it('exercise 3, gossip: the TypeScript reference passes, the broken one loses facts', async () => {
    const good = await check('gossip', programCommand('gossip', 'reference', 'ts'));
    expect(good.verdict, good.runs[0].reasons.join('\n')).to.equal('pass');
    const bad = await check('gossip', programCommand('gossip', 'broken', 'ts'));
    expect(bad.verdict).to.equal('fail');
    expect(bad.runs[0].reasons[0]).to.match(/^fact \d+ \(broadcast to n\d .*\) is missing from/);
  });

  it('a broadcast node written the way Gossip Glomers nodes are passes unchanged', async () => {
    const r = await check('gossip', ['python3', path.join(PROJECT_ROOT, 'examples/exercises/gossip/maelstrom_style.py')]);
    expect(r.verdict, r.runs[0].reasons.join('\n')).to.equal('pass');
  });

  it('exercise 1, lease: the TypeScript reference passes, the broken one lets a stale holder overwrite the data', async () => {
    const good = await check('lease', programCommand('lease', 'reference', 'ts'));
    expect(good.verdict, good.runs[0].reasons.join('\n')).to.equal('pass');
    const bad = await check('lease', programCommand('lease', 'broken', 'ts'));
    expect(bad.verdict).to.equal('fail');
    expect(bad.runs[0].reasons.join('\n')).to.match(/the resource accepted .* after .*: a holder with an older token overwrote a newer holder's data/);
  });
});
