import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { pairOperations } from '../../src/check/history.js';
import { parseJepsenLog } from '../../src/check/jepsen-log.js';
import { checkOperations } from '../../src/check/linearizability.js';
import { registerModel } from '../../src/check/register-model.js';

// dist/test/check/ -> repository root
const fixtures = new URL('../../../test/fixtures/jepsen-etcd/', import.meta.url);
// budgets far above what these need (milliseconds), so that a loaded machine cannot turn an answer into unknown
const generous = { timeBudgetMs: 20_000, counterExample: { timeBudgetMs: 20_000 } };
const verdicts = JSON.parse(readFileSync(new URL('verdicts.json', fixtures), 'utf8')) as Record<string, boolean>;

describe('linearizability: real Jepsen etcd histories agree with their published verdicts', () => {
  it('has the 52 fixture logs (note: *.log is gitignored; they must be present in the tree)', () => {
    const logs = readdirSync(fixtures).filter((name) => name.endsWith('.log'));
    expect(logs.sort()).to.deep.equal(Object.keys(verdicts).sort());
  });

  for (const [file, isLinearizable] of Object.entries(verdicts)) {
    it(`${file} is ${isLinearizable ? 'linearizable' : 'not linearizable'}`, () => {
      const ops = pairOperations(parseJepsenLog(readFileSync(new URL(file, fixtures), 'utf8')));
      const expected = isLinearizable ? 'ok' : 'illegal';
      // each search alone must agree too: the competition must not hide a wrong answer from one of them
      // and both name the same failing operation (the end of the shortest illegal prefix)
      const failing = new Set<number | undefined>();
      for (const algorithm of ['wgl', 'frontier'] as const) {
        const alone = checkOperations(registerModel, ops, { algorithm, ...generous });
        expect(alone.result, `${algorithm}: ${alone.summary}`).to.equal(expected);
        failing.add(alone.counterExample?.failingOp.id);
      }
      expect(failing.size).to.equal(1);
      const result = checkOperations(registerModel, ops, generous);
      expect(result.result, result.summary).to.equal(expected);
      if (!isLinearizable) {
        const example = result.counterExample!;
        expect(example.ops.map((op) => op.id)).to.include(example.failingOp.id);
        expect(example.failingOp.completeMs).to.equal(example.windowEndMs);
        expect(example.isMinimal, example.description).to.equal(true);
      }
    });
  }
});
