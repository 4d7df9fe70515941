import { expect } from 'chai';
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterPaths } from '../../src/cluster/cluster-dir.js';
import { checkExercise } from '../../src/exercise/exercise-check.js';
import { PROJECT_ROOT, programCommand, type ChaosTarget, type ExerciseId } from '../../src/exercise/exercises.js';
import { killAllLearnerProcesses } from '../../src/exercise/learner-process.js';
import { pickBug, PLANTED_BUGS } from '../../src/exercise/planted-bugs.js';
import { SeededRandom } from '../../src/random/random.js';
import { ClusterFixture } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
/** The bundled references are in Python first; without python3 those tests skip, saying so. */
const HAS_PYTHON = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
function needPython(ctx: Mocha.Context): void {
  if (HAS_PYTHON) return;
  process.stdout.write('      skipped: needs python3 (not on PATH)\n');
  ctx.skip();
}

/**
 * The bundled programs, in-process and short (no CLI start, no comparison run): every reference solution passes;
 * the TypeScript programs of exercises 1 and 3 pass and fail as their Python twins do; a node written the way
 * Maelstrom and Gossip Glomers nodes are passes unchanged. The broken Python solutions fail in the walkthroughs
 * (test/learn/walkthroughs.test.ts); `node dist/scripts/exercise-runs.js` runs everything at full length.
 */
describe('bundled solutions: each reference passes; TypeScript and a Maelstrom-style node', function () {
  this.timeout(180_000);
  const fx = new ClusterFixture();
  before(async () => {
    await fx.json('up', '--nodes', '3');
  });
  after(async () => {
    killAllLearnerProcesses();
    await expectNoProcessLeft(fx);
  });
  const check = (exercise: ExerciseId, commands: Partial<Record<ChaosTarget, string[]>>, durationMs: number) =>
    checkExercise({ exercise, commands, paths: clusterPaths(fx.home, fx.name), durationMs, seed: 11, nodeCount: 5, compare: false, replay: '' });
  const reasons = (r: Awaited<ReturnType<typeof check>>) => r.runs.map((run) => `${run.label}: ${run.reasons.join('; ')}`).join('\n');

  // Recipes share the cluster, so they run one at a time.
  for (const [exercise, durationMs] of [['lease', 4000], ['watch', 5000], ['election-recipe', 4000]] as [ExerciseId, number][]) {
    it(`${exercise}: the reference solution passes`, async function () {
      needPython(this);
      const r = await check(exercise, { [exercise]: programCommand(exercise, 'reference') }, durationMs);
      expect(r.verdict, reasons(r)).to.equal('pass');
    });
  }

  it('lease: a release answered "timeout" (it may have happened) is indeterminate, not refused: the reference so answering still passes', async function () {
    needPython(this);
    const wrapper = path.join(PROJECT_ROOT, 'test/fixtures/exercise/release-says-timeout.py');
    const r = await check('lease', { lease: ['python3', wrapper, ...programCommand('lease', 'reference')] }, 3000);
    expect(r.verdict, reasons(r)).to.equal('pass');
    expect(Number(r.runs[0].figures.find((f) => f.name === 'grants')?.value)).to.be.above(1);
  });

  // Protocols share nothing (each check is its own network), so they run side by side.
  it('gossip, election, failure-detection: the reference solutions pass', async function () {
    needPython(this);
    const runs = await Promise.all(
      ([['gossip', 4000], ['election', 7000], ['failure-detection', 5000]] as [ExerciseId, number][]).map(([exercise, durationMs]) =>
        check(exercise, { [exercise]: programCommand(exercise, 'reference') }, durationMs),
      ),
    );
    for (const r of runs) expect(r.verdict, `${r.exercise}: ${reasons(r)}`).to.equal('pass');
  });

  it('chaos: the references of lease and gossip pass under every fault at once', async function () {
    needPython(this);
    const r = await check('chaos', { lease: programCommand('lease', 'reference'), gossip: programCommand('gossip', 'reference') }, 4000);
    expect(r.runs.map((run) => run.label)).to.deep.equal(['lease', 'gossip']);
    expect(r.verdict, reasons(r)).to.equal('pass');
  });

  it('exercise 3 in TypeScript: the reference passes, the broken one (no retransmission) loses facts', async () => {
    const [good, bad] = await Promise.all([
      check('gossip', { gossip: programCommand('gossip', 'reference', 'ts') }, 4000),
      check('gossip', { gossip: programCommand('gossip', 'broken', 'ts') }, 4000),
    ]);
    expect(good.verdict, reasons(good)).to.equal('pass');
    expect(bad.verdict).to.equal('fail');
    expect(bad.runs[0].reasons[0]).to.match(/^fact \d+ \(broadcast to n\d .*\) is missing from/);
  });

  it('a broadcast node written as Maelstrom and Gossip Glomers nodes are (Python) passes unchanged', async function () {
    needPython(this);
    const glomers = await check('gossip', { gossip: ['python3', path.join(PROJECT_ROOT, 'examples/exercises/gossip/maelstrom_style.py')] }, 4000);
    expect(glomers.verdict, reasons(glomers)).to.equal('pass');
  });

  it('exercise 1 in TypeScript: the reference passes, the broken one lets a stale holder overwrite the data, the starter (nothing granted) fails', async () => {
    const good = await check('lease', { lease: programCommand('lease', 'reference', 'ts') }, 4000);
    expect(good.verdict, reasons(good)).to.equal('pass');
    expect(Number(good.runs[0].figures.find((f) => f.name === 'grants')?.value)).to.be.above(0);
    const starter = await check('lease', { lease: programCommand('lease', 'starter', 'ts') }, 2000);
    expect(starter.verdict).to.equal('fail');
    expect(starter.runs[0].reasons.join('\n')).to.match(/^no acquire was ever granted \(\d+ refused: held\)/m);
    const bad = await check('lease', { lease: programCommand('lease', 'broken', 'ts') }, 4000);
    expect(bad.verdict).to.equal('fail');
    expect(bad.runs[0].reasons.join('\n')).to.match(/the resource accepted .* after .*: a holder with an older token overwrote a newer holder's data/);
  });

  it('exercise bug plants one bug, hidden in cluster.json, and tells a right answer from a wrong one', async () => {
    const bug = pickBug(new SeededRandom(7));
    const ccm = async (...args: string[]) => {
      const r = await execa(process.execPath, [BIN, ...args, '--name', 'hunt'], { env: { CCM_HOME: fx.home }, reject: false, timeout: 60_000 });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    };
    const started = await ccm('exercise', 'bug', '--nodes', '1', '--seed', '7');
    expect(started.exitCode, started.stderr).to.equal(0);
    expect(started.stdout).to.include('one bug planted in it');
    expect(fs.readFileSync(path.join(fx.home, 'hunt', 'cluster.json'), 'utf8')).to.not.include(bug.name);
    const wrong = PLANTED_BUGS.flatMap((b) => b.breaks).find((g) => !bug.breaks.includes(g))!;
    const no = await ccm('exercise', 'bug', '--answer', wrong);
    expect([no.exitCode, no.stdout.slice(0, 4)]).to.deep.equal([1, 'No: ']);
    const yes = await ccm('exercise', 'bug', '--answer', bug.breaks[0], '--json');
    expect(yes.exitCode).to.equal(0);
    expect(JSON.parse(yes.stdout)).to.deep.include({ isRight: true, bug: { name: bug.name, description: bug.description, breaks: bug.breaks, shownBy: `${bug.shownBy} --name hunt` } });
    const again = await ccm('exercise', 'bug');
    expect([again.exitCode, /already exists/.test(again.stderr)]).to.deep.equal([1, true]);
    await ccm('down', '--purge');
  });
});
