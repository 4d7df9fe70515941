/**
 * Validation by schema (TypeBox): a schema is plain data, its TypeScript type is `Static<typeof Schema>`, and its
 * check is compiled once into a plain function (no interpretation per message, which keeps the peer hot path cheap).
 * Every input that comes from outside a node's process goes through one of these before any code trusts its shape.
 */
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DefaultErrorFunction, SetErrorFunction } from '@sinclair/typebox/errors';

/**
 * A schema may carry its own `errorMessage` (a sentence for a person: "ttl must be a whole number of milliseconds"),
 * used instead of TypeBox's generic one when a value does not fit it (including when it is missing).
 */
SetErrorFunction((error) => (typeof error.schema.errorMessage === 'string' ? error.schema.errorMessage : DefaultErrorFunction(error)));

export interface CompiledSchema<T extends TSchema> {
  readonly schema: T;
  /** True when `value` has the schema's shape (narrowing it to the schema's type). Never throws. */
  check(value: unknown): value is Static<T>;
  /** Why `value` does not fit: the first problem, with its JSON path (`/msgs/3/seq: Expected integer`); undefined if it fits. */
  problem(value: unknown): string | undefined;
}

const MAX_PROBLEM_CHARS = 200;

export function compileSchema<T extends TSchema>(schema: T): CompiledSchema<T> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    schema,
    check: (value: unknown): value is Static<T> => compiled.Check(value),
    problem(value: unknown): string | undefined {
      if (compiled.Check(value)) return undefined;
      const first = compiled.Errors(value).First();
      const text = first ? `${first.path || '/'}: ${first.message}` : 'does not match its schema';
      return text.length > MAX_PROBLEM_CHARS ? `${text.slice(0, MAX_PROBLEM_CHARS)}…` : text;
    },
  };
}

/** A union of string literals whose static type is the union of the given values (Static gives 'a' | 'b', not string). */
export function literalUnion<const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v))) as TUnion<TLiteral<T[number]>[]>;
}

/**
 * A whole number from 0 to 2^53 − 1: indexes, terms, revisions, sequence numbers. JSON carries any double, and
 * arithmetic past 2^53 silently loses precision, so a bigger number from the wire is refused rather than trusted.
 */
export const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** A node id as it travels between nodes (cluster-dir's NODE_ID_PATTERN is stricter; the wire only bounds it). */
export const WireId = Type.String({ minLength: 1, maxLength: 256 });

/** Compile-time proof that a schema's static type and a hand-written type are the same (they cannot drift apart). */
export type SameType<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
/** Use as `const _x: Assert<SameType<A, B>> = true;` */
export type Assert<T extends true> = T;
