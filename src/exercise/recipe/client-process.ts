/**
 * One of the learner's client processes in a recipe exercise (lease, watch, election-recipe): a LearnerProcess
 * that answers one request at a time in the client protocol (docs/exercises/client-protocol.md). Requests carry an
 * `id`; a reply with that id answers it. A reply that does not come within the deadline is an indeterminate outcome
 * (the program may still act on it); the time the harness itself kept the program paused does not count against it.
 * Three unanswered requests in a row mean the program hangs, and stop the run.
 */
import type { ProgramProblem } from '../exercise-result.js';
import { LearnerProcess } from '../learner-process.js';
import { ClientLine, isWatchEventLine, type ClientReply, type WatchEventLine } from '../wire-schemas.js';

export interface ClientProcessOptions {
  index: number;
  command: readonly string[];
  env: Record<string, string>;
  onEvent?: (event: WatchEventLine['event'], atMs: number) => void;
  onFatal: (problem: ProgramProblem) => void;
  /** The run's clock, ms. */
  nowMs: () => number;
}

const HANG_AFTER_TIMEOUTS = 3;

export class ClientProcess {
  readonly name: string;
  private readonly proc: LearnerProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ClientReply | null) => void>();
  private pausedForMs = 0;
  private pausedAt: number | null = null;
  private timeoutsInARow = 0;
  private isStopping = false;
  /** Replies for requests already given up on. */
  lateReplies = 0;

  constructor(private readonly options: ClientProcessOptions) {
    this.name = `p${options.index}`;
    this.proc = new LearnerProcess({
      name: this.name,
      command: options.command,
      env: options.env,
      onLine: (line) => this.onLine(line),
      onProblem: (p) =>
        options.onFatal(
          p.kind === 'overlong-line'
            ? { kind: 'overlong-line', process: this.name, message: `${this.name} printed a line of ${p.bytes} bytes, over the limit`, line: p.prefix.slice(0, 300) }
            : { kind: 'spawn-failed', process: this.name, message: p.message },
        ),
      onExit: (e) => {
        if (this.isStopping) return;
        options.onFatal({
          kind: 'crashed',
          process: this.name,
          message: `${this.name} exited on its own (${e.signal ? `signal ${e.signal}` : `exit status ${e.code}`})`,
          stderr: this.proc.stderrTail(),
        });
      },
    });
  }

  get index(): number {
    return this.options.index;
  }

  get isPaused(): boolean {
    return this.proc.isPaused;
  }

  start(): Promise<void> {
    return this.proc.start();
  }

  /** Sends a request and waits for its reply; null when none came in time (paused time excluded). */
  async request(op: string, fields: Record<string, unknown>, timeoutMs: number): Promise<ClientReply | null> {
    if (this.isStopping) return null;
    const id = this.nextId++;
    const reply = new Promise<ClientReply | null>((resolve) => this.pending.set(id, resolve));
    if (!this.proc.send({ id, op, ...fields })) {
      this.pending.delete(id);
      return null;
    }
    const startedPaused = this.pausedTotal();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<null>((resolve) => {
      const check = (): void => {
        if (!this.pending.has(id)) return;
        const waited = performance.now() - started - (this.pausedTotal() - startedPaused);
        if (waited >= timeoutMs || this.isStopping) {
          this.pending.delete(id);
          resolve(null);
        } else {
          timer = setTimeout(check, Math.min(50, timeoutMs - waited + 1));
        }
      };
      timer = setTimeout(check, Math.min(50, timeoutMs));
    });
    const result = await Promise.race([reply, expired]);
    if (timer) clearTimeout(timer);
    if (result === null && !this.isStopping) {
      if (++this.timeoutsInARow >= HANG_AFTER_TIMEOUTS) {
        this.options.onFatal({
          kind: 'hangs',
          process: this.name,
          message: `${this.name} stopped answering: ${HANG_AFTER_TIMEOUTS} requests in a row got no reply within ${Math.round(timeoutMs / 100) / 10} s (the last: ${op})`,
          stderr: this.proc.stderrTail(),
        });
      }
    } else if (result !== null) {
      this.timeoutsInARow = 0;
    }
    return result;
  }

  pause(): void {
    if (this.proc.isPaused) return;
    this.proc.pause();
    this.pausedAt = performance.now();
  }

  resume(): void {
    if (this.pausedAt !== null) this.pausedForMs += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.proc.resume();
  }

  stderrTail(): string[] {
    return this.proc.stderrTail();
  }

  async stop(): Promise<void> {
    this.isStopping = true;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    await this.proc.kill();
  }

  private pausedTotal(): number {
    return this.pausedForMs + (this.pausedAt !== null ? performance.now() - this.pausedAt : 0);
  }

  private onLine(line: string): void {
    if (this.isStopping) return;
    const parsed = ClientLine.parse(line);
    if (!parsed.ok) {
      this.options.onFatal({
        kind: 'garbage',
        process: this.name,
        message: `${this.name} printed a line that is not in the client protocol: ${parsed.reason}`,
        line: line.slice(0, 300),
        stderr: this.proc.stderrTail(),
      });
      return;
    }
    const value = parsed.value;
    if (isWatchEventLine(value)) {
      this.options.onEvent?.(value.event, this.options.nowMs());
      return;
    }
    const resolve = this.pending.get(value.id);
    if (!resolve) {
      this.lateReplies++;
      return;
    }
    this.pending.delete(value.id);
    resolve(value);
  }
}
