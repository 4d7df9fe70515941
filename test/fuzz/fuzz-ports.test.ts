import { expect } from 'chai';
import { runFuzz, type FuzzReport } from '../../src/fuzz/fuzz-run.js';

/**
 * The fuzz suite in `npm test`: a short fixed budget per port against a real node (`npm run fuzz -- --minutes N` for
 * long runs). The seed is fixed, so a failure here names a case that replays: `npm run fuzz -- --port P --seed S
 * --case I` (add `--dump` to see its bytes).
 */
const SEED = 20261206;
const BUDGET_MS_PER_PORT = 8000;

function describeCrashes(report: FuzzReport): string {
  return report.crashes.map((c) => `${c.port} seed ${c.seed} case ${c.caseIndex}: ${c.what}\n${c.lastWords}\nreplay: ${c.replay}`).join('\n\n');
}

describe('fuzz: every port of a real node (HTTP, peer TCP, gossip UDP)', function () {
  this.timeout(180_000);

  it(`survives ${BUDGET_MS_PER_PORT / 1000} s of random bytes and mutated valid traffic on each port, refusing it with counted reasons, and answers afterwards`, async () => {
    const report = await runFuzz({ seed: SEED, ports: ['http', 'peer', 'gossip'], budgetMsPerPort: BUDGET_MS_PER_PORT });
    expect(report.crashes, describeCrashes(report)).to.deep.equal([]);
    expect(report.answersAfter).to.equal(true);
    for (const port of ['http', 'peer', 'gossip'] as const) expect(report.cases[port], port).to.be.above(20);
    // Each port refused something, by a named reason (the metric is what an operator sees).
    for (const port of ['http', 'peer', 'gossip']) expect(Object.keys(report.rejected).some((k) => k.startsWith(`${port}/`)), port).to.equal(true);
    // The fuzzer is an insider (key and token): its mutated bodies got past the door to the schema checks behind it.
    for (const port of ['http', 'peer', 'gossip']) expect(report.rejected[`${port}/bad_body`] ?? 0, `${port}/bad_body: ${JSON.stringify(report.rejected)}`).to.be.above(0);
    // And the door was fuzzed too: each case sent as an outsider (no token, not sealed) was refused there.
    for (const port of ['http', 'peer'] as const) {
      const o = report.outsiders[port]!;
      expect(o.cases, `${port} outsider cases`).to.be.above(0);
      expect(o.refused, `${port} outsider cases not refused: ${o.notRefused.join(', ')}`).to.equal(o.cases);
    }
    // A datagram gets no answer: its refusals are the node's gossip/bad_seal count (UDP may drop one, so: some).
    expect(report.outsiders.gossip!.cases).to.be.above(0);
    expect(report.outsiders.gossip!.refused, JSON.stringify(report.rejected)).to.be.above(0);
    expect(report.rejected['peer/bad_seal'] ?? 0).to.be.above(0);
    expect(report.handlerErrors, 'unexpected errors in handlers (answered 500, but bugs)').to.deep.equal([]);
  });

  it('shown able to fail: with validation off (test-only CCM_UNSAFE_SKIP_VALIDATION=1) the short run reports the crash with its seed; restarted with validation, the node replays the bad entry harmlessly', async () => {
    let recovered = false;
    let rejected: Record<string, number> = {};
    const report = await runFuzz({
      seed: 1,
      ports: ['peer'],
      budgetMsPerPort: 30_000,
      unsafeSkipValidation: true,
      stopAtFirstCrash: true,
      afterRun: async (cluster) => {
        // The crash left its command committed in the log: started again (with validation on, as a normal node),
        // the node applies it as an error result instead of crashing on it at every start.
        recovered = await cluster.restartTarget();
        rejected = await cluster.rejections();
      },
    });
    expect(report.crashes, 'the fuzzer should have found a crash with validation off').to.have.length(1);
    const crash = report.crashes[0];
    expect(crash.replay).to.match(new RegExp(`--port peer --seed 1 --case ${crash.caseIndex}`));
    expect(crash.lastWords).to.include('"fatal"');
    expect(recovered, 'the restarted node should serve').to.equal(true);
    expect(rejected['log/bad_command'], JSON.stringify(rejected)).to.be.at.least(1);
  });
});
