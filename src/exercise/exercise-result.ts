/**
 * What an exercise check returns: for each program run (the learner's, then ccm's own implementation measured the
 * same way), a verdict with the reasons (the smallest counter-example first), the figures that matter for the
 * exercise, and the faults it ran under. Rendered as text for the terminal, returned as is for --json.
 */
import { stamp, type AppliedNetFault } from './protocol/net-nemesis.js';

export type RunVerdict = 'pass' | 'fail';

export interface Figure {
  name: string;
  value: string;
}

/** Evidence of a broken program (garbage, a crash, no answer), with its own words. */
export interface ProgramProblem {
  kind: string;
  /** Which process: n2, p1. */
  process: string;
  message: string;
  line?: string;
  stderr?: string[];
}

export interface RunResult {
  /** "your program", "ccm (SWIM + emergent leader)". */
  label: string;
  command: string;
  verdict: RunVerdict;
  /** Why it failed, most telling first: the first is the smallest counter-example. */
  reasons: string[];
  problem?: ProgramProblem;
  figures: Figure[];
  faults: AppliedNetFault[];
  /** Run length (main phase), ms. */
  durationMs: number;
}

export interface ExerciseResult {
  exercise: string;
  seed: number;
  /** The learner's run's verdict (the comparison runs are for reading, not judging). */
  verdict: RunVerdict;
  runs: RunResult[];
  /** How to replay it. */
  replay: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function formatSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** "median 120 ms, p95 340 ms, max 1.20 s" (or "-" with no samples). */
export function spread(samples: readonly number[], unit: (v: number) => string = formatSeconds): string {
  if (samples.length === 0) return '-';
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${unit(percentile(sorted, 50))}, p95 ${unit(percentile(sorted, 95))}, max ${unit(sorted[sorted.length - 1])}`;
}

/** The report as the terminal shows it, at most 80 columns wide for the fixed parts. */
export function renderExerciseResult(result: ExerciseResult): string {
  const lines: string[] = [];
  if (result.exercise === 'chaos') {
    lines.push(`chaos: ${result.verdict === 'pass' ? 'PASS' : 'FAIL'} (every fault at once)`);
    for (const run of result.runs) {
      lines.push('');
      lines.push(`${run.label}: ${run.verdict === 'pass' ? 'PASS' : 'FAIL'} (${run.command})`);
      lines.push(...renderEvidence(run));
      lines.push(renderFigures([run]));
    }
  } else {
    const mine = result.runs[0];
    lines.push(`${result.exercise}: ${result.verdict === 'pass' ? 'PASS' : 'FAIL'} (${mine.label}: ${mine.command})`);
    lines.push(...renderEvidence(mine));
    lines.push('');
    lines.push(renderFigures(result.runs));
    for (const other of result.runs.slice(1)) {
      if (other.verdict === 'fail') lines.push(`(${other.label} would fail this check: ${other.reasons[0] ?? other.problem?.message ?? ''})`);
    }
  }
  lines.push('');
  lines.push(`replay: ${result.replay}`);
  return lines.join('\n');
}

/** Why a run failed (the offending line, the counter-example) and the faults it ran under. */
function renderEvidence(run: RunResult): string[] {
  const lines: string[] = [];
  if (run.problem) {
    if (run.problem.line !== undefined) lines.push(`  offending line: ${run.problem.line}`);
    if (run.problem.stderr && run.problem.stderr.length > 0) {
      lines.push(`  the last lines ${run.problem.process} wrote to stderr:`);
      for (const l of run.problem.stderr.slice(-8)) lines.push(`    ${l}`);
    }
  }
  for (const [i, reason] of run.reasons.slice(0, 5).entries()) lines.push(`  ${i === 0 ? (run.problem ? 'problem' : 'counter-example') : 'also'}: ${reason}`);
  if (run.reasons.length > 5) lines.push(`  ... and ${run.reasons.length - 5} more`);
  if (run.faults.length > 0) {
    lines.push('');
    lines.push('faults:');
    for (const f of run.faults) lines.push(`  ${stamp(f.startMs)} - ${f.endMs === null ? 'end' : `${(f.endMs / 1000).toFixed(1)}s`}  ${f.description}`);
  }
  return lines;
}

/** Figures of each run side by side: one row per figure, one column per run. */
export function renderFigures(runs: readonly RunResult[]): string {
  const names: string[] = [];
  for (const r of runs) for (const f of r.figures) if (!names.includes(f.name)) names.push(f.name);
  const header = ['', ...runs.map((r) => r.label)];
  const rows = names.map((n) => [n, ...runs.map((r) => r.figures.find((f) => f.name === n)?.value ?? '-')]);
  rows.unshift(['verdict', ...runs.map((r) => r.verdict.toUpperCase())]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]): string => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
