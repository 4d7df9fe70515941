import { CcmError } from '../errors/ccm-error.js';

/** A tag key: 1–64 letters, digits, `_`, `.` or `-`. */
export const TAG_KEY_RULE = /^[a-zA-Z0-9_.-]{1,64}$/;
export const MAX_TAG_VALUE_LENGTH = 256;

/** A change to a node's tags: keys to set (or overwrite) and keys to remove. */
export interface TagChange {
  set: Record<string, string>;
  remove: string[];
}

function checkKey(key: string, what: string): void {
  if (!TAG_KEY_RULE.test(key)) {
    throw new CcmError('invalid_argument', `${what}: tag key ${JSON.stringify(key)} must be 1-64 letters, digits, '_', '.' or '-'`);
  }
}

function checkValue(key: string, value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new CcmError('invalid_argument', `${what}: tag ${key} must have a string value`);
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw new CcmError('invalid_argument', `${what}: tag ${key} value is ${value.length} characters, more than ${MAX_TAG_VALUE_LENGTH}`);
  }
}

/** `zone=eu-west` → ['zone', 'eu-west'] (the value may hold '=' and may be empty). Throws invalid_argument. */
export function parseTagAssignment(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at < 0) throw new CcmError('invalid_argument', `tag "${text}" is not key=value (for example zone=eu-west)`);
  const key = text.slice(0, at);
  const value = text.slice(at + 1);
  checkKey(key, `tag "${text}"`);
  checkValue(key, value, `tag "${text}"`);
  return [key, value];
}

/** Validates a tag change received over HTTP (`{set?: {k: v}, remove?: [k]}`); throws invalid_argument naming the problem. */
export function parseTagChange(body: unknown): TagChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CcmError('invalid_argument', 'tag change must be an object {"set": {"key": "value"}, "remove": ["key"]}');
  }
  const b = body as Record<string, unknown>;
  for (const field of Object.keys(b)) {
    if (field !== 'set' && field !== 'remove') throw new CcmError('invalid_argument', `tag change: unknown field "${field}"`);
  }
  const set: Record<string, string> = {};
  if (b.set !== undefined) {
    if (typeof b.set !== 'object' || b.set === null || Array.isArray(b.set)) throw new CcmError('invalid_argument', 'tag change: "set" must be an object of strings');
    for (const [k, v] of Object.entries(b.set as Record<string, unknown>)) {
      checkKey(k, 'set');
      checkValue(k, v, 'set');
      set[k] = v;
    }
  }
  const remove: string[] = [];
  if (b.remove !== undefined) {
    if (!Array.isArray(b.remove)) throw new CcmError('invalid_argument', 'tag change: "remove" must be a list of keys');
    for (const k of b.remove) {
      if (typeof k !== 'string') throw new CcmError('invalid_argument', 'tag change: "remove" must be a list of keys');
      checkKey(k, 'remove');
      if (k in set) throw new CcmError('invalid_argument', `tag change: ${k} is both set and removed`);
      remove.push(k);
    }
  }
  if (Object.keys(set).length === 0 && remove.length === 0) throw new CcmError('invalid_argument', 'tag change sets and removes nothing');
  return { set, remove };
}

/** The tags after a change (a new object; keys sorted so equal tag sets compare equal as JSON). */
export function applyTagChange(tags: Readonly<Record<string, string>>, change: TagChange): Record<string, string> {
  const next: Record<string, string> = { ...tags, ...change.set };
  for (const k of change.remove) delete next[k];
  return Object.fromEntries(Object.entries(next).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
