/**
 * Jepsen's two performance plots of a run, as inline SVG beside the timeline (same time axis, fault intervals shaded
 * the same way): latency of every operation over time, by kind (shape) and outcome (colour), on a log scale
 * (Jepsen's latency-raw); and throughput over time, completions per second by kind and outcome (Jepsen's rate).
 *
 * Hand-made SVG rather than a chart library inlined into the page: the timeline is already SVG with this axis and
 * these bands, so the plots reuse them; the report stays script-free (it renders, prints and diffs as a static
 * file); and the plots are testable as text, with the browser test only confirming that they draw.
 */
import { describeOperation, formatMs, type Fault, type Operation } from './history.js';
import { escapeHtml, FAULT_COLOUR, niceStep, num, STATUS_COLOUR, tickLabel, timeSpan } from './html-timeline.js';

export interface PlotInput {
  operations: readonly Operation[];
  faults: readonly Fault[];
  /** Drawing width in px; default 1200 (the timeline's). */
  widthPx?: number;
}

const LEFT_PX = 64;
const RIGHT_PX = 10;
const TOP_PX = 16;
const BOTTOM_PX = 24;
const HEIGHT_PX = 240;
/** Points drawn at most; beyond it every k-th operation is drawn (and the caption says so). */
export const MAX_LATENCY_POINTS = 20_000;
/** Shapes by operation kind, in order of first appearance. */
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
/** Line colours by kind for the throughput plot; the outcome is the dash. */
const KIND_COLOURS = ['#1565c0', '#6a1b9a', '#00838f', '#ef6c00', '#4e342e'];
const OUTCOME_DASH: Record<Operation['status'], string> = { ok: '', fail: '2 3', info: '6 3' };

function kindsOf(ops: readonly Operation[]): string[] {
  return [...new Set(ops.map((o) => o.f))];
}

/** How long the client waited: to the reply, or (info) to when it gave up; null when it never heard back. */
export function latencyOf(op: Operation): number | null {
  return Number.isFinite(op.returnedMs) ? Math.max(0, op.returnedMs - op.invokeMs) : null;
}

function frame(kind: string, label: string, widthPx: number, faults: readonly Fault[], x: (t: number) => number, t0: number, t1: number): string[] {
  const plotBottom = HEIGHT_PX - BOTTOM_PX;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot ${kind}" width="${widthPx}" height="${HEIGHT_PX}" viewBox="0 0 ${widthPx} ${HEIGHT_PX}" role="img" aria-label="${escapeHtml(label)}">`,
    `<rect x="${LEFT_PX}" y="${TOP_PX}" width="${widthPx - LEFT_PX - RIGHT_PX}" height="${plotBottom - TOP_PX}" fill="#fcfcfc" stroke="#e0e0e0"/>`,
  ];
  for (const fault of faults) {
    const start = x(fault.startMs);
    const end = x(Number.isFinite(fault.endMs) ? fault.endMs : t1);
    const colour = FAULT_COLOUR[fault.kind] ?? '#757575';
    parts.push(
      `<g class="fault"><title>${escapeHtml(`${fault.kind}: ${fault.description} [${formatMs(fault.startMs)} .. ${formatMs(fault.endMs)} ms]`)}</title>` +
        `<rect x="${num(start)}" y="${TOP_PX}" width="${num(Math.max(1, end - start))}" height="${plotBottom - TOP_PX}" fill="${colour}" opacity="0.12"/></g>`,
    );
  }
  const stepMs = niceStep(t1 - t0, 10);
  for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
    const px = num(x(t));
    parts.push(`<line x1="${px}" y1="${TOP_PX}" x2="${px}" y2="${plotBottom}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${px}" y="${plotBottom + 14}" text-anchor="middle" class="tick">${escapeHtml(tickLabel(t, stepMs))}</text>`);
  }
  return parts;
}

function marker(shape: (typeof SHAPES)[number], cx: number, cy: number, colour: string): string {
  const x = num(cx);
  const y = num(cy);
  switch (shape) {
    case 'circle':
      return `<circle cx="${x}" cy="${y}" r="2.2" fill="${colour}"/>`;
    case 'square':
      return `<rect x="${num(cx - 2)}" y="${num(cy - 2)}" width="4" height="4" fill="${colour}"/>`;
    case 'triangle':
      return `<path d="M${x} ${num(cy - 2.6)} l2.4 4.4 h-4.8 z" fill="${colour}"/>`;
    case 'diamond':
      return `<path d="M${x} ${num(cy - 2.8)} l2.8 2.8 l-2.8 2.8 l-2.8 -2.8 z" fill="${colour}"/>`;
    case 'cross':
      return `<path d="M${num(cx - 2.2)} ${num(cy - 2.2)} l4.4 4.4 M${num(cx + 2.2)} ${num(cy - 2.2)} l-4.4 4.4" stroke="${colour}" stroke-width="1.4"/>`;
  }
}

/** Latency of every operation against the time it was invoked, log scale; faults shaded. */
export function renderLatencySvg(input: PlotInput): { svg: string; points: number; sampledEvery: number } {
  const widthPx = input.widthPx ?? 1200;
  const [t0, t1] = timeSpan(input.operations, input.faults);
  const plotPx = widthPx - LEFT_PX - RIGHT_PX;
  const x = (t: number): number => LEFT_PX + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotPx;
  const measured = input.operations.filter((op) => latencyOf(op) !== null);
  let lo = Infinity;
  let hi = -Infinity;
  for (const op of measured) {
    const l = Math.max(0.1, latencyOf(op)!);
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  if (lo === Infinity) [lo, hi] = [1, 10];
  const decadeLo = Math.floor(Math.log10(lo));
  const decadeHi = Math.max(decadeLo + 1, Math.ceil(Math.log10(hi)));
  const plotBottom = HEIGHT_PX - BOTTOM_PX;
  const y = (ms: number): number => plotBottom - ((Math.log10(Math.max(0.1, ms)) - decadeLo) / (decadeHi - decadeLo)) * (plotBottom - TOP_PX);
  const parts = frame('latency', 'latency of each operation over time, log scale', widthPx, input.faults, x, t0, t1);
  for (let d = decadeLo; d <= decadeHi; d++) {
    const ms = 10 ** d;
    const py = num(y(ms));
    parts.push(`<line x1="${LEFT_PX}" y1="${py}" x2="${widthPx - RIGHT_PX}" y2="${py}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${LEFT_PX - 6}" y="${num(y(ms) + 3)}" text-anchor="end" class="tick">${escapeHtml(ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`)}</text>`);
  }
  parts.push(`<text x="12" y="${num((TOP_PX + plotBottom) / 2)}" transform="rotate(-90 12 ${num((TOP_PX + plotBottom) / 2)})" text-anchor="middle" class="axis-title">latency</text>`);
  const kinds = kindsOf(input.operations);
  const shapeOf = new Map(kinds.map((k, i) => [k, SHAPES[i % SHAPES.length]]));
  const sampledEvery = Math.max(1, Math.ceil(measured.length / MAX_LATENCY_POINTS));
  let points = 0;
  // ok first, then info and fail on top: the rare outcomes must not hide under the common one.
  const order: Operation['status'][] = ['ok', 'info', 'fail'];
  for (const status of order) {
    const group: string[] = [];
    measured.forEach((op, i) => {
      if (op.status !== status || i % sampledEvery !== 0) return;
      points++;
      group.push(`<g class="point ${op.status}"><title>${escapeHtml(`${describeOperation(op)} — ${formatMs(latencyOf(op)!)} ms`)}</title>${marker(shapeOf.get(op.f)!, x(op.invokeMs), y(latencyOf(op)!), STATUS_COLOUR[op.status])}</g>`);
    });
    parts.push(`<g class="outcome ${status}">${group.join('')}</g>`);
  }
  parts.push('</svg>');
  return { svg: parts.join('\n'), points, sampledEvery };
}

/** One throughput series: completions per second of one kind and outcome, per time bucket. */
export interface RateSeries {
  f: string;
  status: Operation['status'];
  /** Operations per second in each bucket. */
  rates: number[];
}

/** Completions per second by kind and outcome, in buckets of a round width (about 60 across the run). */
export function throughputSeries(ops: readonly Operation[], t0: number, t1: number): { bucketMs: number; series: RateSeries[] } {
  const bucketMs = Math.max(1, niceStep(t1 - t0, 60));
  const buckets = Math.max(1, Math.ceil((t1 - t0) / bucketMs));
  const byKey = new Map<string, RateSeries>();
  for (const op of ops) {
    const at = Number.isFinite(op.returnedMs) ? op.returnedMs : null;
    if (at === null) continue;
    const key = `${op.f}\u0000${op.status}`;
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { f: op.f, status: op.status, rates: new Array<number>(buckets).fill(0) }));
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((at - t0) / bucketMs)));
    s.rates[b] += 1000 / bucketMs;
  }
  const kinds = kindsOf(ops);
  const order: Operation['status'][] = ['ok', 'info', 'fail'];
  const series = [...byKey.values()].sort((a, b) => kinds.indexOf(a.f) - kinds.indexOf(b.f) || order.indexOf(a.status) - order.indexOf(b.status));
  return { bucketMs, series };
}

/** Throughput over time: one line per kind (colour) and outcome (dash); faults shaded. */
export function renderThroughputSvg(input: PlotInput): { svg: string; series: RateSeries[]; bucketMs: number } {
  const widthPx = input.widthPx ?? 1200;
  const [t0, t1] = timeSpan(input.operations, input.faults);
  const plotPx = widthPx - LEFT_PX - RIGHT_PX;
  const x = (t: number): number => LEFT_PX + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotPx;
  const { bucketMs, series } = throughputSeries(input.operations, t0, t1);
  let top = 0;
  for (const s of series) for (const r of s.rates) if (r > top) top = r;
  const step = niceStep(Math.max(1, top), 5);
  const yMax = Math.max(step, Math.ceil(top / step) * step);
  const plotBottom = HEIGHT_PX - BOTTOM_PX;
  const y = (rate: number): number => plotBottom - (rate / yMax) * (plotBottom - TOP_PX);
  const parts = frame('throughput', 'operations completed per second over time', widthPx, input.faults, x, t0, t1);
  for (let r = 0; r <= yMax; r += step) {
    const py = num(y(r));
    parts.push(`<line x1="${LEFT_PX}" y1="${py}" x2="${widthPx - RIGHT_PX}" y2="${py}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${LEFT_PX - 6}" y="${num(y(r) + 3)}" text-anchor="end" class="tick">${escapeHtml(num(r))}/s</text>`);
  }
  parts.push(`<text x="12" y="${num((TOP_PX + plotBottom) / 2)}" transform="rotate(-90 12 ${num((TOP_PX + plotBottom) / 2)})" text-anchor="middle" class="axis-title">ops/s</text>`);
  const kinds = kindsOf(input.operations);
  for (const s of series) {
    const colour = KIND_COLOURS[kinds.indexOf(s.f) % KIND_COLOURS.length];
    const pts = s.rates.map((r, i) => `${num(x(t0 + (i + 0.5) * bucketMs))},${num(y(r))}`).join(' ');
    const dash = OUTCOME_DASH[s.status] ? ` stroke-dasharray="${OUTCOME_DASH[s.status]}"` : '';
    const total = s.rates.reduce((a, r) => a + (r * bucketMs) / 1000, 0);
    parts.push(
      `<g class="series ${s.status}"><title>${escapeHtml(`${s.f} ${s.status}: ${Math.round(total)} operations`)}</title>` +
        `<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="${s.status === 'ok' ? 1.8 : 1.4}"${dash}/></g>`,
    );
  }
  parts.push('</svg>');
  return { svg: parts.join('\n'), series, bucketMs };
}

/** The legends under the two plots: kinds by shape and colour, outcomes by colour and dash. */
export function plotLegends(ops: readonly Operation[]): { latency: string; throughput: string } {
  const kinds = kindsOf(ops);
  const svgShape = (i: number, colour: string): string =>
    `<svg width="10" height="10" viewBox="0 0 10 10" style="vertical-align:middle">${marker(SHAPES[i % SHAPES.length], 5, 5, colour)}</svg>`;
  const outcomes = (['ok', 'fail', 'info'] as const).map((s) => `<span><span class="swatch" style="background:${STATUS_COLOUR[s]}"></span>${s}</span>`).join('');
  const latency = `<p class="legend">${kinds.map((k, i) => `<span>${svgShape(i, '#424242')} ${escapeHtml(k)}</span>`).join('')}${outcomes}</p>`;
  const dashes = (['ok', 'fail', 'info'] as const)
    .map((s) => `<span><svg width="24" height="8"><line x1="0" y1="4" x2="24" y2="4" stroke="#424242" stroke-width="1.6"${OUTCOME_DASH[s] ? ` stroke-dasharray="${OUTCOME_DASH[s]}"` : ''}/></svg> ${s}</span>`)
    .join('');
  const throughput = `<p class="legend">${kinds.map((k, i) => `<span><span class="swatch" style="background:${KIND_COLOURS[i % KIND_COLOURS.length]}"></span>${escapeHtml(k)}</span>`).join('')}${dashes}</p>`;
  return { latency, throughput };
}
