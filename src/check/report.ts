/**
 * The chaos run's report: a short text verdict, the history as JSON, and a self-contained HTML page (inline
 * CSS and SVG timeline, no script, no external asset) that a person can open offline. Everything is
 * returned as a string; the caller writes the files. All user data is escaped.
 */
import { type CheckResult, combineVerdicts, type Verdict } from './check-result.js';
import { describeOperation, type Fault, formatMs, type HistoryEvent, type Operation, pairHistory } from './history.js';
import { escapeHtml, renderTimelineSvg } from './html-timeline.js';
import { plotLegends, renderLatencySvg, renderThroughputSvg } from './html-plots.js';
import type { LinearizabilityCounterExample } from './linearizability.js';

export { escapeHtml } from './html-timeline.js';

/** Figures shown in the report (ops/s, durations, seeds, checker times...). */
export type ReportStats = Readonly<Record<string, string | number>>;

/** Everything the HTML report shows. */
export interface HtmlReportInput {
  title: string;
  history: readonly HistoryEvent[];
  faults?: readonly Fault[];
  results: readonly CheckResult[];
  stats?: ReportStats;
  /** Drawing width of the timeline in px; default 1200. */
  timelineWidthPx?: number;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/**
 * The text verdict: the overall verdict, one line per checker, then each invalid (or unknown) checker's
 * smallest counter-example with its operations.
 */
export function renderTextVerdict(results: readonly CheckResult[]): string {
  const overall = combineVerdicts(results.map((r) => r.verdict));
  const width = Math.max(10, ...results.map((r) => r.checker.length));
  const lines = [`verdict: ${overall.toUpperCase()}`];
  for (const result of results) lines.push(`  ${result.verdict.padEnd(8)} ${result.checker.padEnd(width)}  ${result.summary}`);
  for (const result of results) {
    const example = result.counterExample;
    if (example === undefined || result.verdict === 'valid') continue;
    lines.push('', `counter-example (${result.checker}):`, indent(example.description, '  '));
    // the linearizability description already lists its operations
    if (!('failingOp' in example)) for (const op of example.ops) lines.push(`    ${describeOperation(op)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The history (and faults) as JSON; infinite times are written as null. */
export function renderJsonHistory(history: readonly HistoryEvent[], faults: readonly Fault[] = []): string {
  return JSON.stringify(
    { events: history, faults },
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  );
}

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #212121; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: 700; color: #fff; }
.valid { background: #2e7d32; } .invalid { background: #c62828; } .unknown { background: #757575; }
td .valid, td .invalid, td .unknown { padding: 1px 8px; border-radius: 3px; color: #fff; font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0; } td, th { border: 1px solid #e0e0e0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #fafafa; } pre { background: #fafafa; border: 1px solid #e0e0e0; padding: 8px; overflow-x: auto; white-space: pre-wrap; }
.scroll { overflow-x: auto; border: 1px solid #e0e0e0; } svg text { font: 10px monospace; fill: #424242; } svg text.axis-title { font: 11px system-ui, sans-serif; } svg text.fault-label { font-weight: 700; }
.legend span { display: inline-block; margin-right: 14px; } .swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
.op.counter-example rect { opacity: 1; } .muted { color: #757575; }
`;

function verdictBadge(verdict: Verdict): string {
  return `<span class="${verdict}">${verdict}</span>`;
}

function operationRows(ops: readonly Operation[], failingId: number | undefined): string {
  const rows = ops.map((op) => {
    const cells = [
      `#${op.id}${op.id === failingId ? ' ◀' : ''}`,
      `p${op.process}`,
      op.f,
      op.key ?? '',
      JSON.stringify(op.input) ?? '',
      op.status,
      JSON.stringify(op.output) ?? '',
      formatMs(op.invokeMs),
      formatMs(op.completeMs),
    ];
    return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
  });
  return (
    '<table class="ops"><tr><th>op</th><th>process</th><th>f</th><th>key</th><th>input</th><th>status</th><th>output</th><th>invoked (ms)</th><th>completed (ms)</th></tr>' +
    rows.join('') +
    '</table>'
  );
}

/** The HTML report: verdict, per-checker results, the SVG timeline, counter-examples, faults and stats. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const faults = input.faults ?? [];
  const { operations, problems } = pairHistory(input.history);
  const overall = combineVerdicts(input.results.map((r) => r.verdict));
  const highlighted = new Set<number>();
  const windows: { startMs: number; endMs: number; label: string }[] = [];
  for (const result of input.results) {
    if (result.verdict === 'valid' || result.counterExample === undefined) continue;
    for (const op of result.counterExample.ops) highlighted.add(op.id);
    if ('failingOp' in result.counterExample) {
      const example = result.counterExample as LinearizabilityCounterExample;
      windows.push({ startMs: example.windowStartMs, endMs: example.windowEndMs, label: `${result.checker} counter-example window` });
    }
  }

  const html: string[] = [];
  html.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  html.push(`<title>${escapeHtml(input.title)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>');
  html.push(`<h1>${escapeHtml(input.title)}</h1>`);
  html.push(`<p><span class="verdict ${overall}">${overall.toUpperCase()}</span></p>`);

  html.push('<h2>Checks</h2>', '<table class="results"><tr><th>checker</th><th>verdict</th><th>summary</th></tr>');
  for (const result of input.results) {
    html.push(`<tr><td>${escapeHtml(result.checker)}</td><td>${verdictBadge(result.verdict)}</td><td>${escapeHtml(result.summary)}</td></tr>`);
  }
  html.push('</table>');

  html.push('<h2>Timeline</h2>');
  html.push(
    '<p class="legend">' +
      `<span><span class="swatch" style="background:#2e7d32"></span>ok</span>` +
      `<span><span class="swatch" style="background:#c62828"></span>fail</span>` +
      `<span><span class="swatch" style="background:#f9a825"></span>info (indeterminate)</span>` +
      `<span><span class="swatch" style="border:2px solid #1a237e"></span>counter-example</span>` +
      `<span class="muted">${operations.length} operations, ${faults.length} faults; hover for details</span></p>`,
  );
  if (problems.length > 0) {
    html.push(`<p>The history is malformed (${problems.length} problem${problems.length === 1 ? '' : 's'}); what could be paired is shown.</p><ul>`);
    for (const problem of problems.slice(0, 20)) html.push(`<li>event #${problem.eventIndex}: ${escapeHtml(problem.message)}</li>`);
    html.push('</ul>');
  }
  html.push(
    `<div class="scroll">${renderTimelineSvg({ operations, faults, highlighted, windows, ...(input.timelineWidthPx !== undefined ? { widthPx: input.timelineWidthPx } : {}) })}</div>`,
  );

  const plotWidth = input.timelineWidthPx !== undefined ? { widthPx: input.timelineWidthPx } : {};
  const legends = plotLegends(operations);
  const latency = renderLatencySvg({ operations, faults, ...plotWidth });
  html.push(
    '<h2>Latency</h2>',
    `<p class="muted">Each operation at the time it was invoked, at the height of how long its client waited (log scale); info operations at the time the client gave up. Faults shaded.${latency.sampledEvery > 1 ? ` Every ${latency.sampledEvery}th operation is drawn (${latency.points} points).` : ''}</p>`,
    legends.latency,
    `<div class="scroll">${latency.svg}</div>`,
  );
  const throughput = renderThroughputSvg({ operations, faults, ...plotWidth });
  html.push(
    '<h2>Throughput</h2>',
    `<p class="muted">Operations completed per second, by kind and outcome, in ${escapeHtml(formatMs(throughput.bucketMs))} ms buckets. Faults shaded.</p>`,
    legends.throughput,
    `<div class="scroll">${throughput.svg}</div>`,
  );

  const examples = input.results.filter((r) => r.verdict !== 'valid' && r.counterExample !== undefined);
  if (examples.length > 0) {
    html.push('<h2>Counter-examples</h2>');
    for (const result of examples) {
      const example = result.counterExample!;
      const failingId = 'failingOp' in example ? (example as LinearizabilityCounterExample).failingOp.id : undefined;
      html.push(`<h3>${escapeHtml(result.checker)}</h3>`, `<pre>${escapeHtml(example.description)}</pre>`);
      html.push(operationRows(example.ops, failingId));
      const more = (result.violations?.length ?? 1) - 1;
      if (more > 0) html.push(`<p class="muted">and ${more} more violation${more === 1 ? '' : 's'} listed in the JSON result.</p>`);
    }
  }

  if (faults.length > 0) {
    html.push('<h2>Faults</h2>', '<table class="faults"><tr><th>kind</th><th>description</th><th>start (ms)</th><th>end (ms)</th></tr>');
    for (const fault of faults) {
      html.push(
        `<tr><td>${escapeHtml(fault.kind)}</td><td>${escapeHtml(fault.description)}</td><td>${escapeHtml(formatMs(fault.startMs))}</td><td>${escapeHtml(formatMs(fault.endMs))}</td></tr>`,
      );
    }
    html.push('</table>');
  }

  const stats = Object.entries(input.stats ?? {});
  if (stats.length > 0) {
    html.push('<h2>Statistics</h2>', '<table class="stats">');
    for (const [name, value] of stats) html.push(`<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(String(value))}</td></tr>`);
    html.push('</table>');
  }
  html.push('</body>', '</html>');
  return `${html.join('\n')}\n`;
}
