import { expect } from 'chai';
import { LearnerProcess, killAllLearnerProcesses, liveLearnerGroups, type LearnerProblem } from '../../src/exercise/learner-process.js';
import { isAlive, waitFor } from '../fixtures/cluster-fixture.js';

/** A learner program as a Node one-liner. */
const nodeProgram = (source: string): string[] => [process.execPath, '-e', source];

describe('a learner\'s program: output bounded, processes never left behind', function () {
  this.timeout(20_000);
  afterEach(() => killAllLearnerProcesses());

  it('hands over complete lines only, and cuts a line longer than the limit without buffering it whole', async () => {
    const lines: string[] = [];
    const problems: LearnerProblem[] = [];
    const p = new LearnerProcess({
      name: 'p0',
      command: nodeProgram(`process.stdout.write('{"a":1}\\n' + 'x'.repeat(5000) + '\\n{"b":2}\\n'); setTimeout(() => {}, 200)`),
      maxLineBytes: 1000,
      onLine: (l) => lines.push(l),
      onProblem: (pr) => problems.push(pr),
    });
    await p.start();
    await p.whenExited();
    expect(lines).to.deep.equal(['{"a":1}', '{"b":2}']);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ kind: 'overlong-line', process: 'p0' });
    expect((problems[0] as { prefix: string }).prefix).to.have.length(200);
  });

  it('drops lines beyond the rate limit and counts them', async () => {
    let taken = 0;
    const p = new LearnerProcess({
      name: 'n1',
      command: nodeProgram(`for (let i = 0; i < 5000; i++) process.stdout.write('{"i":' + i + '}\\n')`),
      maxLinesPerSecond: 100,
      onLine: () => taken++,
    });
    await p.start();
    await p.whenExited();
    await new Promise((r) => setTimeout(r, 50));
    expect(taken).to.be.lessThan(400);
    expect(p.counters.rateLimited).to.equal(5000 - taken);
  });

  it('a program that is not there is reported, not thrown', async () => {
    const problems: LearnerProblem[] = [];
    const p = new LearnerProcess({ name: 'p1', command: ['no-such-program-xyz'], onLine: () => undefined, onProblem: (pr) => problems.push(pr) });
    await p.start();
    expect(problems[0]).to.deep.include({ kind: 'spawn-failed' });
    expect((problems[0] as { message: string }).message).to.include('not found');
  });

  it('kill takes the whole process group: a shell and what it started in the background', async () => {
    const p = new LearnerProcess({ name: 'n2', command: ['sh', '-c', 'sleep 60 & sleep 60 & echo $! ; wait'], onLine: () => undefined });
    let child = 0;
    const started = new LearnerProcess({ name: 'n3', command: ['sh', '-c', 'sleep 60 & echo $! ; wait'], onLine: (l) => (child = Number(l)) });
    await p.start();
    await started.start();
    await waitFor('the background child', () => child > 0);
    expect(isAlive(child)).to.equal(true);
    await started.kill();
    await waitFor('the background child gone', () => !isAlive(child), 3000);
    killAllLearnerProcesses();
    await waitFor('every group gone', () => !isAlive(p.pid!), 3000);
    expect(liveLearnerGroups()).to.deep.equal([]);
  });

  it('a paused program answers nothing until resumed', async () => {
    const lines: string[] = [];
    const p = new LearnerProcess({ name: 'n4', command: nodeProgram(`require('readline').createInterface({input: process.stdin}).on('line', (l) => console.log(l))`), onLine: (l) => lines.push(l) });
    await p.start();
    p.send({ x: 1 });
    await waitFor('the echo', () => lines.length === 1);
    p.pause();
    p.send({ x: 2 });
    await new Promise((r) => setTimeout(r, 300));
    expect(lines).to.have.length(1);
    p.resume();
    await waitFor('the echo after resume', () => lines.length === 2);
    await p.kill();
  });
});
