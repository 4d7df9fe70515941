import { expect } from 'chai';
import fc from 'fast-check';
import { type Operation, pairOperations } from '../../src/check/history.js';
import {
  checkLinearizability,
  checkOperations,
  type LinearizabilityAlgorithm,
  type LinearizabilityResult,
} from '../../src/check/linearizability.js';
import { registerModel } from '../../src/check/register-model.js';
import { history, ops } from './history-builder.js';
import { oracleLinearizable, reachableValues } from './register-oracle.js';
import { syntheticRegisterHistory } from './synthetic-history.js';

const ALGORITHMS: LinearizabilityAlgorithm[] = ['competition', 'wgl', 'frontier'];

/** Checks with every algorithm; they must agree; returns the competition's result. */
function check(operations: Operation[]): LinearizabilityResult {
  const results = ALGORITHMS.map((algorithm) => checkOperations(registerModel, operations, { algorithm }));
  for (const result of results) expect(result.result, `${result.summary}`).to.equal(results[0].result);
  return results[0];
}

describe('linearizability: register histories by hand', () => {
  it('accepts a sequential history', () => {
    const result = check(
      ops(
        { p: 0, f: 'write', in: 1, t: [0, 10] },
        { p: 1, f: 'read', out: 1, t: [20, 30] },
        { p: 0, f: 'cas', in: [1, 2], t: [40, 50] },
        { p: 1, f: 'read', out: 2, t: [60, 70] },
      ),
    );
    expect(result.result).to.equal('ok');
    expect(result.verdict).to.equal('valid');
  });

  it('accepts a read concurrent with a write seeing either value', () => {
    for (const seen of [null, 1]) {
      const result = check(ops({ p: 0, f: 'write', in: 1, t: [0, 100] }, { p: 1, f: 'read', out: seen, t: [10, 20] }));
      expect(result.result).to.equal('ok');
    }
  });

  it('rejects a stale read, with the minimal window: the two reads that saw the register go back', () => {
    const operations = ops(
      { p: 0, f: 'write', in: 1, t: [0, 10] },
      { p: 0, f: 'write', in: 2, t: [20, 30] },
      { p: 2, f: 'read', out: 2, t: [32, 38] },
      { p: 1, f: 'read', out: 1, t: [40, 50] },
    );
    const result = check(operations);
    expect(result.result).to.equal('illegal');
    expect(result.verdict).to.equal('invalid');
    const example = result.counterExample!;
    expect(example.failingOp.id).to.equal(3);
    // from 32 ms, whatever the state: read 2, then read 1 with nothing writing 1 in between
    expect(example.ops.map((op) => op.id)).to.deep.equal([2, 3]);
    expect(example.windowStartMs).to.equal(32);
    expect(example.isMinimal).to.equal(true);
    expect(example.possibleStates).to.deep.equal(['2']);
    expect(example.description).to.contain('#3').and.contain('read → ok 2');
    expect(result.summary).to.contain('NOT linearizable');
  });

  it('rejects a read of a value never written', () => {
    const result = check(ops({ p: 0, f: 'write', in: 1, t: [0, 10] }, { p: 1, f: 'read', out: 7, t: [20, 30] }));
    expect(result.result).to.equal('illegal');
    expect(result.counterExample!.ops.map((op) => op.f)).to.deep.equal(['read']);
  });

  it('rejects a cas that succeeded on the wrong value', () => {
    const result = check(ops({ p: 0, f: 'write', in: 1, t: [0, 10] }, { p: 1, f: 'cas', in: [3, 4], t: [20, 30] }));
    expect(result.result).to.equal('illegal');
  });

  it('a failed cas certainly did not happen: it constrains nothing', () => {
    const result = check(
      ops(
        { p: 0, f: 'cas', in: [null, 5], t: [0, 10], status: 'fail' },
        { p: 1, f: 'read', out: null, t: [20, 30] },
      ),
    );
    expect(result.result).to.equal('ok');
  });

  it('an info write may take effect long after it timed out, or never', () => {
    const late = ops(
      { p: 0, f: 'write', in: 1, t: [0, 10], status: 'info' },
      { p: 1, f: 'read', out: null, t: [50, 60] },
      { p: 1, f: 'read', out: 1, t: [500, 510] },
    );
    expect(check(late).result).to.equal('ok');
    const never = ops({ p: 0, f: 'write', in: 1, t: [0, 10], status: 'info' }, { p: 1, f: 'read', out: null, t: [500, 510] });
    expect(check(never).result).to.equal('ok');
  });

  it('an info write takes effect at most once', () => {
    const twice = ops(
      { p: 0, f: 'write', in: 1, t: [0, 10], status: 'info' },
      { p: 1, f: 'read', out: 1, t: [50, 60] },
      { p: 2, f: 'write', in: 2, t: [70, 80] },
      { p: 1, f: 'read', out: 1, t: [90, 100] },
    );
    expect(check(twice).result).to.equal('illegal');
  });

  it('an info write cannot take effect before it was invoked', () => {
    const early = ops({ p: 1, f: 'read', out: 1, t: [0, 10] }, { p: 0, f: 'write', in: 1, t: [20, 30], status: 'info' });
    expect(check(early).result).to.equal('illegal');
  });

  it('info reads give no constraint', () => {
    const result = check(ops({ p: 0, f: 'write', in: 1, t: [0, 10] }, { p: 1, f: 'read', out: 'garbage', t: [20, 30], status: 'info' }));
    expect(result.result).to.equal('ok');
  });

  it('P-compositionality: each key is a register of its own, and the counter-example names the bad key', () => {
    const result = check(
      ops(
        { p: 0, f: 'write', key: 'a', in: 1, t: [0, 10] },
        { p: 1, f: 'read', key: 'b', out: null, t: [20, 30] },
        { p: 2, f: 'write', key: 'b', in: 5, t: [40, 50] },
        { p: 1, f: 'read', key: 'a', out: 1, t: [60, 70] },
        { p: 1, f: 'read', key: 'b', out: null, t: [80, 90] },
      ),
    );
    expect(result.result).to.equal('illegal');
    expect(result.partitions.map((p) => [p.key, p.result])).to.deep.equal([
      ['a', 'ok'],
      ['b', 'illegal'],
    ]);
    expect(result.counterExample!.key).to.equal('b');
  });

  it('checkLinearizability pairs events first and refuses a malformed history', () => {
    expect(checkLinearizability(registerModel, history({ p: 0, f: 'read', out: null, t: [0, 1] })).result).to.equal('ok');
    expect(() =>
      checkLinearizability(registerModel, [
        { process: 0, type: 'invoke', f: 'read', value: null, timeMs: 0 },
        { process: 0, type: 'invoke', f: 'read', value: null, timeMs: 1 },
      ]),
    ).to.throw(/malformed history/);
  });
});

describe('linearizability: budgets give unknown, not a guess', () => {
  const busy = (): Operation[] =>
    // concurrent writes and reads: more than a handful of configurations to explore
    ops(
      ...Array.from({ length: 10 }, (_, i) => ({ p: i, f: 'write', in: i % 3, t: [0, 100] as [number, number] })),
      { p: 20, f: 'read', out: 7, t: [200, 210] },
    );

  it('a memory budget of one configuration is not enough', () => {
    const result = checkOperations(registerModel, busy(), { maxConfigurations: 1 });
    expect(result.result).to.equal('unknown');
    expect(result.verdict).to.equal('unknown');
    expect(result.partitions[0].reason).to.contain('memory budget exceeded');
    expect(result.counterExample).to.equal(undefined);
  });

  it('a clock that has already run past the time budget stops the search', () => {
    let nowMs = 0;
    const result = checkOperations(registerModel, busy(), {
      timeBudgetMs: 5,
      nowMs: () => (nowMs += 10),
    });
    expect(result.result).to.equal('unknown');
    expect(result.summary).to.contain('time budget exceeded');
  });

  it('with enough budget the same history is decided', () => {
    expect(checkOperations(registerModel, busy()).result).to.equal('illegal');
  });
});

/** A random tiny register history: one operation per process, random intervals, values and outcomes. */
const tinyHistoryWith = (outcomes: ('ok' | 'info' | 'fail')[]) => fc
  .array(
    fc.record({
      f: fc.constantFrom('read', 'read', 'write', 'cas'),
      value: fc.constantFrom(null, 0, 1, 2),
      from: fc.constantFrom(null, 0, 1),
      start: fc.integer({ min: 0, max: 40 }),
      length: fc.integer({ min: 0, max: 25 }),
      outcome: fc.constantFrom(...outcomes),
    }),
    { minLength: 1, maxLength: 7 },
  )
  .map((specs) =>
    ops(
      ...specs.map((spec, p) => ({
        p,
        f: spec.f,
        in: spec.f === 'write' ? spec.value : spec.f === 'cas' ? [spec.from, spec.value] : null,
        out: spec.f === 'read' ? spec.value : undefined,
        t: [spec.start, spec.start + spec.length] as [number, number],
        status: spec.f === 'read' && spec.outcome === 'fail' ? ('ok' as const) : spec.outcome,
      })),
    ),
  );
const tinyHistory = tinyHistoryWith(['ok', 'ok', 'ok', 'info', 'fail']);

/** Up to ten operations by four processes, each process sequential, half the outcomes info (Jepsen-style:
 * a process that times out is replaced by a new one). */
const sequentialProcessesHistory = fc
  .array(
    fc.record({
      f: fc.constantFrom('read', 'read', 'write', 'cas'),
      value: fc.constantFrom(null, 0, 1, 2),
      from: fc.constantFrom(null, 0, 1),
      start: fc.integer({ min: 0, max: 60 }),
      length: fc.integer({ min: 0, max: 30 }),
      outcome: fc.constantFrom('ok', 'info'),
      process: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((specs) => {
    const busyUntil = new Map<number, number>();
    return ops(
      ...specs.map((spec, i) => {
        const p = spec.outcome === 'info' ? 100 + i : spec.process;
        const start = Math.max(spec.start, (busyUntil.get(p) ?? -1) + 1);
        busyUntil.set(p, start + spec.length);
        return {
          p,
          f: spec.f,
          in: spec.f === 'write' ? spec.value : spec.f === 'cas' ? [spec.from, spec.value] : null,
          out: spec.f === 'read' ? spec.value : undefined,
          t: [start, start + spec.length] as [number, number],
          status: spec.f === 'read' ? ('ok' as const) : spec.outcome,
        };
      }),
    );
  });
/** Mostly indeterminate writes: exercises the pruning of info operations (symmetry, no-ops, dominance). */
const infoHeavyHistory = tinyHistoryWith(['ok', 'info', 'info']);

function prefixAt(operations: readonly Operation[], cutMs: number): Operation[] {
  return operations
    .filter((op) => op.invokeMs <= cutMs && op.status !== 'fail')
    .map((op) => (op.completeMs <= cutMs ? op : { ...op, status: 'info' as const, output: undefined, completeMs: Infinity }));
}

describe('linearizability: agreement with a brute-force oracle on random tiny histories', () => {
  it('every algorithm agrees with the oracle', () => {
    fc.assert(
      fc.property(tinyHistory, (operations) => {
        const expected = oracleLinearizable(operations) ? 'ok' : 'illegal';
        for (const algorithm of ALGORITHMS) {
          expect(checkOperations(registerModel, operations, { algorithm, counterExample: false }).result, algorithm).to.equal(expected);
        }
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it('every algorithm agrees with the oracle on sequential processes with many indeterminate writes', () => {
    fc.assert(
      fc.property(sequentialProcessesHistory, (operations) => {
        const expected = oracleLinearizable(operations) ? 'ok' : 'illegal';
        for (const algorithm of ALGORITHMS) {
          expect(checkOperations(registerModel, operations, { algorithm, counterExample: false }).result, algorithm).to.equal(expected);
        }
      }),
      { numRuns: 400, seed: 17 },
    );
  });

  it('every algorithm agrees with the oracle when most writes are indeterminate', () => {
    fc.assert(
      fc.property(infoHeavyHistory, (operations) => {
        const expected = oracleLinearizable(operations) ? 'ok' : 'illegal';
        for (const algorithm of ALGORITHMS) {
          expect(checkOperations(registerModel, operations, { algorithm, counterExample: false }).result, algorithm).to.equal(expected);
        }
      }),
      { numRuns: 400, seed: 13 },
    );
  });

  it('counter-examples are sound and minimal: the failing op ends the shortest illegal prefix, the window is illegal on its own, and every kept op is needed', () => {
    let illegalSeen = 0;
    fc.assert(
      fc.property(tinyHistory, (operations) => {
        const result = checkOperations(registerModel, operations);
        if (result.result !== 'illegal') return;
        illegalSeen++;
        const example = result.counterExample!;
        // each search alone names the same failing operation
        for (const algorithm of ['wgl', 'frontier'] as const) {
          const alone = checkOperations(registerModel, operations, { algorithm });
          expect(alone.counterExample!.failingOp.completeMs, algorithm).to.equal(example.failingOp.completeMs);
        }
        const endMs = example.windowEndMs;
        expect(example.failingOp.completeMs).to.equal(endMs);
        // the shortest illegal prefix ends with the failing operation's completion
        expect(oracleLinearizable(prefixAt(operations, endMs))).to.equal(false);
        const earlier = operations.map((op) => op.completeMs).filter((t) => t < endMs);
        if (earlier.length > 0) expect(oracleLinearizable(prefixAt(operations, Math.max(...earlier)))).to.equal(true);
        // the window is illegal from every state the earlier operations could leave
        const startMs = example.isFromStart ? -Infinity : example.windowStartMs;
        const prefix = prefixAt(operations, endMs);
        const kept = new Set(example.ops.map((op) => op.id));
        const optional = (op: Operation): Operation => ({ ...op, status: 'info', output: undefined });
        const windowOf = (keep: ReadonlySet<number>): Operation[] =>
          prefix.filter((op) => op.completeMs >= startMs).map((op) => (op.invokeMs >= startMs && keep.has(op.id) ? op : optional(op)));
        const startStates = example.isFromStart ? [null] : reachableValues(prefix.filter((op) => op.invokeMs < startMs));
        expect(oracleLinearizable(windowOf(kept), startStates), example.description).to.equal(false);
        // minimal: making any kept operation optional makes the window legal
        if (example.isMinimal) {
          for (const op of example.ops) {
            if (op.id === example.failingOp.id) continue;
            const fewer = new Set(kept);
            fewer.delete(op.id);
            expect(oracleLinearizable(windowOf(fewer), startStates), `#${op.id} is needed`).to.equal(true);
          }
        }
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(illegalSeen).to.be.greaterThan(50);
  });
});

describe('linearizability: long synthetic histories', () => {
  const synthetic = (seed: number) =>
    syntheticRegisterHistory({
      seed,
      processes: 8,
      keys: 2,
      durationMs: 8_000,
      latencyMs: 40,
      thinkMs: 10,
      infoProbability: 0.02,
      valueRange: 5,
    });

  it('accepts histories that are linearizable by construction (with info operations)', () => {
    for (const seed of [1, 2, 3]) {
      const result = checkLinearizability(registerModel, synthetic(seed), { timeBudgetMs: 30_000 });
      expect(result.result, result.summary).to.equal('ok');
      expect(result.partitions).to.have.length(2);
    }
  });

  it('rejects one with a single stale read injected, and shrinks to a small window', () => {
    const events = syntheticRegisterHistory({
      seed: 4,
      processes: 8,
      keys: 2,
      durationMs: 8_000,
      latencyMs: 40,
      thinkMs: 10,
      infoProbability: 0.02,
      valueRange: 1_000_000,
    });
    const operations = pairOperations(events);
    const read = operations.find((op) => op.f === 'read' && op.status === 'ok' && op.invokeMs > 4_000 && op.key === 'k0')!;
    // a value written once, long before the read
    const old = operations.filter((op) => op.f === 'write' && op.status === 'ok' && op.key === 'k0' && op.completeMs < read.invokeMs - 500).pop()!;
    expect(operations.filter((op) => op.f !== 'read' && JSON.stringify(op.input).includes(String(old.input)))).to.have.length(1);
    const mutated = operations.map((op) => (op === read ? { ...op, output: old.input } : op));
    expect(checkOperations(registerModel, operations).result).to.equal('ok');
    // generous budgets: a loaded machine must not cut the shrinking short
    const result = checkOperations(registerModel, mutated, { timeBudgetMs: 30_000, counterExample: { timeBudgetMs: 20_000 } });
    expect(result.result).to.equal('illegal');
    expect(result.counterExample!.failingOp.id).to.equal(read.id);
    expect(result.counterExample!.ops.length).to.be.lessThan(6);
  });
});
