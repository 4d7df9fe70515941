/**
 * A small reader and writer for golden transcripts in the datadriven format etcd-io/raft's interaction tests use
 * (github.com/cockroachdb/datadriven): each block is a command line, a `----` line, then the expected output up to
 * the next blank line. Lines starting with `#` before a command, and blank lines, are comments kept as written.
 *
 *     # A comment about the next step.
 *     propose 1 v1
 *     ----
 *     ok
 *
 * A command is a name, positional words and key=value words. The runner compares each block's output with the
 * file; with UPDATE_GOLDEN=1 it writes the actual output back instead (review the diff, then commit it).
 */
import fs from 'node:fs';

export interface Command {
  /** The whole command line, as written. */
  line: string;
  name: string;
  /** Positional words after the name. */
  args: string[];
  /** key=value words. */
  opts: Map<string, string>;
  /** file:line of the command, for failure messages. */
  where: string;
}

interface Block {
  /** Comment and blank lines before the command, kept verbatim. */
  preamble: string[];
  command: Command;
  expected: string[];
}

interface Transcript {
  blocks: Block[];
  /** Comment lines after the last block. */
  trailer: string[];
}

export function parseCommand(line: string, where: string): Command {
  const words = line.trim().split(/\s+/);
  const name = words.shift() ?? '';
  const args: string[] = [];
  const opts = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) opts.set(w.slice(0, eq), w.slice(eq + 1));
    else args.push(w);
  }
  return { line: line.trim(), name, args, opts, where };
}

function parseTranscript(file: string, text: string): Transcript {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blocks: Block[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) {
      preamble.push(line);
      i++;
      continue;
    }
    const command = parseCommand(line, `${file}:${i + 1}`);
    i++;
    if (lines[i] !== '----') throw new Error(`${file}:${i + 1}: expected ---- after the command "${command.line}"`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++]);
    blocks.push({ preamble, command, expected });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

function render(t: Transcript, outputs: string[][]): string {
  const out: string[] = [];
  t.blocks.forEach((b, k) => {
    out.push(...b.preamble, b.command.line, '----', ...outputs[k]);
  });
  out.push(...t.trailer);
  // Every block ends at a blank line; keep exactly one between blocks (the next preamble starts with it).
  return out.join('\n') + '\n';
}

/** One difference between the file and what the code printed. */
export interface Mismatch {
  where: string;
  command: string;
  expected: string[];
  actual: string[];
}

/**
 * Replays `file` through `run` (one call per command, in order; it returns the output lines, never blank ones).
 * Returns the mismatches; with `update` it rewrites the file with the actual outputs and returns none.
 */
export function runTranscript(file: string, run: (cmd: Command) => string[], update: boolean): Mismatch[] {
  const t = parseTranscript(file, fs.readFileSync(file, 'utf8'));
  const outputs: string[][] = [];
  const mismatches: Mismatch[] = [];
  for (const b of t.blocks) {
    let actual: string[];
    try {
      actual = run(b.command);
    } catch (err) {
      actual = [`error: ${err instanceof Error ? err.message : String(err)}`];
    }
    if (actual.length === 0) actual = ['ok'];
    for (const l of actual) if (l.trim() === '') throw new Error(`${b.command.where}: "${b.command.line}" printed a blank line`);
    outputs.push(actual);
    if (actual.join('\n') !== b.expected.join('\n')) mismatches.push({ where: b.command.where, command: b.command.line, expected: b.expected, actual });
  }
  if (update) {
    fs.writeFileSync(file, render(t, outputs));
    return [];
  }
  return mismatches;
}

/** A mismatch as a reviewer wants to read it: the step, then a line diff (- expected, + actual). */
export function describeMismatch(m: Mismatch): string {
  return [`${m.where}: ${m.command}`, ...lineDiff(m.expected, m.actual)].join('\n');
}

/** A longest-common-subsequence line diff; outputs are short, so the quadratic table is fine. */
function lineDiff(a: string[], b: string[]): string[] {
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`    ${a[i++]}`);
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`  - ${a[i++]}`);
    else out.push(`  + ${b[j++]}`);
  }
  return out;
}

/** Positional word `i`, or throw naming the command's usage. */
export function arg(cmd: Command, i: number, usage: string): string {
  const a = cmd.args[i];
  if (a === undefined) throw new Error(`usage: ${usage}`);
  return a;
}

export function intOpt(cmd: Command, key: string, fallback: number): number {
  const v = cmd.opts.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${key} must be an integer (got ${v})`);
  return n;
}

export function boolOpt(cmd: Command, key: string, fallback: boolean): boolean {
  const v = cmd.opts.get(key);
  if (v === undefined) return fallback;
  if (v !== 'true' && v !== 'false') throw new Error(`${key} must be true or false (got ${v})`);
  return v === 'true';
}
