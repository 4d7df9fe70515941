/**
 * The walkthroughs in docs/learn/ are tested the way rustdoc tests examples and cram tests transcripts: every
 * `console` block on a page is run against a real cluster, in page order, and what the page tells the reader to look
 * for must be in the output. The convention:
 *
 *     ```console exit=1 timeout=90s needs=sqlite3
 *     $ ccm lease acquire db --holder worker-2 --ttl 30s
 *     error: db is held by worker-1 ...
 *     ```
 *
 * - A line starting with `$ ` is a command, run by bash in the walkthrough's directory (a trailing `\` continues it
 *   on the next line). The lines after it, up to the next command, are what to look for in its output (stdout and
 *   stderr together): each must appear, in that order; spacing and line breaks do not matter (a wrapped sentence or
 *   a table's alignment still matches), and `...` matches any text. Blank lines are ignored. A command with no
 *   lines after it only has to succeed.
 * - After `console`, optional attributes for every command of the block: `exit=N` (the exit status expected;
 *   default 0; `exit=any` for a command whose outcome is random), `timeout=90s` (default 120s), `needs=a,b` (programs
 *   that must be on PATH, else the block is skipped, saying so), `long` (a slow block, an exercise check: run by
 *   `node dist/scripts/learn-walkthroughs.js` and the acceptance script; `npm test` leaves it out and says so, and
 *   runs the same checks in-process, shorter, in test/exercise/).
 * - Blocks of any other language (sh, json, python, text) are shown, not run.
 */
import { spawn } from 'node:child_process';
import { parseDuration } from '../time/duration.js';

export interface WalkthroughStep {
  /** 1-based line of the command in the page. */
  line: number;
  command: string;
  /** Lines to find in the output, in order (`...` = any text). */
  expect: string[];
  /** Expected exit status; null: any. */
  exit: number | null;
  timeoutMs: number;
  needs: string[];
  /** A slow block (see above). */
  isLong: boolean;
}

export interface StepResult {
  step: WalkthroughStep;
  outcome: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  reason?: string;
  output: string;
  exitCode: number | null;
  ms: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Every step of every `console` block of a page, in order. */
export function parseWalkthrough(markdown: string): WalkthroughStep[] {
  const steps: WalkthroughStep[] = [];
  const lines = markdown.split('\n');
  let block: { exit: number | null; timeoutMs: number; needs: string[]; isLong: boolean } | null = null;
  let fence = '';
  let current: WalkthroughStep | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const open = /^(\s*)(```+|~~~+)\s*(\S*)(.*)$/.exec(line);
    if (block === null && fence === '' && open) {
      fence = open[2];
      if (open[3] === 'console') block = parseAttributes(open[4], i + 1);
      continue;
    }
    if (fence !== '' && line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') {
      fence = '';
      block = null;
      current = null;
      continue;
    }
    if (block === null) continue;
    if (line.startsWith('$ ')) {
      let command = line.slice(2);
      // a trailing backslash continues the command on the next line, for bash as for the reader
      while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[++i]}`;
      current = { line: i + 1, command, expect: [], exit: block.exit, timeoutMs: block.timeoutMs, needs: block.needs, isLong: block.isLong };
      steps.push(current);
    } else if (current && line.trim() !== '') {
      current.expect.push(line.trim());
    } else if (!current && line.trim() !== '') {
      throw new Error(`line ${i + 1}: a console block must start with a command ($ ...), not ${JSON.stringify(line)}`);
    }
  }
  return steps;
}

function parseAttributes(text: string, line: number): { exit: number | null; timeoutMs: number; needs: string[]; isLong: boolean } {
  const attrs = { exit: 0 as number | null, timeoutMs: DEFAULT_TIMEOUT_MS, needs: [] as string[], isLong: false };
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const [key, value] = part.split('=');
    if (key === 'long' && value === undefined) attrs.isLong = true;
    else if (key === 'exit') attrs.exit = value === 'any' ? null : Number(value);
    else if (key === 'timeout') attrs.timeoutMs = parseDuration(value, 'timeout');
    else if (key === 'needs') attrs.needs = value.split(',');
    else throw new Error(`line ${line}: unknown console attribute ${JSON.stringify(part)} (exit=, timeout=, needs=, long)`);
    if (key === 'exit' && value !== 'any' && !Number.isInteger(attrs.exit)) throw new Error(`line ${line}: exit=${value} is not a number`);
  }
  return attrs;
}

/**
 * The first expected line not found in `output`, or null when all are there. The lines are looked for in order,
 * each after the end of the previous match; runs of spaces and line breaks count as one space on both sides (so a
 * table's alignment and the wrapping of a long sentence do not matter), and `...` matches any text.
 */
export function findMissing(output: string, expect: readonly string[]): string | null {
  const text = output.replace(/\s+/g, ' ');
  let at = 0;
  for (const wanted of expect) {
    // `...` is any text, the spaces around it included
    const parts = wanted.replace(/\s+/g, ' ').split(/ ?\.\.\. ?/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(parts.join('.*?'), 'g');
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) return wanted;
    at = match.index + Math.max(1, match[0].length);
  }
  return null;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether a program is on PATH (for needs=). */
  hasProgram: (name: string) => boolean;
  /** Run the blocks marked `long` too (default: skip them, saying so). */
  includeLong?: boolean;
}

/** Runs one step with bash and checks its exit status and output. */
export async function runStep(step: WalkthroughStep, options: RunOptions): Promise<StepResult> {
  if (step.isLong && !options.includeLong) return { step, outcome: 'skipped', reason: 'long: run by node dist/scripts/learn-walkthroughs.js', output: '', exitCode: null, ms: 0 };
  const missingTool = step.needs.find((n) => !options.hasProgram(n));
  if (missingTool) return { step, outcome: 'skipped', reason: `skipped: needs ${missingTool}`, output: '', exitCode: null, ms: 0 };
  const started = performance.now();
  const { output, exitCode, timedOut } = await new Promise<{ output: string; exitCode: number | null; timedOut: boolean }>((resolve) => {
    const child = spawn('bash', ['-c', step.command], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let isTimedOut = false;
    const take = (chunk: Buffer): void => {
      if (text.length < 4 * 1024 * 1024) text += chunk.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      isTimedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, step.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output: text, exitCode: code, timedOut: isTimedOut });
    });
  });
  const ms = performance.now() - started;
  const fail = (reason: string): StepResult => ({ step, outcome: 'failed', reason, output, exitCode, ms });
  if (timedOut) return fail(`did not finish within ${step.timeoutMs / 1000} s`);
  if (step.exit !== null && exitCode !== step.exit) return fail(`exited with ${exitCode}, the page expects ${step.exit}`);
  const missing = findMissing(output, step.expect);
  if (missing !== null) return fail(`the output lacks ${JSON.stringify(missing)}${step.expect.length > 1 ? ' (expected lines are looked for in order)' : ''}`);
  return { step, outcome: 'passed', output, exitCode, ms };
}
