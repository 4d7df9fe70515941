import { CcmError } from '../errors/ccm-error.js';
import type { ConfigChangeKind, ConfigEntryView, ConfigType, JsonValue } from '../api/api-types.js';
import { DurationError, parseDuration } from '../time/duration.js';

/**
 * Config values and their types: the rules a value must meet to be stored, the canonical text it is stored as,
 * and the typed value readers get back. Pure (no I/O): the config manager, the import parser and the tests use it.
 */

export const CONFIG_TYPES: readonly ConfigType[] = ['string', 'int', 'bool', 'duration', 'json'];

/** A config name: 1-200 of letters, digits and . _ - : (no '/': names map to keys, and a history prefix must not match another name). */
const NAME_RULE = /^[A-Za-z0-9_][A-Za-z0-9._:-]{0,199}$/;
/** A config value's text is at most this long (values are settings, not blobs; a record must fit one kv value). */
export const MAX_CONFIG_TEXT_BYTES = 256 * 1024;
/** An author (`by`) is at most this long. */
const MAX_BY_CHARS = 256;

export function validateConfigName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RULE.test(name)) {
    throw new CcmError('invalid_argument', `config name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits and . _ - : (starting with a letter, digit or _)`);
  }
  return name;
}

/** A name prefix for list/export/watch: empty, or the start of a valid name. */
export function validateConfigPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === null || prefix === '') return '';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._:-]{1,200}$/.test(prefix)) {
    throw new CcmError('invalid_argument', `config prefix ${JSON.stringify(prefix)} is invalid: use letters, digits and . _ - :`);
  }
  return prefix;
}

export function validateConfigType(type: unknown): ConfigType {
  if (typeof type !== 'string' || !(CONFIG_TYPES as readonly string[]).includes(type)) {
    throw new CcmError('invalid_argument', `config type ${JSON.stringify(type)} is not one of ${CONFIG_TYPES.join(', ')}`);
  }
  return type as ConfigType;
}

export function validateAuthor(by: unknown, fallback: string): string {
  if (by === undefined || by === null || by === '') return fallback;
  if (typeof by !== 'string' || by.length > MAX_BY_CHARS || !by.isWellFormed() || /[\0\n\r]/.test(by)) {
    throw new CcmError('invalid_argument', `"by" must be 1-${MAX_BY_CHARS} characters of text on one line`);
  }
  return by;
}

/** A version number given by a user (rollback target, compare-and-set). */
export function validateConfigVersion(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new CcmError('invalid_argument', `${what} must be a whole number >= 1`);
  return v;
}

/** A value parsed for its type: the canonical text to store, the typed value, and for a duration its length. */
export interface ParsedConfigValue {
  text: string;
  value: JsonValue;
  durationMs?: number;
}

/**
 * Checks `text` against `type` and returns its canonical form. Throws invalid_argument naming the entry, the
 * type and what was wrong: `app.timeout: "notanumber" is not an int (a whole number such as 30 or -5)`.
 */
export function parseConfigText(name: string, type: ConfigType, text: unknown): ParsedConfigValue {
  if (typeof text !== 'string') throw new CcmError('invalid_argument', `${name}: the value must be text`);
  if (!text.isWellFormed()) throw new CcmError('invalid_argument', `${name}: the value is not valid UTF-8 text`);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_TEXT_BYTES) throw new CcmError('invalid_argument', `${name}: the value is ${bytes} bytes; the limit is ${MAX_CONFIG_TEXT_BYTES}`);
  const bad = (why: string): CcmError => new CcmError('invalid_argument', `${name}: ${JSON.stringify(clip(text))} is not ${why}`);
  switch (type) {
    case 'string':
      return { text, value: text };
    case 'int': {
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) throw bad('an int (a whole number such as 30 or -5)');
      const n = Number(t);
      if (!Number.isSafeInteger(n)) throw bad(`an int in range (±${Number.MAX_SAFE_INTEGER})`);
      return { text: String(n === 0 ? 0 : n), value: n === 0 ? 0 : n };
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') throw bad('a bool (true or false)');
      return { text: t, value: t === 'true' };
    }
    case 'duration': {
      const t = text.trim();
      let ms: number;
      try {
        ms = parseDuration(t, name);
      } catch (err) {
        if (err instanceof DurationError) throw bad('a duration (such as 250ms, 30s, 5m, 1h or 1d)');
        throw err;
      }
      if (ms < 0) throw bad('a duration >= 0');
      return { text: t.replace(/\s+/g, ''), value: t.replace(/\s+/g, ''), durationMs: ms };
    }
    case 'json': {
      let parsed: JsonValue;
      try {
        parsed = JSON.parse(text) as JsonValue;
      } catch (err) {
        throw bad(`JSON (${(err as Error).message})`);
      }
      return { text: JSON.stringify(parsed), value: parsed };
    }
  }
}

/**
 * The text for a typed value given as JSON (an import entry, or an HTTP body's non-text value): numbers and
 * booleans as written, a json-typed value as its JSON; then parsed for the type as if typed.
 */
export function textOfTypedValue(name: string, type: ConfigType, value: unknown): string {
  if (type === 'json') return JSON.stringify(value);
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  throw new CcmError('invalid_argument', `${name}: a ${type} value must be given as text${type === 'int' ? ' or a number' : type === 'bool' ? ' or true/false' : ''} (got ${JSON.stringify(value)})`);
}

/** What a config entry key holds (and each history key: the version it records). */
export interface ConfigRecord {
  name: string;
  type: ConfigType;
  /** Canonical text ('' for a delete). */
  text: string;
  version: number;
  kind: ConfigChangeKind;
  rollbackOf?: number;
  by: string;
  node: string;
  atMs: number;
}

export function encodeRecord(r: ConfigRecord): string {
  return JSON.stringify(r);
}

export function decodeRecord(text: string): ConfigRecord {
  return JSON.parse(text) as ConfigRecord;
}

/** The API view of a stored record, at the revision it was written. */
export function entryView(r: ConfigRecord, revision: number): ConfigEntryView {
  // Stored text was validated when written; parsing it again cannot fail for the same type.
  const parsed = r.kind === 'delete' ? null : parseConfigText(r.name, r.type, r.text);
  return {
    name: r.name,
    value: parsed ? parsed.value : null,
    type: r.type,
    version: r.version,
    text: r.text,
    revision,
    kind: r.kind,
    ...(r.rollbackOf !== undefined ? { rollbackOf: r.rollbackOf } : {}),
    ...(parsed?.durationMs !== undefined ? { durationMs: parsed.durationMs } : {}),
    updatedBy: r.by,
    updatedAtMs: r.atMs,
    node: r.node,
  };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
