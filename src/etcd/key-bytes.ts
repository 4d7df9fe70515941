/**
 * etcd keys and values are bytes; ccm's are UTF-8 text. A key or value that is not UTF-8 text (or a key with a NUL)
 * cannot be stored, and a read of such a key finds nothing. A span's bounds may still be any bytes (a prefix's
 * range_end often is not UTF-8: the prefix "¿" = C2 BF ends at C2 C0), so a bound becomes the smallest text at or
 * above it, which selects the same stored keys.
 */
import type { KeySpan } from '../core/key-span.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text, or null when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** A key that can be stored: UTF-8 text without NUL. */
export function storableKey(bytes: Uint8Array): string | null {
  const text = utf8Text(bytes);
  return text === null || text.includes('\0') ? null : text;
}

const MAX_CODE_POINT = 0x10ffff;

function nextCodePoint(cp: number): number | null {
  if (cp >= MAX_CODE_POINT) return null;
  return cp === 0xd7ff ? 0xe000 : cp + 1;
}

/** Byte order of two byte strings (a proper prefix sorts first). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The k-th code point that has a UTF-8 encoding (surrogates have none): an order-keeping index over them. */
function codePointAt(k: number): number {
  return k < 0xd800 ? k : k + 0x800;
}

const ENCODABLE_CODE_POINTS = MAX_CODE_POINT + 1 - 0x800;

/** The smallest code point whose UTF-8 encoding is above `rest` (which starts with no valid character), or null. */
function smallestCodePointAbove(rest: Uint8Array): number | null {
  const isAbove = (k: number): boolean => compareBytes(Buffer.from(String.fromCodePoint(codePointAt(k))), rest) > 0;
  // Encodings grow with code points, so a binary search finds the first one above.
  if (!isAbove(ENCODABLE_CODE_POINTS - 1)) return null;
  let lo = 0;
  let hi = ENCODABLE_CODE_POINTS - 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (isAbove(mid)) hi = mid;
    else lo = mid + 1;
  }
  return codePointAt(lo);
}

/**
 * The smallest UTF-8 text (as a string) whose bytes are >= `bytes`, or null when every text sorts below them.
 * Stored keys are text, so [ceil(a), ceil(b)) holds exactly the stored keys of the byte span [a, b).
 */
export function utf8Ceiling(bytes: Uint8Array): string | null {
  const whole = utf8Text(bytes);
  if (whole !== null) return whole;
  // Decode the longest prefix of whole characters, then find the smallest character above what follows.
  const points: number[] = [];
  let i = 0;
  for (;;) {
    const len = charLength(bytes, i);
    if (len === 0) break;
    points.push(utf8Text(bytes.subarray(i, i + len))!.codePointAt(0)!);
    i += len;
  }
  const above = smallestCodePointAbove(bytes.subarray(i));
  if (above !== null) return String.fromCodePoint(...points, above);
  // Nothing starts that way: the next text is the prefix's own successor.
  while (points.length > 0) {
    const next = nextCodePoint(points.pop()!);
    if (next !== null) return String.fromCodePoint(...points, next);
  }
  return null;
}

/** Length of the valid UTF-8 character at `i`, or 0 (end, or not a valid character). */
function charLength(b: Uint8Array, i: number): number {
  if (i >= b.length) return 0;
  const lead = b[i];
  const len = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > b.length) return 0;
  return utf8Text(b.subarray(i, i + len)) === null ? 0 : len;
}

/** What an etcd key/range_end pair selects among stored keys: a span, or nothing at all. */
export type SpanOrEmpty = { span: KeySpan } | { empty: true };

/**
 * etcd's key and range_end: range_end empty, the key alone; range_end "\0", every key from the key on (a key of
 * "\0" too: from the first); else [key, range_end) in byte order.
 */
export function spanOfBytes(key: Uint8Array, rangeEnd: Uint8Array): SpanOrEmpty {
  if (rangeEnd.length === 0) {
    const text = storableKey(key);
    return text === null ? { empty: true } : { span: { key: text } };
  }
  const isFromKey = rangeEnd.length === 1 && rangeEnd[0] === 0;
  const from = key.length === 1 && key[0] === 0 ? '' : utf8Ceiling(key);
  if (from === null) return { empty: true };
  if (isFromKey) return { span: { key: from, end: null } };
  const to = utf8Ceiling(rangeEnd);
  if (to !== null && Buffer.compare(Buffer.from(from), Buffer.from(to)) >= 0) return { empty: true };
  return { span: { key: from, end: to } };
}
