/**
 * A learner's program, run by the exercise harness: one child process that speaks JSON lines on stdin/stdout.
 *
 * Its output is input from outside, so every line is bounded before anything trusts it: a line longer than
 * `maxLineBytes` is cut off and reported (never buffered whole), lines beyond `maxLinesPerSecond` (a token bucket)
 * are dropped and counted, and what the harness writes to a stopped or stuck program is capped too. The program
 * runs in its own process group, so pausing (SIGSTOP), resuming and killing reach whatever it started (a shell, an
 * interpreter), and every group still alive is killed when the harness exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface LearnerProcessOptions {
  /** What the reports call it: `n2`, `client p1`. */
  name: string;
  /** The program and its arguments (no shell: pass `sh -c '…'` for one). */
  command: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Longest accepted line, in bytes (default 1 MiB). */
  maxLineBytes?: number;
  /** Sustained lines per second accepted (default 5000; bursts of twice that). */
  maxLinesPerSecond?: number;
  /** Most bytes queued for the program's stdin before further writes are dropped (default 16 MiB). */
  maxPendingInputBytes?: number;
  onLine: (line: string) => void;
  onProblem?: (problem: LearnerProblem) => void;
  onExit?: (exit: LearnerExit) => void;
}

/** Something wrong with what the program did, with the evidence. */
export type LearnerProblem =
  | { kind: 'overlong-line'; process: string; prefix: string; bytes: number }
  | { kind: 'spawn-failed'; process: string; message: string };

export interface LearnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LearnerCounters {
  linesIn: number;
  linesOut: number;
  /** Lines dropped because the program wrote faster than maxLinesPerSecond. */
  rateLimited: number;
  overlongLines: number;
  /** Writes to the program dropped because its stdin backlog was full (it stopped reading). */
  inputDropped: number;
}

const STDERR_LINES_KEPT = 40;
const STDERR_LINE_CHARS = 400;

/** Every learner process group alive, so that an exiting harness leaves none behind. */
const liveGroups = new Set<number>();
let isExitHookInstalled = false;

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  // 'exit' handlers must be synchronous; process.kill is.
  process.on('exit', killAllLearnerProcesses);
}

/** Kills (SIGKILL) every learner process group still alive. Safe to call any number of times. */
export function killAllLearnerProcesses(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
}

/** How many learner process groups are alive (for tests). */
export function liveLearnerGroups(): number[] {
  return [...liveGroups];
}

export class LearnerProcess {
  readonly name: string;
  readonly counters: LearnerCounters = { linesIn: 0, linesOut: 0, rateLimited: 0, overlongLines: 0, inputDropped: 0 };
  private child: ChildProcess | null = null;
  private exitInfo: LearnerExit | null = null;
  private readonly exited: Promise<LearnerExit>;
  private resolveExited!: (e: LearnerExit) => void;
  private readonly stderrLines: string[] = [];
  private stderrPartial = '';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private isSkippingLine = false;
  private tokens: number;
  private lastRefillMs = performance.now();
  private isPausedFlag = false;
  private readonly maxLineBytes: number;
  private readonly linesPerSecond: number;
  private readonly maxPendingInputBytes: number;

  constructor(private readonly options: LearnerProcessOptions) {
    this.name = options.name;
    this.maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    this.linesPerSecond = options.maxLinesPerSecond ?? 5000;
    this.maxPendingInputBytes = options.maxPendingInputBytes ?? 16 * 1024 * 1024;
    this.tokens = this.linesPerSecond * 2;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  /** Starts the program; resolves once it is running (or has failed to start: see onProblem and exit()). */
  start(): Promise<void> {
    installExitHook();
    const [program, ...args] = this.options.command;
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(program, args, {
          cwd: this.options.cwd,
          env: { ...process.env, ...(this.options.env ?? {}) },
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
      } catch (err) {
        this.fail(`cannot start ${this.options.command.join(' ')}: ${(err as Error).message}`);
        resolve();
        return;
      }
      this.child = child;
      child.once('spawn', () => {
        if (child.pid !== undefined) liveGroups.add(child.pid);
        resolve();
      });
      child.once('error', (err) => {
        // ENOENT and friends: the program never ran.
        if (child.pid === undefined) {
          this.fail(`cannot start ${this.options.command.join(' ')}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `${program}: not found` : err.message}`);
          resolve();
        }
      });
      child.once('exit', (code, signal) => this.onChildExit({ code, signal }));
      child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
      child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk));
      // A program that exits or closes stdin while we write: not our crash.
      child.stdin!.on('error', () => undefined);
      child.stdout!.on('error', () => undefined);
      child.stderr!.on('error', () => undefined);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Null while it runs; how it ended once it has. */
  exit(): LearnerExit | null {
    return this.exitInfo;
  }

  /** Resolves when the process has exited. */
  whenExited(): Promise<LearnerExit> {
    return this.exited;
  }

  get isPaused(): boolean {
    return this.isPausedFlag;
  }

  /** Writes one JSON line to the program's stdin; false when it was dropped (exited, or its backlog is full). */
  send(message: unknown): boolean {
    const stdin = this.child?.stdin;
    if (!stdin || this.exitInfo || stdin.destroyed) return false;
    if (stdin.writableLength > this.maxPendingInputBytes) {
      this.counters.inputDropped++;
      return false;
    }
    this.counters.linesOut++;
    stdin.write(JSON.stringify(message) + '\n');
    return true;
  }

  /** SIGSTOP to the whole group: the program stops mid-step, as in a long GC pause or a frozen VM. */
  pause(): void {
    if (this.signalGroup('SIGSTOP')) this.isPausedFlag = true;
  }

  resume(): void {
    if (this.signalGroup('SIGCONT')) this.isPausedFlag = false;
    else this.isPausedFlag = false;
  }

  /** Kills the group (SIGKILL) and waits until the process is gone (at most `timeoutMs`). */
  async kill(timeoutMs = 3000): Promise<void> {
    if (this.child?.pid !== undefined) {
      this.signalGroup('SIGKILL');
      liveGroups.delete(this.child.pid);
    }
    if (this.exitInfo || !this.child || this.child.pid === undefined) return;
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  /** The last lines the program wrote to stderr (each cut to a few hundred characters). */
  stderrTail(): string[] {
    return this.stderrPartial ? [...this.stderrLines, this.stderrPartial.slice(0, STDERR_LINE_CHARS)] : [...this.stderrLines];
  }

  private signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfo) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  private fail(message: string): void {
    this.options.onProblem?.({ kind: 'spawn-failed', process: this.name, message });
    this.onChildExit({ code: null, signal: null });
  }

  private onChildExit(exit: LearnerExit): void {
    if (this.exitInfo) return;
    this.exitInfo = exit;
    if (this.child?.pid !== undefined) {
      // The group may outlive its leader (a shell's children): make sure it goes too.
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      liveGroups.delete(this.child.pid);
    }
    this.options.onExit?.(exit);
    this.resolveExited(exit);
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      this.takeLine(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.buffer(chunk.subarray(start));
  }

  private buffer(part: Buffer): void {
    if (this.isSkippingLine) return;
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.reportOverlong(Buffer.concat(this.pending), this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.isSkippingLine = true;
    }
  }

  private takeLine(tail: Buffer): void {
    if (this.isSkippingLine) {
      this.isSkippingLine = false;
      return;
    }
    let line: Buffer = tail;
    if (this.pending.length > 0) {
      line = Buffer.concat([...this.pending, tail]);
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (line.length > this.maxLineBytes) {
      this.reportOverlong(line, line.length);
      return;
    }
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    if (!this.takeToken()) {
      this.counters.rateLimited++;
      return;
    }
    this.counters.linesIn++;
    try {
      this.options.onLine(text);
    } catch (err) {
      // A harness bug must not look like the learner's; but it must not kill the harness either.
      process.stderr.write(`exercise harness: handling a line from ${this.name} failed: ${(err as Error).stack ?? err}\n`);
    }
  }

  private reportOverlong(line: Buffer, bytes: number): void {
    this.counters.overlongLines++;
    this.options.onProblem?.({ kind: 'overlong-line', process: this.name, prefix: line.subarray(0, 200).toString('utf8'), bytes });
  }

  private takeToken(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.linesPerSecond * 2, this.tokens + ((now - this.lastRefillMs) * this.linesPerSecond) / 1000);
    this.lastRefillMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private onStderr(chunk: Buffer): void {
    const text = this.stderrPartial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.stderrPartial = (lines.pop() ?? '').slice(-STDERR_LINE_CHARS * 4);
    for (const line of lines) {
      this.stderrLines.push(line.slice(0, STDERR_LINE_CHARS));
      if (this.stderrLines.length > STDERR_LINES_KEPT) this.stderrLines.shift();
    }
  }
}
