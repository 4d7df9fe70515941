/**
 * `node dist/scripts/exercise-runs.js [--duration 20s] [--bugs] [exercise...]`: the full exercise checks that do not
 * belong in `npm test`. Starts a 5-node cluster in a temp CCM_HOME, then runs `ccm exercise check` with every bundled
 * reference solution (must pass) and broken one (must fail), in every language bundled, at the default length (or
 * --duration); with --bugs, plants each bug of `ccm exercise bug` in a cluster of its own and runs the `ccm chaos
 * run` its reveal names (the checker must say invalid). Prints one line per run (verdict, time); exits 1 when any
 * run did not come out as it must.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { EXERCISE_IDS, EXERCISES, type ExerciseId } from '../src/exercise/exercises.js';
import { pickBug, PLANTED_BUGS } from '../src/exercise/planted-bugs.js';
import { SeededRandom } from '../src/random/random.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const duration = option('duration');
const withBugs = args.includes('--bugs');
const only = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--duration') as ExerciseId[];
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-exercise-runs-'));

async function ccm(cmd: string[], timeoutMs = 10 * 60_000): Promise<{ exitCode: number; stdout: string }> {
  const r = await execa(process.execPath, [BIN, ...cmd], { env: { CCM_HOME: home }, reject: false, timeout: timeoutMs, all: true });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.all) };
}

let bad = 0;
const line = (ok: boolean, text: string): void => {
  if (!ok) bad++;
  process.stdout.write(`${ok ? 'ok  ' : 'BAD '} ${text}\n`);
};

try {
  const up = await ccm(['up', '--nodes', '5', '--name', 'runs']);
  if (up.exitCode !== 0) throw new Error(`ccm up failed: ${up.stdout}`);
  for (const id of EXERCISE_IDS) {
    if (only.length > 0 && !only.includes(id)) continue;
    const e = EXERCISES[id];
    const languages = id === 'chaos' ? ['py'] : [...new Set([...e.programs.reference, ...e.programs.broken])];
    for (const language of languages) {
      for (const solution of ['reference', 'broken'] as const) {
        if (id !== 'chaos' && !e.programs[solution].includes(language as 'py' | 'ts')) continue;
        const t0 = performance.now();
        const r = await ccm(['exercise', 'check', id, '--solution', solution, ...(id === 'chaos' ? [] : ['--language', language]), '--name', 'runs', ...(duration ? ['--duration', duration] : [])]);
        const secs = ((performance.now() - t0) / 1000).toFixed(0);
        const verdict = r.exitCode === 0 ? 'PASS' : r.exitCode === 1 ? 'FAIL' : `exit ${r.exitCode}`;
        const why = r.stdout.split('\n').find((l) => /counter-example|problem:/.test(l))?.trim() ?? '';
        line((solution === 'reference') === (r.exitCode === 0) && (r.exitCode === 0 || r.exitCode === 1), `${id} ${solution} (${language}): ${verdict} in ${secs} s ${why.slice(0, 140)}`);
      }
    }
  }
  if (withBugs) {
    for (const [i, bug] of PLANTED_BUGS.entries()) {
      const name = `bug${i}`;
      const seed = findSeed(bug.name);
      await ccm(['exercise', 'bug', '--name', name, '--nodes', '5', '--seed', String(seed)]);
      const t0 = performance.now();
      const words = bug.shownBy.split(' ').slice(1); // after "ccm"
      const r = await ccm([...words, '--name', name, '--duration', '30s', '--seed', '7']);
      const invalid = r.stdout.split('\n').filter((l) => /^\s+invalid\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
      line(r.exitCode === 1 && invalid.some((g) => bug.breaks.includes(g as never)), `bug ${bug.name}: ${bug.shownBy} says invalid: ${invalid.join(', ') || 'nothing'} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      await ccm(['down', '--purge', '--name', name]);
    }
  }
} finally {
  await ccm(['down', '--purge', '--name', 'runs']);
  for (const d of fs.existsSync(home) ? fs.readdirSync(home) : []) await ccm(['down', '--purge', '--name', d]);
  fs.rmSync(home, { recursive: true, force: true });
}
process.stdout.write(bad === 0 ? 'every run came out as it must\n' : `${bad} run(s) did not\n`);
process.exitCode = bad === 0 ? 0 : 1;

/** A seed for which `ccm exercise bug` plants `name`. */
function findSeed(name: string): number {
  for (let seed = 0; seed < 1000; seed++) if (pickBug(new SeededRandom(seed)).name === name) return seed;
  throw new Error(`no seed plants ${name}`);
}
