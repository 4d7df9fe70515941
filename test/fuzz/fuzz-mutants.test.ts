import fs from 'node:fs';
import { expect } from 'chai';
import { NODE_PROGRAM } from '../../src/cluster/node-program.js';
import { checkMutants } from '../../src/fuzz/mutation-check.js';
import { MUTANTS, mutantProblem } from '../../src/fuzz/mutants.js';

/**
 * The fuzz suite shown able to fail, guard by guard: each mutant (src/fuzz/mutants.ts) takes one guard out of the
 * node program as built (issue 11's URL crash put back, route schemas off, RPC params unchecked, the SWIM packet
 * schema off, Raft messages unchecked), the node runs it, and the fuzz of that guard's port, from the same seed as
 * fuzz-ports.test.ts (which finds nothing against the program as built), must fail: the node dies, or answers an
 * input with an internal error. `npm run fuzz -- --mutants` runs the same check.
 */
const SEED = 20261206;
const BUDGET_MS_PER_MUTANT = 20_000;

describe('fuzz mutation check: with one guard taken out, the fuzz of its port fails', function () {
  this.timeout(300_000);

  it('every mutant still applies to the node program as built (each edit matches exactly once)', () => {
    const source = fs.readFileSync(NODE_PROGRAM, 'utf8');
    for (const m of MUTANTS) expect(mutantProblem(source, m), m.name).to.equal(undefined);
  });

  it(`each mutant is found by fuzzing its port (a crash or an internal error, named by seed, case and mutant); the node as built serves afterwards`, async () => {
    const { outcomes, servesAfter } = await checkMutants(SEED, BUDGET_MS_PER_MUTANT);
    const missed = outcomes.filter((o) => o.failure === null).map((o) => `${o.mutant.name} (${o.mutant.what})`);
    expect(missed, 'mutants the fuzz did not notice').to.deep.equal([]);
    expect(outcomes.map((o) => o.mutant.name)).to.deep.equal(MUTANTS.map((m) => m.name));
    for (const { mutant, failure } of outcomes) {
      expect(failure!.replay).to.match(new RegExp(`--port ${mutant.port} --seed ${SEED} --case \\d+ --mutant ${mutant.name}$`));
    }
    // issue 11's first crash, put back, is a crash again (the node's last words name it).
    const url = outcomes.find((o) => o.mutant.name === 'http-url-parsed-before-try')!.failure!;
    expect(url.how).to.equal('crash');
    expect(url.detail).to.include('Invalid URL');
    expect(servesAfter, 'the node as built serves after the mutants').to.equal(true);
  });
});
