import type { Random } from '../random/random.js';

/**
 * Structure-aware mutations of valid JSON traffic: a valid message with one to three things wrong, the ways a buggy
 * or hostile peer or client gets them wrong (a field missing, of the wrong type, a number too big, NaN, a string too
 * long, nesting too deep, an unknown kind, an extra field, a prototype key), plus text-level damage that no
 * JSON.stringify makes (a bare NaN, a lone surrogate, a duplicate key, truncation). Pure and seeded: the same Random
 * gives the same bytes.
 */

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)];
}

/** Values that are wrong for almost any field. */
export function junkValue(random: Random): unknown {
  switch (random.int(0, 17)) {
    case 0:
      return null;
    case 1:
      return -1;
    case 2:
      return 2 ** 53 + random.int(0, 9);
    case 3:
      return 1e308 * 10; // Infinity: JSON.stringify makes it null
    case 4:
      return Number.MAX_SAFE_INTEGER;
    case 5:
      return 0.5;
    case 6:
      return '';
    case 7:
      return 'x'.repeat(random.int(1000, 70_000));
    case 8:
      return [];
    case 9:
      return {};
    case 10:
      return true;
    case 11:
      return deepNesting(random.int(50, 5000));
    case 12:
      return JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}');
    case 13:
      return '\u0000\uffff\ud800';
    case 14:
      return -0;
    case 15:
      return '../../etc/passwd';
    case 16:
      return random.int(-1000, 1000);
    default:
      return 'bogus';
  }
}

export function deepNesting(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Paths to every node of a JSON value (object keys and array indexes). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], limit = 200): (string | number)[][] {
  if (out.length >= limit) return out;
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out, limit));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out, limit);
  return out;
}

/** Sets an own property, even `__proto__` (an assignment would set the prototype instead). */
function setOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy (seeds are shared and must never change); undefined for what JSON cannot copy (gone, or too deep). */
function clone(v: unknown): unknown {
  try {
    const text = JSON.stringify(v);
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One structural mutation at a random place in `value` (a clone is changed and returned). */
export function mutateValue(random: Random, value: unknown, kinds: readonly string[] = []): unknown {
  const copy = clone(value);
  if (copy === undefined) return junkValue(random);
  const root = { v: copy } as Record<string, unknown>;
  const all = paths(root.v).map((p) => ['v', ...p]);
  const at = pick(random, all);
  const parentPath = at.slice(0, -1);
  const key = at[at.length - 1];
  let parent: unknown = root;
  for (const k of parentPath) parent = (parent as Record<string | number, unknown>)[k];
  const p = parent as Record<string | number, unknown>;
  switch (random.int(0, 7)) {
    case 0: // drop it
      if (Array.isArray(p)) p.splice(Number(key), 1);
      else delete p[key];
      break;
    case 1: // an extra field beside it
      if (typeof p[key] === 'object' && p[key] !== null && !Array.isArray(p[key])) setOwn(p[key] as object, pick(random, ['extra', '__proto__', 'constructor', 'type', 'kind']), junkValue(random));
      else p[key] = junkValue(random);
      break;
    case 2: // an unknown kind or type where one is named
      if (typeof p[key] === 'string') p[key] = kinds.length > 0 && random.next() < 0.5 ? pick(random, kinds) : pick(random, ['bogus', '', 'TYPE', 'app ', 'rpc-req\u0000']);
      else p[key] = junkValue(random);
      break;
    case 3: // a number made huge, negative, fractional
      p[key] = typeof p[key] === 'number' ? pick(random, [2 ** 53, 2 ** 64, -1, 0.5, 1e300, -(2 ** 31), Number.MAX_SAFE_INTEGER]) : junkValue(random);
      break;
    case 4: {
      // a long array where one was (of a small item: a case stays well under a megabyte)
      const first = Array.isArray(p[key]) ? (p[key] as unknown[])[0] : undefined;
      const item = first !== undefined && (JSON.stringify(first) ?? '').length <= 64 ? first : random.int(0, 9);
      p[key] = Array.from({ length: random.int(100, 5000) }, () => item);
      break;
    }
    default: // the wrong type
      p[key] = junkValue(random);
  }
  return root.v;
}

/** The text of a valid JSON value with one to three mutations, sometimes damaged as text too. */
export function mutatedJson(random: Random, value: unknown, kinds: readonly string[] = []): string {
  let v = value;
  for (let i = random.int(1, 3); i > 0; i--) v = mutateValue(random, v, kinds);
  let text: string;
  try {
    text = JSON.stringify(v) ?? 'null'; // undefined: the mutation dropped the whole value
  } catch {
    text = JSON.stringify(value) ?? 'null';
  }
  return random.next() < 0.15 ? damageText(random, text) : text;
}

/** Text-level damage: what only a hand-made (or broken) encoder writes. */
export function damageText(random: Random, text: string): string {
  switch (random.int(0, 6)) {
    case 0:
      return text.slice(0, random.int(0, text.length));
    case 1:
      return text.replace(/:(-?\d+(\.\d+)?)/, ':NaN');
    case 2:
      return text.replace(/"([^"\\]{1,10})"/, '"\\ud800$1"');
    case 3:
      return text.replace(/^\{/, '{"kind":"raft","kind":"swim",');
    case 4:
      return text.replace(/:(-?\d+)/, ':1e999999');
    case 5:
      return `${text}${text}`;
    default:
      return text.replace(/,/, ',,');
  }
}

/** Random bytes, sometimes mostly printable. */
export function randomBytes(random: Random, maxLength: number): Buffer {
  const length = random.int(0, maxLength);
  const printable = random.next() < 0.5;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = printable ? random.int(32, 126) : random.int(0, 255);
  return out;
}
