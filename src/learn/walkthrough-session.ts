/**
 * Runs the learning pages as a new user would: in a fresh directory (where `.ccm/` will be made), with `ccm` on the
 * PATH and the project's `examples/`, `docs/` and built `dist/` reachable, every page's `console` blocks in order
 * against one cluster; then stops every process any cluster there recorded and removes the directory.
 * Used by the test suite (test/learn/walkthroughs.test.ts) and by `node dist/scripts/learn-walkthroughs.js`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listPages, type LearnPage } from './learn-pages.js';
import { parseWalkthrough, runStep, type StepResult } from './walkthrough.js';

export interface WalkthroughSession {
  /** The directory the commands run in. */
  dir: string;
  env: NodeJS.ProcessEnv;
  pages: LearnPage[];
  /** Runs one page's steps; stops at the first failure. */
  runPage(page: LearnPage, onStep?: (r: StepResult) => void): Promise<StepResult[]>;
  /** Stops every process started under the directory and removes it. */
  close(): Promise<void>;
}

export function openWalkthroughSession(root: string, options: { includeLong?: boolean } = {}): WalkthroughSession {
  return openSession(root, options.includeLong ?? false);
}

/** The pages a session runs, in order (for a test to declare one case per page before the session opens). */
openWalkthroughSession.pagesOf = (root: string): LearnPage[] => listPages(root);

function openSession(root: string, includeLong: boolean): WalkthroughSession {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-learn-'));
  const binDir = path.join(dir, '.bin');
  fs.mkdirSync(binDir);
  fs.writeFileSync(path.join(binDir, 'ccm'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, 'bin', 'run.js')}" "$@"\n`, { mode: 0o755 });
  for (const entry of ['examples', 'docs', 'dist']) fs.symlinkSync(path.join(root, entry), path.join(dir, entry));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };
  delete env.CCM_HOME; // the pages use ./.ccm, as a new user does
  const hasProgram = (name: string): boolean => {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore', env });
      return true;
    } catch {
      return false;
    }
  };
  return {
    dir,
    env,
    pages: listPages(root),
    async runPage(page, onStep) {
      const results: StepResult[] = [];
      for (const step of parseWalkthrough(fs.readFileSync(page.file, 'utf8'))) {
        const r = await runStep(step, { cwd: dir, env, hasProgram, includeLong });
        results.push(r);
        onStep?.(r);
        if (r.outcome === 'failed') break;
      }
      return results;
    },
    async close() {
      killRecordedProcesses(path.join(dir, '.ccm'));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SIGKILLs every pid any cluster.json under `home` records (nodes and supervisors), and waits until they are gone. */
function killRecordedProcesses(home: string): void {
  if (!fs.existsSync(home)) return;
  const pids: number[] = [];
  for (const name of fs.readdirSync(home)) {
    try {
      const file = JSON.parse(fs.readFileSync(path.join(home, name, 'cluster.json'), 'utf8')) as { nodes?: { pid?: number | null }[]; supervisorPid?: number | null };
      for (const n of file.nodes ?? []) if (typeof n.pid === 'number') pids.push(n.pid);
      if (typeof file.supervisorPid === 'number') pids.push(file.supervisorPid);
    } catch {
      // no cluster here
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && pids.some(isAlive)) execFileSync('sleep', ['0.05']);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A failed step, as a report: where, what, and the output's tail. */
export function describeFailure(page: LearnPage, r: StepResult): string {
  const tail = r.output.trimEnd().split('\n').slice(-25).join('\n');
  return `${path.relative(process.cwd(), page.file)}:${r.step.line}: $ ${r.step.command}\n  ${r.reason}\n  expected, in order: ${JSON.stringify(r.step.expect)}\n--- output (last lines) ---\n${tail}`;
}
