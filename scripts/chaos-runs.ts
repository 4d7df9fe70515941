/**
 * `node dist/scripts/chaos-runs.js [--duration 60s] [--nemesis all] [--workloads register,lease,config,registry]
 *  [--seed 7] [--switches] [--out chaos-results/]`: the long chaos runs that do not belong in `npm test`.
 *
 * Starts a fresh 5-node cluster (in a temp CCM_HOME), runs `ccm chaos run` with each workload under the chosen
 * nemeses, then (with --switches) starts a cluster per test-only fault switch and runs the workloads that
 * switch must break. Prints one line per run (verdict, operations, ops/s, faults, checking time) and writes
 * every run's report under --out. Exit status 0 when every real run is valid and every switched run invalid.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const duration = option('duration', '60s');
const nemesis = option('nemesis', 'all');
const workloads = option('workloads', 'register,lease,config,registry').split(',');
const seed = option('seed', '7');
const out = path.resolve(option('out', 'chaos-results'));
const withSwitches = process.argv.includes('--switches');

/** Which workloads each switch must break, and the nemesis that lets it show. */
const SWITCHED: { setting: string; workload: string; nemesis: string; extra: string[] }[] = [
  { setting: 'ack-before-commit', workload: 'register', nemesis: nemesis, extra: [] },
  { setting: 'ack-before-commit', workload: 'config', nemesis: nemesis, extra: [] },
  { setting: 'grant-without-core', workload: 'lease', nemesis: nemesis, extra: [] },
  { setting: 'ignore-fence', workload: 'lease', nemesis: nemesis, extra: [] },
  { setting: 'stale-reads', workload: 'registry', nemesis: 'partition', extra: ['--interval', '10s'] },
  { setting: 'stale-reads', workload: 'register', nemesis: 'partition', extra: ['--interval', '10s'] },
];

interface RunFigures {
  label: string;
  expected: 'valid' | 'invalid';
  verdict: string;
  ms: number;
  stats: Record<string, string | number>;
  firstProblem?: string;
}

async function ccm(home: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, ...args], { env: { CCM_HOME: home }, reject: false, timeout: 30 * 60_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function withCluster<T>(name: string, settings: string[], fn: (home: string) => Promise<T>): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-chaos-runs-'));
  const up = await ccm(home, ['up', '--nodes', '5', '--name', name, ...settings.flatMap((s) => ['--setting', s])]);
  if (up.exitCode !== 0) throw new Error(`ccm up failed: ${up.stderr}`);
  try {
    return await fn(home);
  } finally {
    await ccm(home, ['down', '--purge', '--name', name]);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function run(home: string, name: string, label: string, expected: RunFigures['expected'], args: string[]): Promise<RunFigures> {
  const report = path.join(out, label.replace(/[^a-z0-9.-]+/gi, '_'));
  const t0 = performance.now();
  const r = await ccm(home, ['chaos', 'run', ...args, '--seed', seed, '--report', report, '--name', name, '--json']);
  const ms = performance.now() - t0;
  let result: { verdict: string; stats: Record<string, string | number>; checks: { verdict: string; counterExample?: string }[]; error?: { message: string } };
  try {
    result = JSON.parse(r.stdout);
  } catch {
    result = { verdict: `error (exit ${r.exitCode}): ${r.stderr.split('\n')[0]}`, stats: {}, checks: [] };
  }
  if (result.error) result = { verdict: `error: ${result.error.message}`, stats: {}, checks: [] };
  const problem = result.checks.find((c) => c.verdict !== 'valid')?.counterExample;
  const figures: RunFigures = { label, expected, verdict: result.verdict, ms, stats: result.stats, ...(problem ? { firstProblem: problem } : {}) };
  const s = figures.stats;
  process.stdout.write(
    `${label.padEnd(44)} ${figures.verdict.toUpperCase().padEnd(8)} (expected ${expected})  ` +
      `${s['operations (main phase)'] ?? '?'} ops, ${s['ops/s (main phase)'] ?? '?'} ops/s, info ${s['info (indeterminate)'] ?? '?'}, ` +
      `faults: ${s['faults injected'] ?? '?'}; checking ${s['checking took'] ?? '?'}; run ${(ms / 1000).toFixed(0)} s\n`,
  );
  if (problem) process.stdout.write(`    ${problem.split('\n')[0].slice(0, 300)}\n`);
  return figures;
}

fs.mkdirSync(out, { recursive: true });
const figures: RunFigures[] = [];
process.stdout.write(`chaos runs: ${duration} each, nemesis ${nemesis}, seed ${seed}; reports in ${out}\n`);
await withCluster('real', [], async (home) => {
  for (const workload of workloads) {
    figures.push(await run(home, 'real', `${workload} ${nemesis}`, 'valid', ['--workload', workload, '--nemesis', nemesis, '--duration', duration]));
  }
});
if (withSwitches) {
  for (const s of SWITCHED.filter((x) => workloads.includes(x.workload))) {
    await withCluster('switched', [`unsafeFaultSwitch=${s.setting}`], async (home) => {
      figures.push(await run(home, 'switched', `${s.workload} ${s.nemesis} +${s.setting}`, 'invalid', ['--workload', s.workload, '--nemesis', s.nemesis, '--duration', duration, ...s.extra]));
    });
  }
}
fs.writeFileSync(path.join(out, 'figures.json'), JSON.stringify(figures, null, 2));
const wrong = figures.filter((f) => f.verdict !== f.expected);
process.stdout.write(wrong.length === 0 ? `\nall ${figures.length} runs as expected\n` : `\n${wrong.length} of ${figures.length} runs NOT as expected: ${wrong.map((f) => f.label).join('; ')}\n`);
process.exitCode = wrong.length === 0 ? 0 : 1;
