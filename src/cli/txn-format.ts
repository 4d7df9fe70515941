import { CcmError } from '../errors/ccm-error.js';
import type { Compare, TxnOp } from '../core/commands.js';

/**
 * Transactions as etcdctl writes them, one compare or operation per line:
 *
 *     value("/app/color") = "blue"        mod("/k") > "7"   version("/k") = "0"   create("/k") != "0"   lease("/k") = "42"
 *     put /app/color red                  get /app/ --prefix                      del /app/tmp
 *
 * and `ccm kv txn --file` takes etcdctl's interactive layout: compares, a blank line, the operations if they all
 * hold, a blank line, the operations if any fails (or the same as JSON: {"compare": [...], "success": [...], "failure": [...]}).
 */
export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

const TARGETS: Record<string, Compare['target']> = { value: 'value', mod: 'mod', create: 'create', ver: 'version', version: 'version', lease: 'lease' };

function bad(what: string, line: string, why: string): CcmError {
  return new CcmError('invalid_argument', `${what} ${JSON.stringify(line)}: ${why}`);
}

/** Splits a line into words; "double quoted" words may hold spaces and JSON escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]\S*))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < line.length && (m = pattern.exec(line)) !== null) {
    at = pattern.lastIndex;
    if (m[1] !== undefined) {
      try {
        words.push(JSON.parse(`"${m[1]}"`) as string);
      } catch {
        throw bad('quoted text', m[0].trim(), 'not a valid string (escape " and \\ with \\)');
      }
    } else words.push(m[2]);
    if (/^\s*$/.test(line.slice(at))) break;
  }
  if (line.slice(at).trim() !== '') throw bad('line', line, 'an opening " has no closing "');
  return words;
}

/** `value("/k") = "v"`, `mod("/k") > "3"` (etcdctl's compare syntax; the number may be unquoted). */
export function parseCompare(line: string): Compare {
  const m = /^\s*([a-z]+)\(\s*"((?:[^"\\]|\\.)*)"\s*\)\s*(=|!=|<|>)\s*(.*?)\s*$/.exec(line);
  if (!m) throw bad('compare', line, 'write it like value("/key") = "text" or mod("/key") > 7');
  const target = TARGETS[m[1]];
  if (!target) throw bad('compare', line, `"${m[1]}" is not a compare target: use value, mod, create, version or lease`);
  const key = JSON.parse(`"${m[2]}"`) as string;
  const op = m[3] as Compare['op'];
  const rest = splitWords(m[4]);
  if (rest.length !== 1) throw bad('compare', line, 'needs exactly one value after the operator');
  if (target === 'value') {
    if (op !== '=' && op !== '!=') throw bad('compare', line, 'a value compare takes = or !=');
    return { key, target, op, value: rest[0] };
  }
  const n = Number(rest[0]);
  if (!/^\d+$/.test(rest[0]) || !Number.isSafeInteger(n)) throw bad('compare', line, `${target} compares with a whole number >= 0`);
  return { key, target, op, value: n };
}

/** `put <key> <value> [--lease <id>]`, `get <key> [--prefix]`, `del <key> [--prefix]`. */
export function parseTxnOp(line: string): TxnOp {
  const [verb, ...words] = splitWords(line);
  const flags = words.filter((w) => w.startsWith('--'));
  const plain = words.filter((w, i) => !w.startsWith('--') && !(i > 0 && words[i - 1] === '--lease'));
  const prefix = flags.includes('--prefix');
  const unknown = flags.filter((f) => f !== '--prefix' && f !== '--lease');
  if (unknown.length) throw bad('operation', line, `unknown option ${unknown[0]}`);
  switch (verb) {
    case 'put': {
      if (plain.length !== 2) throw bad('operation', line, 'put takes a key and a value (quote a value with spaces)');
      if (prefix) throw bad('operation', line, 'put has no --prefix');
      const leaseAt = words.indexOf('--lease');
      const lease = leaseAt >= 0 ? Number(words[leaseAt + 1]) : 0;
      if (leaseAt >= 0 && (!Number.isSafeInteger(lease) || lease <= 0)) throw bad('operation', line, '--lease takes a lease id');
      return { op: 'put', key: plain[0], value: plain[1], ...(lease ? { lease } : {}) };
    }
    case 'get':
    case 'del':
    case 'delete': {
      if (plain.length !== 1) throw bad('operation', line, `${verb} takes one key (or prefix, with --prefix)`);
      if (words.includes('--lease')) throw bad('operation', line, `${verb} has no --lease`);
      return { op: verb === 'get' ? 'get' : 'delete', key: plain[0], ...(prefix ? { prefix: true } : {}) };
    }
    default:
      throw bad('operation', line, 'an operation starts with put, get or del');
  }
}

/** A txn file: JSON in the HTTP API's shape, or etcdctl's three blank-line separated sections. */
export function parseTxnFile(text: string): TxnRequest {
  if (text.trimStart().startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new CcmError('invalid_argument', `the txn file is not valid JSON: ${(err as Error).message}`);
    }
    const d = doc as Partial<Record<keyof TxnRequest, unknown>>;
    for (const k of ['compare', 'success', 'failure'] as const) {
      if (d[k] !== undefined && !Array.isArray(d[k])) throw new CcmError('invalid_argument', `the txn file's "${k}" must be a list`);
    }
    return { compare: (d.compare ?? []) as Compare[], success: (d.success ?? []) as TxnOp[], failure: (d.failure ?? []) as TxnOp[] };
  }
  // As etcdctl reads it: each blank line ends a section (so a file without compares starts with a blank line).
  const sections: string[][] = [[], [], []];
  let at = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim().startsWith('#')) continue;
    if (line.trim() === '') {
      at++;
      continue;
    }
    if (at > 2) {
      throw new CcmError('invalid_argument', `${JSON.stringify(line)} is past the third section: a txn file is compares, a blank line, the operations if they all hold, a blank line, the operations if one fails`);
    }
    sections[at].push(line);
  }
  return { compare: sections[0].map(parseCompare), success: sections[1].map(parseTxnOp), failure: sections[2].map(parseTxnOp) };
}

/** One line per operation result, as etcdctl prints a txn's responses. */
export function describeTxnResult(op: TxnOp, result: { op: string; kvs?: { key: string; value: string }[]; deleted?: number; prev?: { value: string } | unknown[] }): string {
  if (op.op === 'txn') return `txn: ${result.op === 'txn' && (result as { succeeded?: boolean }).succeeded ? 'success' : 'failure'}`;
  switch (result.op) {
    case 'put':
      return `put ${op.key}${result.prev && !Array.isArray(result.prev) ? ` (was ${JSON.stringify(result.prev.value)})` : ''}`;
    case 'delete':
      return `del ${op.key}: ${result.deleted ?? 0} deleted`;
    case 'get':
      return result.kvs && result.kvs.length > 0 ? result.kvs.map((kv) => `${kv.key} = ${kv.value}`).join('\n') : `get ${op.key}: not found`;
    default:
      return `${result.op} ${op.key}`;
  }
}
