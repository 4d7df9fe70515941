import { expect } from 'chai';
import type { CheckResult } from '../../src/check/check-result.js';
import type { Fault } from '../../src/check/history.js';
import { checkLeaseExclusivity } from '../../src/check/lease-exclusivity.js';
import { checkLinearizability } from '../../src/check/linearizability.js';
import { registerModel } from '../../src/check/register-model.js';
import { renderHtmlReport, renderJsonHistory, renderTextVerdict } from '../../src/check/report.js';
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
    expect(html.match(/https?:\/\/[^"]+/g)).to.deep.equal(['http://www.w3.org/2000/svg']);
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
    expect(html.match(/<g class="fault">/g)).to.have.length(2);
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

describe('report: JSON history', () => {
  it('round-trips the events and writes infinite fault ends as null', () => {
    const parsed = JSON.parse(renderJsonHistory(events, faults)) as { events: unknown[]; faults: { endMs: number | null }[] };
    expect(parsed.events).to.deep.equal(events);
    expect(parsed.faults[1].endMs).to.equal(null);
  });
});
