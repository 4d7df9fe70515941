import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { checkLinearizability } from '../../src/check/linearizability.js';
import type { Fault } from '../../src/check/history.js';
import { registerModel } from '../../src/check/register-model.js';
import { renderHtmlReport } from '../../src/check/report.js';
import { syntheticRegisterHistory } from './synthetic-history.js';

const CHROMIUM = '/usr/bin/chromium';

interface Chart {
  width: number;
  height: number;
  marks: number;
  sized: number;
  inside: number;
  faults: number;
}
interface Drawn {
  timeline: Chart | null;
  latency: Chart | null;
  throughput: Chart | null;
  lineLengths: number[];
  headings: string[];
}
/** Where the screenshot is kept (dist/ is the build's, never committed). */
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

/**
 * The chaos report in a real browser (headless Chromium through playwright-core): the timeline, the latency plot and
 * the throughput plot must draw — shapes with a size, inside their SVG, faults shaded — and the page must log no
 * error. A screenshot is kept in dist/test-artifacts/chaos-report.png.
 */
describe('report in a real browser (headless chromium)', function () {
  this.timeout(90_000);
  let profile = '';

  before(function () {
    if (!fs.existsSync(CHROMIUM)) this.skip(); // skipped: no Chromium at /usr/bin/chromium (Debian's `chromium` package)
  });
  afterEach(() => {
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('draws the timeline, the latency and throughput plots with faults shaded, and saves a screenshot', async () => {
    const history = syntheticRegisterHistory({ seed: 11, processes: 5, keys: 2, durationMs: 12_000, latencyMs: 40, thinkMs: 60, infoProbability: 0.03, valueRange: 5 });
    const faults: Fault[] = [
      { kind: 'partition', description: 'n1 n2 | n3 n4 n5', startMs: 2_000, endMs: 5_000 },
      { kind: 'kill', description: 'n3', startMs: 7_000, endMs: 9_500 },
    ];
    const html = renderHtmlReport({ title: 'chaos run, seed 11', history, faults, results: [checkLinearizability(registerModel, history)] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-report-'));
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, html);

    const { chromium } = await import('playwright-core');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(pathToFileURL(file).href);

      // What drew, measured by the browser's layout: every chart's box, and its marks inside it with a size.
      // (A string, run in the page: this project compiles without the DOM's types.)
      const drawn = (await page.evaluate(`(() => {
        const box = (e) => e.getBoundingClientRect();
        const inside = (inner, outer) => inner.left >= outer.left - 1 && inner.right <= outer.right + 1 && inner.top >= outer.top - 1 && inner.bottom <= outer.bottom + 1;
        const chart = (selector, marks) => {
          const svg = document.querySelector(selector);
          if (!svg) return null;
          const outer = box(svg);
          const items = [...svg.querySelectorAll(marks)];
          return {
            width: outer.width,
            height: outer.height,
            marks: items.length,
            sized: items.filter((m) => box(m).width > 0 && box(m).height > 0).length,
            inside: items.filter((m) => inside(box(m), outer)).length,
            faults: svg.querySelectorAll('g.fault rect').length,
          };
        };
        return {
          timeline: chart('svg.timeline', 'g.op rect'),
          latency: chart('svg.plot.latency', 'g.point > :not(title)'),
          throughput: chart('svg.plot.throughput', 'polyline'),
          lineLengths: [...document.querySelectorAll('svg.plot.throughput polyline')].map((l) => l.getTotalLength()),
          headings: [...document.querySelectorAll('h2')].map((h) => h.textContent),
        };
      })()`)) as Drawn;
      expect(errors, errors.join('\n')).to.deep.equal([]);
      expect(drawn.headings).to.include.members(['Timeline', 'Latency', 'Throughput']);
      for (const [name, c] of Object.entries({ timeline: drawn.timeline, latency: drawn.latency, throughput: drawn.throughput })) {
        expect(c, name).to.not.equal(null);
        expect(c!.width, name).to.be.greaterThan(1000);
        expect(c!.height, name).to.be.greaterThan(100);
        expect(c!.marks, name).to.be.greaterThan(0);
        expect(c!.sized, `${name}: marks with a size`).to.equal(c!.marks);
        expect(c!.inside, `${name}: marks inside the chart`).to.equal(c!.marks);
        expect(c!.faults, `${name}: fault bands`).to.equal(2);
      }
      // every operation with a reply has a point
      expect(drawn.latency!.marks).to.be.greaterThan(200);
      for (const length of drawn.lineLengths) expect(length).to.be.greaterThan(100);

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'chaos-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).to.be.greaterThan(10_000);
    } finally {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
