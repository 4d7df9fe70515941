/**
 * The sequential specification of a read/write/compare-and-set register that starts empty (nil),
 * one register per key (the linearizability checker partitions by key).
 *
 * Operations (input on invoke, output on completion):
 * - `read`: input ignored; output the value read (null = never written).
 * - `write`: input the value; output ignored.
 * - `cas`: input `[from, to]` or `{ from, to }`: sets the register to `to` if it holds `from`.
 *
 * Outcomes: `fail` operations never reach the model (they certainly did not take effect; a cas that found
 * another value is reported as fail). An `info` read is inert (no effect, no constraint). An `info` write
 * may take effect; an `info` cas takes effect only if it finds `from` (otherwise it is a no-op, the same as
 * never happening).
 */
import type { Operation } from './history.js';
import { formatValue } from './history.js';
import type { SequentialModel, StepResult } from './sequential-model.js';

/** A register's value: null when never written. */
export type RegisterValue = unknown;

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/** Value equality: primitives by ===, anything else by its JSON text. */
export function registerValuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isPrimitive(a) || isPrimitive(b)) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A memo key that tells apart values of different types (1 vs "1" vs null). */
function valueKey(value: unknown): string | number {
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return '\u0000nil';
  if (typeof value === 'string') return `s:${value}`;
  return `j:${JSON.stringify(value)}`;
}

/** The `from` and `to` of a cas input, in either accepted shape. */
export function casArguments(input: unknown): { from: unknown; to: unknown } {
  if (Array.isArray(input) && input.length === 2) return { from: input[0], to: input[1] };
  if (input !== null && typeof input === 'object' && 'from' in input && 'to' in input) {
    const { from, to } = input as { from: unknown; to: unknown };
    return { from, to };
  }
  throw new TypeError(`register model: cas input must be [from, to] or { from, to }, got ${formatValue(input)}`);
}

function normalise(value: unknown): unknown {
  return value === undefined ? null : value;
}

/** The register model for checkLinearizability. */
export const registerModel: SequentialModel<RegisterValue> = {
  name: 'register',
  init: () => null,
  step(state: RegisterValue, op: Operation): StepResult<RegisterValue> {
    switch (op.f) {
      case 'read':
        // an info read is inert and never gets here
        return { ok: registerValuesEqual(state, normalise(op.output)), state };
      case 'write':
        return { ok: true, state: normalise(op.input) };
      case 'cas': {
        const { from, to } = casArguments(op.input);
        const matches = registerValuesEqual(state, normalise(from));
        if (op.status === 'info') return { ok: true, state: matches ? normalise(to) : state };
        return { ok: matches, state: normalise(to) };
      }
      default:
        throw new TypeError(`register model: unknown operation ${JSON.stringify(op.f)} (expected read, write or cas)`);
    }
  },
  stateKey: valueKey,
  isInert: (op: Operation) => op.f === 'read' && op.status !== 'ok',
  isBlind: (op: Operation) => op.f === 'write',
  describeState: (state: RegisterValue) => formatValue(state),
};
