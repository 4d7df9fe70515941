/**
 * The timeline of a chaos run as inline SVG: one lane per client process, each operation a bar from its
 * invocation to its completion coloured by outcome (an indeterminate one fades into a dashed tail: it may
 * take effect later), fault intervals as shaded bands with labels, and counter-example operations
 * outlined. Self-contained: no script, no external asset; every text is escaped; hovering shows <title>s.
 */
import { describeOperation, type Fault, formatMs, type Operation } from './history.js';

/** What the timeline draws. */
export interface TimelineInput {
  operations: readonly Operation[];
  faults: readonly Fault[];
  /** Ids of operations to outline (counter-examples). */
  highlighted: ReadonlySet<number>;
  /** Windows to mark (e.g. the linearizability counter-example's window). */
  windows?: readonly { startMs: number; endMs: number; label: string }[];
  /** Drawing width in px; default 1200. */
  widthPx?: number;
}

/** Escapes text for HTML and XML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

export const STATUS_COLOUR: Record<Operation['status'], string> = { ok: '#2e7d32', fail: '#c62828', info: '#f9a825' };
export const FAULT_COLOUR: Record<string, string> = { partition: '#1e88e5', kill: '#e53935', pause: '#8e24aa', skew: '#00897b' };
const GUTTER_PX = 64;
const LANE_PX = 16;
const BAR_PX = 10;
const AXIS_PX = 22;
const LABEL_ROW_PX = 14;

/** A round step (1, 2 or 5 × 10^k) that cuts `spanMs` into about `targetTicks` pieces. */
export function niceStep(spanMs: number, targetTicks: number): number {
  const raw = spanMs / targetTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (raw <= factor * power) return factor * power;
  return 10 * power;
}

export function tickLabel(ms: number, stepMs: number): string {
  if (stepMs >= 1000) return `${(ms / 1000).toFixed(stepMs % 1000 === 0 ? 0 : 1)} s`;
  return `${formatMs(ms)} ms`;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function num(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Renders the timeline as an <svg> element. */
/** The time span every chart of a report shares (so the timeline, latency and throughput line up). */
export function timeSpan(ops: readonly Operation[], faults: readonly Fault[]): [number, number] {
  // (a loop, not Math.min(...times): histories can be longer than the argument limit)
  let t0 = Infinity;
  let t1 = -Infinity;
  const see = (t: number): void => {
    if (!Number.isFinite(t)) return;
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  };
  for (const op of ops) {
    see(op.invokeMs);
    see(op.returnedMs);
  }
  for (const fault of faults) {
    see(fault.startMs);
    see(fault.endMs);
  }
  if (t0 === Infinity) [t0, t1] = [0, 1];
  if (t1 <= t0) t1 = t0 + 1;
  return [t0, t1];
}

export function renderTimelineSvg(input: TimelineInput): string {
  const widthPx = input.widthPx ?? 1200;
  const ops = input.operations;
  const [t0, t1] = timeSpan(ops, input.faults);
  const plotPx = widthPx - GUTTER_PX - 10;
  const x = (t: number): number => GUTTER_PX + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotPx;

  // fault label rows: a fault goes in the first row whose last label ended before it starts
  const rowEnds: number[] = [];
  const faultRows = input.faults.map((fault) => {
    const startPx = x(fault.startMs);
    const labelEndPx = startPx + 7 * Math.min(40, fault.kind.length + fault.description.length + 2);
    let row = rowEnds.findIndex((end) => end < startPx);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = labelEndPx;
    return row;
  });
  const labelsPx = Math.max(1, rowEnds.length) * LABEL_ROW_PX;
  const lanesTopPx = labelsPx + AXIS_PX;
  const processes = [...new Set(ops.map((op) => op.process))].sort((a, b) => a - b);
  const lane = new Map(processes.map((p, i) => [p, i]));
  const heightPx = lanesTopPx + Math.max(1, processes.length) * LANE_PX + 8;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${widthPx} ${heightPx}" role="img" aria-label="timeline of operations and faults">`,
  );
  parts.push(
    '<defs><pattern id="info-tail" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="3" height="6" fill="#f9a825" opacity="0.5"/></pattern></defs>',
  );

  // lane backgrounds and labels
  processes.forEach((process, i) => {
    const y = lanesTopPx + i * LANE_PX;
    if (i % 2 === 0) parts.push(`<rect x="${GUTTER_PX}" y="${y}" width="${plotPx}" height="${LANE_PX}" fill="#f5f5f5"/>`);
    parts.push(`<text x="${GUTTER_PX - 6}" y="${y + LANE_PX - 4}" text-anchor="end" class="lane">p${process}</text>`);
  });

  // time axis
  const stepMs = niceStep(t1 - t0, 10);
  for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
    const px = num(x(t));
    parts.push(`<line x1="${px}" y1="${lanesTopPx - 4}" x2="${px}" y2="${heightPx - 8}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${px}" y="${lanesTopPx - 8}" text-anchor="middle" class="tick">${escapeHtml(tickLabel(t, stepMs))}</text>`);
  }

  // fault bands
  input.faults.forEach((fault, i) => {
    const start = x(fault.startMs);
    const end = x(Number.isFinite(fault.endMs) ? fault.endMs : t1);
    const colour = FAULT_COLOUR[fault.kind] ?? '#757575';
    const label = `${fault.kind}: ${fault.description}`;
    const title = `${label} [${formatMs(fault.startMs)} .. ${formatMs(fault.endMs)} ms]`;
    parts.push(
      `<g class="fault"><title>${escapeHtml(title)}</title>` +
        `<rect x="${num(start)}" y="${faultRows[i] * LABEL_ROW_PX}" width="${num(Math.max(1, end - start))}" height="${heightPx - faultRows[i] * LABEL_ROW_PX - 8}" fill="${colour}" opacity="0.12"/>` +
        `<line x1="${num(start)}" y1="${faultRows[i] * LABEL_ROW_PX}" x2="${num(start)}" y2="${heightPx - 8}" stroke="${colour}" opacity="0.6"/>` +
        `<text x="${num(start + 3)}" y="${faultRows[i] * LABEL_ROW_PX + 11}" class="fault-label" fill="${colour}">${escapeHtml(truncate(label, 40))}</text></g>`,
    );
  });

  // counter-example windows
  for (const window of input.windows ?? []) {
    const start = x(window.startMs);
    const end = x(window.endMs);
    parts.push(
      `<g class="window"><title>${escapeHtml(window.label)}</title><rect x="${num(start)}" y="${lanesTopPx}" width="${num(Math.max(2, end - start))}" height="${heightPx - lanesTopPx - 8}" fill="none" stroke="#1a237e" stroke-dasharray="4 3"/></g>`,
    );
  }

  // operations
  for (const op of ops) {
    const y = lanesTopPx + (lane.get(op.process) ?? 0) * LANE_PX + (LANE_PX - BAR_PX) / 2;
    const start = x(op.invokeMs);
    const returned = Number.isFinite(op.returnedMs) ? x(op.returnedMs) : x(t1);
    const width = Math.max(1.5, returned - start);
    const isHighlighted = input.highlighted.has(op.id);
    const outline = isHighlighted ? ' stroke="#1a237e" stroke-width="2"' : '';
    parts.push(
      `<g class="op ${op.status}${isHighlighted ? ' counter-example' : ''}"><title>${escapeHtml(describeOperation(op))}</title>` +
        `<rect x="${num(start)}" y="${num(y)}" width="${num(width)}" height="${BAR_PX}" fill="${STATUS_COLOUR[op.status]}"${outline}/>` +
        (op.status === 'info' && returned < x(t1)
          ? `<rect x="${num(returned)}" y="${num(y + 2)}" width="${num(x(t1) - returned)}" height="${BAR_PX - 4}" fill="url(#info-tail)"/>`
          : '') +
        (isHighlighted ? `<path d="M${num(start)} ${num(y - 2)} l4 -5 h-8 z" fill="#1a237e"/>` : '') +
        '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
