import { expect } from 'chai';
import type { CheckResult } from '../../src/check/check-result.js';
import type { Fault } from '../../src/check/history.js';
import { checkLeaseExclusivity } from '../../src/check/lease-exclusivity.js';
import { checkLinearizability } from '../../src/check/linearizability.js';
import { registerModel } from '../../src/check/register-model.js';
import { renderHtmlReport, renderJsonHistory, renderTextVerdict } from '../../src/check/report.js';
import { pairHistory } from '../../src/check/history.js';
import { latencyOf, MAX_LATENCY_POINTS, renderLatencySvg, renderThroughputSvg, throughputSeries } from '../../src/check/html-plots.js';
import { history, ops } from './history-builder.js';

const VOID_ELEMENTS = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

/** Checks that every element is closed in order (a small well-formedness check for the HTML we emit). */
function unbalancedTags(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const body = html.replace(/<!DOCTYPE html>/i, '').replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing === '/' || VOID_ELEMENTS.has(name.toLowerCase())) continue;
    if (closing === '') stack.push(name);
    else if (stack.pop() !== name) problems.push(`</${name}> does not close the open element`);
  }
  return [...problems, ...stack.map((name) => `<${name}> never closed`)];
}

const events = history(
  { p: 0, f: 'write', in: 1, t: [0, 10] },
  { p: 0, f: 'write', in: 2, t: [20, 30] },
  { p: 1, f: 'read', out: '<script>alert(1)</script>', t: [40, 50] },
  { p: 2, f: 'write', in: 3, t: [45, 60], status: 'info' },
  { p: 3, f: 'cas', in: [9, 1], t: [5, 15], status: 'fail' },
);
const faults: Fault[] = [
  { kind: 'partition', description: 'n1 | n2 n3 <b>', startMs: 12, endMs: 35 },
  { kind: 'kill', description: 'n2', startMs: 38, endMs: Infinity },
];

function results(): CheckResult[] {
  return [
    checkLinearizability(registerModel, events),
    checkLeaseExclusivity(ops({ p: 0, f: 'acquire', key: 'l', in: { ttlMs: 100 }, out: { token: 1 }, t: [0, 5] })),
  ];
}

describe('report: text verdict', () => {
  it('gives the overall verdict, one line per checker and the counter-example', () => {
    const text = renderTextVerdict(results());
    expect(text.split('\n')[0]).to.equal('verdict: INVALID');
    expect(text).to.match(/invalid\s+linearizability\s+NOT linearizable/);
    expect(text).to.match(/valid\s+lease-exclusivity/);
    expect(text).to.contain('counter-example (linearizability):').and.contain('> #3 p1 read');
  });

  it('says valid when every checker is valid', () => {
    expect(renderTextVerdict([results()[1]]).split('\n')[0]).to.equal('verdict: VALID');
  });
});

describe('report: HTML page', () => {
  const html = renderHtmlReport({
    title: 'chaos <run> 7',
    history: events,
    faults,
    results: results(),
    stats: { seed: 7, 'ops/s': 123.4, note: '<img src=x onerror=alert(1)>' },
  });

  it('is a well-formed, self-contained page with an inline SVG timeline', () => {
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(unbalancedTags(html)).to.deep.equal([]);
    expect(html).to.match(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
    // offline: no script, no external stylesheet, image or font
    expect(html).to.not.match(/<script|<link|<img|<iframe|@import|url\(\s*['"]?http/i);
    expect(new Set(html.match(/https?:\/\/[^"]+/g))).to.deep.equal(new Set(['http://www.w3.org/2000/svg']));
  });

  it('escapes user data everywhere (values, titles, fault descriptions, stats)', () => {
    expect(html).to.not.contain('<script>alert');
    expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).to.contain('<title>chaos &lt;run&gt; 7</title>');
    expect(html).to.contain('n1 | n2 n3 &lt;b&gt;');
    expect(html).to.not.contain('<img');
  });

  it('draws one lane per process, a bar per operation coloured by outcome, fault bands, and highlights the counter-example', () => {
    for (const p of [0, 1, 2, 3]) expect(html).to.contain(`>p${p}</text>`);
    expect(html.match(/<g class="op ok/g)).to.have.length(3);
    expect(html.match(/<g class="op info/g)).to.have.length(1);
    expect(html.match(/<g class="op fail/g)).to.have.length(1);
    // each fault is shaded on the timeline, the latency plot and the throughput plot
    expect(html.match(/<g class="fault">/g)).to.have.length(6);
    expect(html).to.contain('partition: n1 | n2 n3 &lt;b&gt;');
    expect(html.match(/counter-example"/g)?.length).to.be.greaterThan(0);
    expect(html).to.contain('<g class="window">');
  });

  it('shows a malformed history’s problems instead of failing', () => {
    const page = renderHtmlReport({
      title: 'bad',
      history: [{ process: 0, type: 'ok', f: 'read', value: null, timeMs: 0 }],
      results: [],
    });
    expect(page).to.contain('The history is malformed').and.contain('no outstanding invocation');
    expect(unbalancedTags(page)).to.deep.equal([]);
  });
});

describe('report: latency and throughput plots (Jepsen latency-raw and rate)', () => {
  const plotted = pairHistory(events).operations;

  it('one point per operation that heard back, by outcome, on a log scale of decades', () => {
    const { svg, points, sampledEvery } = renderLatencySvg({ operations: plotted, faults });
    expect(points).to.equal(5);
    expect(sampledEvery).to.equal(1);
    expect(svg.match(/<g class="point ok">/g)).to.have.length(3);
    expect(svg.match(/<g class="point fail">/g)).to.have.length(1);
    expect(svg.match(/<g class="point info">/g)).to.have.length(1);
    // latencies here are 10-15 ms: the axis spans the decades 10 ms .. 100 ms
    expect(svg).to.contain('>10 ms</text>').and.contain('>100 ms</text>');
    expect(svg).to.contain('#3 p1 read');
  });

  it('an operation the client never heard back from has no latency; long histories are sampled to a bound', () => {
    const never = { ...plotted[0], id: 99, status: 'info' as const, returnedMs: Infinity, completeMs: Infinity };
    expect(latencyOf(never)).to.equal(null);
    expect(renderLatencySvg({ operations: [...plotted, never], faults }).points).to.equal(5);
    const many = Array.from({ length: MAX_LATENCY_POINTS * 2 + 10 }, (_, i) => ({ ...plotted[0], id: i, invokeMs: i, returnedMs: i + 5, completeMs: i + 5 }));
    const big = renderLatencySvg({ operations: many, faults: [] });
    expect(big.sampledEvery).to.equal(3);
    expect(big.points).to.be.at.most(MAX_LATENCY_POINTS);
  });

  it('throughput: completions per second by kind and outcome, in round buckets', () => {
    const { bucketMs, series } = throughputSeries(plotted, 0, 60);
    expect(bucketMs).to.equal(1);
    expect(series.map((s) => `${s.f} ${s.status}`)).to.deep.equal(['write ok', 'write info', 'cas fail', 'read ok']);
    // two writes completed, at 10 and 30 ms, each one op in a 1 ms bucket = 1000 ops/s
    const writes = series[0].rates;
    expect(writes.filter((r) => r > 0)).to.deep.equal([1000, 1000]);
    const { svg } = renderThroughputSvg({ operations: plotted, faults });
    expect(svg.match(/<polyline /g)).to.have.length(4);
    expect(svg).to.contain('stroke-dasharray="2 3"');
  });

  it('the page has both plots, each with its legend', () => {
    const html = renderHtmlReport({ title: 't', history: events, faults, results: results() });
    expect(html).to.contain('<h2>Latency</h2>').and.contain('<h2>Throughput</h2>');
    expect(html.match(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="plot (latency|throughput)"/g)).to.have.length(2);
  });
});

describe('report: JSON history', () => {
  it('round-trips the events and writes infinite fault ends as null', () => {
    const parsed = JSON.parse(renderJsonHistory(events, faults)) as { events: unknown[]; faults: { endMs: number | null }[] };
    expect(parsed.events).to.deep.equal(events);
    expect(parsed.faults[1].endMs).to.equal(null);
  });
});
