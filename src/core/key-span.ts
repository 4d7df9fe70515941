/**
 * Key order and key spans, as etcd defines them. Keys are UTF-8 text, and etcd orders keys by their bytes: UTF-8
 * byte order is Unicode code point order, which JavaScript's `<` on strings (UTF-16 code units) is not for
 * characters above U+FFFF. SQLite's BINARY collation compares the UTF-8 bytes, so it agrees with compareKeys.
 */

/** Which keys an operation covers: `end` undefined, the key alone; null, every key from `key` on; else key <= k < end. */
export interface KeySpan {
  key: string;
  end?: string | null;
}

/** Orders two keys by their UTF-8 bytes (that is, by code point). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate stands for a code point above U+FFFF, so it sorts after every other code unit.
    const isSurrogateX = x >= 0xd800 && x <= 0xdfff;
    const isSurrogateY = y >= 0xd800 && y <= 0xdfff;
    if (isSurrogateX !== isSurrogateY) return isSurrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export function inSpan(span: KeySpan, key: string): boolean {
  if (span.end === undefined) return key === span.key;
  if (compareKeys(key, span.key) < 0) return false;
  return span.end === null || compareKeys(key, span.end) < 0;
}

/** The span of every key that starts with `prefix` ('' : every key). */
export function prefixSpan(prefix: string): KeySpan {
  return { key: prefix, end: prefix === '' ? null : prefixEnd(prefix) };
}

/**
 * The smallest text greater than every text that starts with `prefix`: the prefix with its last code point
 * incremented (dropping trailing U+10FFFF), or null when there is none (every key sorts below it).
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return points.join('') + String.fromCodePoint(next);
  }
  return null;
}
