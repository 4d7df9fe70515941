import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { ClusterFixture } from '../fixtures/cluster-fixture.js';
import { waitFor } from '../fixtures/cluster-fixture.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/**
 * A long-running `ccm` command (campaign, observe, watch, --keepalive) started against a fixture's cluster: its
 * output lines as they come, signals, and its exit. `stopAll` kills whatever is still running (afterEach).
 */
export class CliProcess {
  static readonly running = new Set<CliProcess>();
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  private readonly child: ResultPromise;
  readonly exited: Promise<{ exitCode: number | undefined; signal: string | undefined }>;
  isExited = false;

  constructor(fx: ClusterFixture, args: string[]) {
    this.child = execa(process.execPath, [BIN, ...args, '--name', fx.name], { env: { CCM_HOME: fx.home }, reject: false, buffer: false });
    const collect = (into: string[]) => {
      let partial = '';
      return (chunk: Buffer): void => {
        partial += chunk.toString('utf8');
        const parts = partial.split('\n');
        partial = parts.pop()!;
        into.push(...parts.filter((l) => l.length > 0));
      };
    };
    this.child.stdout!.on('data', collect(this.lines));
    this.child.stderr!.on('data', collect(this.errLines));
    this.exited = this.child.then((r) => {
      this.isExited = true;
      CliProcess.running.delete(this);
      return { exitCode: r.exitCode, signal: r.signal };
    });
    CliProcess.running.add(this);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Stdout lines parsed as JSON (commands run with --json print one object per line). */
  json<T = any>(): T[] {
    return this.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as T);
  }

  async waitForLine(what: string, match: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
    return (await waitFor(`${what} (stdout: ${this.lines.slice(-3).join(' | ')}; stderr: ${this.errLines.slice(-3).join(' | ')})`, () => this.lines.find(match), timeoutMs, 50))!;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.isExited) process.kill(this.pid, sig);
  }

  static async stopAll(): Promise<void> {
    for (const p of CliProcess.running) {
      p.signal('SIGCONT');
      p.signal('SIGKILL');
    }
    await Promise.all([...CliProcess.running].map((p) => p.exited));
  }
}
