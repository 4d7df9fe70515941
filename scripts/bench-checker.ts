/**
 * Times the linearizability checker (not a test; timings are never asserted): on the 52 Jepsen etcd
 * fixtures, and on synthetic 60 s register histories (10 processes, 3 keys, ~10,000 operations, 1% or 10%
 * of writes and cas indeterminate),
 * linearizable ones and ones with one stale read injected; and the HTML report for such a history.
 *
 *   npm run bench -- checker
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type Operation, pairOperations } from '../src/check/history.js';
import { parseJepsenLog } from '../src/check/jepsen-log.js';
import { checkOperations, type LinearizabilityAlgorithm } from '../src/check/linearizability.js';
import { registerModel } from '../src/check/register-model.js';
import { renderHtmlReport } from '../src/check/report.js';
import { syntheticRegisterHistory } from '../test/check/synthetic-history.js';

const fixtures = new URL('../../test/fixtures/jepsen-etcd/', import.meta.url);

function timed<T>(run: () => T): [T, number] {
  const start = performance.now();
  const value = run();
  return [value, performance.now() - start];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function fixtureTimings(): void {
  const files = readdirSync(fixtures).filter((name) => name.endsWith('.log')).sort();
  const histories = files.map((file) => pairOperations(parseJepsenLog(readFileSync(new URL(file, fixtures), 'utf8'))));
  for (const algorithm of ['competition', 'wgl', 'frontier'] as LinearizabilityAlgorithm[]) {
    const runs = [0, 1, 2].map(() => histories.reduce((sum, ops) => sum + timed(() => checkOperations(registerModel, ops, { algorithm, counterExample: false }))[1], 0));
    console.log(`fixtures (${files.length}), verdict only, ${algorithm}: ${median(runs).toFixed(0)} ms total (median of 3)`);
  }
  const full = [0, 1, 2].map(() => histories.reduce((sum, ops) => sum + timed(() => checkOperations(registerModel, ops))[1], 0));
  const slowest = histories
    .map((ops, i) => ({ file: files[i], ms: timed(() => checkOperations(registerModel, ops))[1] }))
    .sort((a, b) => b.ms - a.ms)[0];
  console.log(`fixtures, verdict + shrunk counter-examples: ${median(full).toFixed(0)} ms total (median of 3); slowest ${slowest.file} ${slowest.ms.toFixed(0)} ms`);
}

function synthetic(seed: number, valueRange: number, infoProbability: number): Operation[] {
  return pairOperations(
    syntheticRegisterHistory({ seed, processes: 10, keys: 3, durationMs: 60_000, latencyMs: 50, thinkMs: 10, infoProbability, valueRange }),
  );
}

function syntheticTimings(): void {
  // values 0..4 as in Jepsen (the injected stale value is usually written again, so it stays linearizable);
  // unique values, so the injected stale read is a real violation; and more info operations
  const cases = [
    { valueRange: 5, infoProbability: 0.01 },
    { valueRange: 1_000_000, infoProbability: 0.01 },
    { valueRange: 1_000_000, infoProbability: 0.1 },
  ];
  for (const { valueRange, infoProbability } of cases) {
    for (const seed of [1, 2, 3]) {
      const ops = synthetic(seed, valueRange, infoProbability);
      const info = ops.filter((op) => op.status === 'info').length;
      const [ok, okMs] = timed(() => checkOperations(registerModel, ops));
      // inject one stale read near 30 s: a read returns the value of the last write that completed 1 s earlier
      const read = ops.find((op) => op.f === 'read' && op.status === 'ok' && op.invokeMs > 30_000 && op.key === 'k0')!;
      const old = ops.filter((op) => op.f === 'write' && op.status === 'ok' && op.key === 'k0' && op.completeMs < read.invokeMs - 1_000).pop()!;
      const stale = ops.map((op) => (op === read ? { ...op, output: old.input } : op));
      const [verdict, verdictMs] = timed(() => checkOperations(registerModel, stale, { counterExample: false }));
      const [bad, badMs] = timed(() => checkOperations(registerModel, stale));
      console.log(
        `synthetic 60 s, values 0..${valueRange - 1}, ${infoProbability * 100}% of writes info, seed ${seed}: ${ops.length} ops (${info} info), ` +
          `linearizable: ${ok.result} in ${okMs.toFixed(0)} ms (${ok.partitions.map((p) => p.answeredBy).join('/')}); ` +
          `stale read injected: ${verdict.result} in ${verdictMs.toFixed(0)} ms (${verdict.partitions.map((p) => `${p.result}:${p.answeredBy ?? '-'}`).join('/')}), ` +
          `with counter-example ${badMs.toFixed(0)} ms, window ${bad.counterExample?.ops.length ?? '-'} ops${bad.counterExample?.isMinimal ? ' (minimal)' : ''}`,
      );
    }
  }
  const events = syntheticRegisterHistory({ seed: 1, processes: 10, keys: 3, durationMs: 60_000, latencyMs: 50, thinkMs: 10, infoProbability: 0.01, valueRange: 5 });
  const results = [checkOperations(registerModel, pairOperations(events))];
  const [html, htmlMs] = timed(() => renderHtmlReport({ title: 'synthetic', history: events, results, faults: [] }));
  console.log(`HTML report for ${events.length / 2} ops: ${htmlMs.toFixed(0)} ms, ${(html.length / 1024 / 1024).toFixed(1)} MiB`);
}

export async function run(): Promise<void> {
  fixtureTimings();
  syntheticTimings();
}
