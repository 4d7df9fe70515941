/**
 * No lost acknowledged writes: every acknowledged write is either the value a final read returns or was
 * overwritten by a write that could have come after it.
 *
 * Operations, keyed: `write` (input: the value), `cas` (input `[from, to]` or `{ from, to }`: writes `to`),
 * `delete` (writes nil), and `read` (ok output: the value, null for nil). A *final read* of a key is an ok
 * read invoked after every acknowledged (ok) write of that key completed, such as the read the runner does
 * after healing the cluster (name it with `finalReadF` if it has its own function).
 *
 * The rule, per final read R returning F: an acknowledged write W of value v ≠ F is lost if every write
 * that could have produced F (an ok or info write of F, or the initial nil when F is nil) certainly
 * completed before W was invoked. Then F was in place before W took effect and nothing that could have
 * rewritten F took effect after W, so W (or something after it) should be what R sees. When some write of
 * F may have come after W (it overlaps W or follows it), W may have been overwritten: not lost. A final
 * value that no write could have produced is reported too.
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import { formatMs, formatValue, groupByKey, type Operation } from './history.js';
import { casArguments, registerValuesEqual } from './register-model.js';

/** Options for checkLostWrites. */
export interface LostWritesOptions {
  /** The function of final reads, if they are marked (e.g. 'final-read'); default: any quiescent ok read. */
  finalReadF?: string;
  /** Most violations listed; default 100. */
  maxViolations?: number;
}

/** A lost write or an impossible final value. */
export interface LostWriteViolation extends CounterExample {
  kind: 'lost-write' | 'unwritten-final-value';
  key: string;
}

/** The lost-writes checker's result. */
export interface LostWritesResult extends CheckResult {
  checker: 'lost-writes';
  /** Keys with acknowledged writes but no final read: they could not be checked. */
  uncheckedKeys: string[];
  /** Acknowledged writes checked against a final read. */
  checkedWrites: number;
  violations: LostWriteViolation[];
  counterExample?: LostWriteViolation;
}

const WRITE_FUNCTIONS = new Set(['write', 'cas', 'delete']);

/** The value a write leaves (for cas: the value it sets). */
function writtenValue(op: Operation): unknown {
  if (op.f === 'delete') return null;
  if (op.f === 'cas') return casArguments(op.input).to ?? null;
  return op.input ?? null;
}

/** Checks that no acknowledged write vanished: see the module comment for the rule. */
export function checkLostWrites(operations: readonly Operation[], options: LostWritesOptions = {}): LostWritesResult {
  const maxViolations = options.maxViolations ?? 100;
  const violations: LostWriteViolation[] = [];
  const uncheckedKeys: string[] = [];
  let checkedWrites = 0;

  for (const [key, ops] of groupByKey(operations)) {
    const writes = ops.filter((op) => WRITE_FUNCTIONS.has(op.f) && op.status !== 'fail');
    const acknowledged = writes.filter((op) => op.status === 'ok');
    if (acknowledged.length === 0) continue;
    const lastAckMs = Math.max(...acknowledged.map((op) => op.completeMs));
    const finalReads = ops.filter(
      (op) =>
        op.status === 'ok' &&
        (options.finalReadF !== undefined ? op.f === options.finalReadF : op.f === 'read') &&
        op.invokeMs > lastAckMs,
    );
    if (finalReads.length === 0) {
      uncheckedKeys.push(key);
      continue;
    }
    checkedWrites += acknowledged.length;
    const reported = new Set<number>();
    for (const read of finalReads) {
      const finalValue = read.output ?? null;
      // writes invoked after the read completed cannot be what it saw
      const producers = writes.filter(
        (op) => op.invokeMs < read.completeMs && registerValuesEqual(writtenValue(op), finalValue),
      );
      const initialProduces = finalValue === null;
      if (producers.length === 0 && !initialProduces) {
        violations.push({
          kind: 'unwritten-final-value',
          key,
          description: `the final read of ${JSON.stringify(key)} (#${read.id} by p${read.process} at ${formatMs(read.invokeMs)}) returned ${formatValue(finalValue)}, which no write could have produced.`,
          ops: [read],
        });
        continue;
      }
      for (const write of acknowledged) {
        if (reported.has(write.id) || registerValuesEqual(writtenValue(write), finalValue)) continue;
        // could some producer of the final value have taken effect after this write?
        if (producers.some((producer) => producer.id !== write.id && producer.completeMs >= write.invokeMs)) continue;
        reported.add(write.id);
        const latest = producers.reduce<Operation | undefined>(
          (best, op) => (best === undefined || op.completeMs > best.completeMs ? op : best),
          undefined,
        );
        const source =
          latest === undefined
            ? 'the initial nil (nothing wrote nil after it)'
            : `only write${producers.length === 1 ? '' : 's'} ${producers.map((op) => `#${op.id}`).join(', ')} could have produced, the last completing at ` +
              `${formatMs(latest.completeMs)}, before #${write.id} was invoked`;
        violations.push({
          kind: 'lost-write',
          key,
          description:
            `acknowledged ${write.f} of ${formatValue(writtenValue(write))} to ${JSON.stringify(key)} (#${write.id} by p${write.process}, ` +
            `${formatMs(write.invokeMs)}..${formatMs(write.completeMs)}) is lost: the final read #${read.id} at ${formatMs(read.invokeMs)} ` +
            `returned ${formatValue(finalValue)}, which ${source}.`,
          ops: latest === undefined ? [write, read] : [latest, write, read],
        });
      }
    }
  }

  const listed = violations.slice(0, maxViolations);
  const counterExample = listed.reduce<LostWriteViolation | undefined>(
    (best, v) => (best === undefined || v.ops.length < best.ops.length ? v : best),
    undefined,
  );
  const verdict: Verdict = violations.length > 0 ? 'invalid' : uncheckedKeys.length > 0 ? 'unknown' : 'valid';
  const summary =
    verdict === 'invalid'
      ? `${violations.length} lost write${violations.length === 1 ? '' : 's'}; first: ${listed[0].description}`
      : verdict === 'unknown'
        ? `no final read after the last acknowledged write on ${uncheckedKeys.map((k) => JSON.stringify(k)).join(', ')}`
        : `no lost writes: ${checkedWrites} acknowledged writes checked against final reads`;
  return {
    checker: 'lost-writes',
    verdict,
    summary,
    uncheckedKeys,
    checkedWrites,
    violations: listed,
    ...(counterExample ? { counterExample } : {}),
  };
}
