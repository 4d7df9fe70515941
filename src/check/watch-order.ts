/**
 * Watch streams: every watcher sees every committed version of each key it watches, in revision order,
 * with no duplicate and no gap between its start revision and its end.
 *
 * The config workload's operations:
 * - writers: `write` (or `put`) on a key, input the value, ok output `{ revision }` (or the revision as a
 *   number); `delete` likewise. An ok write with a revision is a committed version.
 * - watchers: `watch` on a key (or, with `input.prefix: true`, on every key starting with it), input
 *   `{ fromRevision, prefix? }`, output `{ events: [{ key, revision, value?, type? }], endRevision? }`: the
 *   events the stream delivered, in delivery order, and the revision up to which the stream vouched for
 *   completeness (e.g. a progress notification after the last write). Without `endRevision`, the watch is
 *   checked up to the last revision it delivered. A watcher that reconnects and resumes should be recorded
 *   as one watch (events concatenated) so that the resumption is checked too. Ok and info watches are
 *   checked on what they delivered; failed ones (e.g. `compacted`) are not.
 *
 * Committed versions are those with an ok write's revision, plus every event any watcher delivered that
 * some write (ok or info) could have produced: a write whose reply was lost may still have committed.
 * An event with a value no write of that key ever carried is a phantom, reported as such (and not taken
 * as committed, so other watchers are not blamed for missing it). If two watchers disagree on a version's
 * value, that is reported too.
 * Within one revision (a transaction), events of different keys may come in any order.
 */
import type { CheckResult, CounterExample, Verdict } from './check-result.js';
import { formatValue, type Operation } from './history.js';
import { registerValuesEqual } from './register-model.js';

/** One event of a watch stream. */
export interface WatchEvent {
  key: string;
  revision: number;
  value?: unknown;
  type?: 'put' | 'delete';
}

/** Options for checkWatchOrder. */
export interface WatchOrderOptions {
  /** Most violations listed; default 100. */
  maxViolations?: number;
}

/** A watch violation. */
export interface WatchViolation extends CounterExample {
  kind: 'gap' | 'duplicate' | 'out-of-order' | 'before-start' | 'wrong-value' | 'phantom';
  /** The watch operation. */
  watch: Operation;
  key: string;
  revision: number;
}

/** The watch checker's result. */
export interface WatchOrderResult extends CheckResult {
  checker: 'watch-order';
  watchesChecked: number;
  eventsChecked: number;
  violations: WatchViolation[];
  counterExample?: WatchViolation;
}

interface CommittedVersion {
  key: string;
  revision: number;
  value: unknown;
  hasValue: boolean;
  /** The write that produced it, when known. */
  write?: Operation;
}

function revisionOf(output: unknown): number | undefined {
  if (typeof output === 'number' && Number.isFinite(output)) return output;
  if (output !== null && typeof output === 'object' && 'revision' in output) {
    const revision = (output as { revision: unknown }).revision;
    if (typeof revision === 'number' && Number.isFinite(revision)) return revision;
  }
  return undefined;
}

function parseEvents(output: unknown): WatchEvent[] | undefined {
  if (output === null || typeof output !== 'object' || !('events' in output)) return undefined;
  const events = (output as { events: unknown }).events;
  if (!Array.isArray(events)) return undefined;
  const parsed: WatchEvent[] = [];
  for (const event of events) {
    if (event === null || typeof event !== 'object') return undefined;
    const { key, revision } = event as { key?: unknown; revision?: unknown };
    if (typeof key !== 'string' || typeof revision !== 'number') return undefined;
    parsed.push(event as WatchEvent);
  }
  return parsed;
}

function versionId(key: string, revision: number): string {
  return `${revision}\u0000${key}`;
}

const WRITE_FUNCTIONS = new Set(['write', 'put', 'delete']);

/** Checks every watch stream against the committed versions of the keys it watches. */
export function checkWatchOrder(operations: readonly Operation[], options: WatchOrderOptions = {}): WatchOrderResult {
  const maxViolations = options.maxViolations ?? 100;
  const violations: WatchViolation[] = [];

  // Committed versions: ok writes with revisions, then what watchers saw.
  const committed = new Map<string, CommittedVersion>();
  for (const op of operations) {
    if (!WRITE_FUNCTIONS.has(op.f) || op.status !== 'ok' || op.key === undefined) continue;
    const revision = revisionOf(op.output);
    if (revision === undefined) continue;
    committed.set(versionId(op.key, revision), {
      key: op.key,
      revision,
      value: op.f === 'delete' ? null : op.input,
      hasValue: true,
      write: op,
    });
  }
  // every value each key was ever written (by writes that may have happened), to tell phantoms
  const writtenValues = new Map<string, unknown[]>();
  for (const op of operations) {
    if (!WRITE_FUNCTIONS.has(op.f) || op.status === 'fail' || op.key === undefined) continue;
    const values = writtenValues.get(op.key) ?? [];
    values.push(op.f === 'delete' ? null : op.input);
    writtenValues.set(op.key, values);
  }
  const isPhantom = (event: WatchEvent): boolean => {
    const hasValue = event.type === 'delete' || 'value' in event;
    if (!hasValue) return false;
    const value = event.type === 'delete' ? null : event.value;
    return !(writtenValues.get(event.key) ?? []).some((written) => registerValuesEqual(written ?? null, value ?? null));
  };
  const watches = operations
    .filter((op) => op.f === 'watch' && op.status !== 'fail')
    .map((op) => ({ op, events: parseEvents(op.output) }))
    .filter((w): w is { op: Operation; events: WatchEvent[] } => w.events !== undefined);
  for (const { events } of watches) {
    for (const event of events) {
      const id = versionId(event.key, event.revision);
      if (!committed.has(id) && !isPhantom(event)) {
        committed.set(id, {
          key: event.key,
          revision: event.revision,
          value: event.type === 'delete' ? null : event.value,
          hasValue: event.type === 'delete' || 'value' in event,
        });
      }
    }
  }
  const versions = [...committed.values()].sort((a, b) => a.revision - b.revision || (a.key < b.key ? -1 : 1));

  let eventsChecked = 0;
  for (const { op: watch, events } of watches) {
    const input = (watch.input ?? {}) as { fromRevision?: unknown; prefix?: unknown };
    const fromRevision = typeof input.fromRevision === 'number' ? input.fromRevision : 1;
    const isPrefix = input.prefix === true;
    const watched = watch.key ?? '';
    const matches = (key: string): boolean => (isPrefix ? key.startsWith(watched) : key === watched);
    const report = (violation: Omit<WatchViolation, 'watch' | 'ops'>, write?: Operation): void => {
      violations.push({ ...violation, watch, ops: write !== undefined ? [watch, write] : [watch] });
    };
    const name = `watch #${watch.id} (p${watch.process} on ${isPrefix ? 'prefix ' : ''}${JSON.stringify(watched)} from revision ${fromRevision})`;

    const seen = new Set<string>();
    let lastRevision = -Infinity;
    for (const [index, event] of events.entries()) {
      eventsChecked++;
      const id = versionId(event.key, event.revision);
      if (!matches(event.key)) continue; // not this watch's business; the server may send extra keys
      if (seen.has(id)) {
        report({
          kind: 'duplicate',
          key: event.key,
          revision: event.revision,
          description: `${name} delivered revision ${event.revision} of ${JSON.stringify(event.key)} twice (again as event ${index + 1}).`,
        });
        continue;
      }
      seen.add(id);
      if (event.revision < fromRevision) {
        report({
          kind: 'before-start',
          key: event.key,
          revision: event.revision,
          description: `${name} delivered revision ${event.revision} of ${JSON.stringify(event.key)}, before its start revision.`,
        });
      }
      if (event.revision < lastRevision) {
        report({
          kind: 'out-of-order',
          key: event.key,
          revision: event.revision,
          description: `${name} delivered revision ${event.revision} of ${JSON.stringify(event.key)} after revision ${lastRevision} (event ${index + 1}).`,
        });
      }
      lastRevision = Math.max(lastRevision, event.revision);
      if (!committed.has(id) && isPhantom(event)) {
        report({
          kind: 'phantom',
          key: event.key,
          revision: event.revision,
          description: `${name} delivered revision ${event.revision} of ${JSON.stringify(event.key)} with ${formatValue(event.value)}, a value no write of that key carried.`,
        });
        continue;
      }
      const version = committed.get(id);
      const eventValue = event.type === 'delete' ? null : event.value;
      const eventHasValue = event.type === 'delete' || 'value' in event;
      if (version?.hasValue && eventHasValue && !registerValuesEqual(version.value, eventValue ?? null)) {
        report(
          {
            kind: 'wrong-value',
            key: event.key,
            revision: event.revision,
            description: `${name} delivered ${formatValue(eventValue)} for revision ${event.revision} of ${JSON.stringify(event.key)}, but that revision holds ${formatValue(version.value)}.`,
          },
          version.write,
        );
      }
    }

    const declaredEnd = (watch.output as { endRevision?: unknown }).endRevision;
    const endRevision = typeof declaredEnd === 'number' ? declaredEnd : lastRevision;
    for (const version of versions) {
      if (version.revision < fromRevision) continue;
      if (version.revision > endRevision) break;
      if (!matches(version.key) || seen.has(versionId(version.key, version.revision))) continue;
      const before = events.filter((e) => matches(e.key) && e.revision < version.revision).map((e) => e.revision);
      const after = events.filter((e) => matches(e.key) && e.revision > version.revision).map((e) => e.revision);
      const between =
        `between revision ${before.length > 0 ? Math.max(...before) : `${fromRevision} (its start)`} and ` +
        `${after.length > 0 ? Math.min(...after) : `${endRevision} (its end)`}`;
      report(
        {
          kind: 'gap',
          key: version.key,
          revision: version.revision,
          description:
            `${name} missed revision ${version.revision} of ${JSON.stringify(version.key)} (${formatValue(version.value)}` +
            `${version.write !== undefined ? `, written by #${version.write.id}` : ', seen by another watcher'}) ${between}.`,
        },
        version.write,
      );
    }
  }

  const listed = violations.slice(0, maxViolations);
  const counterExample = listed[0];
  const verdict: Verdict = violations.length > 0 ? 'invalid' : 'valid';
  const kinds = [...new Set(violations.map((v) => v.kind))].join(', ');
  return {
    checker: 'watch-order',
    verdict,
    summary:
      verdict === 'valid'
        ? `every watch saw every committed version in order: ${watches.length} watches, ${eventsChecked} events, ${versions.length} versions`
        : `${violations.length} watch violation${violations.length === 1 ? '' : 's'} (${kinds}); first: ${counterExample?.description ?? ''}`,
    watchesChecked: watches.length,
    eventsChecked,
    violations: listed,
    ...(counterExample ? { counterExample } : {}),
  };
}
