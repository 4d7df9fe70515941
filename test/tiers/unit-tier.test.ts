import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// dist/test/tiers → repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface UnitTier {
  folders: string[];
  /** test/<path> without .test.ts → why it stays in the full suite. */
  excluded: Record<string, string>;
}
const tier = JSON.parse(readFileSync(`${root}test/unit-tier.json`, 'utf8')) as UnitTier;

/**
 * What makes a test file unfit for the unit tier: it starts processes or browsers, or opens sockets. (The odd
 * character classes keep this file from matching itself.)
 */
const SLOW_MARKER =
  /fro[m] 'node:(child_process|net|dgram|http|https)'|fro[m] '(execa|playwright-core)'|impor[t]\('(execa|playwright-core)'\)|Cluster[F]ixture|bin\/ru[n]\.js|\.liste[n]\(/;

function testFiles(folder: string): string[] {
  return readdirSync(`${root}test/${folder}`, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.test\.tsx?$/.test(f))
    .map((f) => `${folder}/${f.replace(/\.test\.tsx?$/, '')}`);
}

describe('the unit tier (npm run test:unit) holds only deterministic tests', () => {
  it('no test file in it starts a process or a browser, or opens a socket', () => {
    const offenders = tier.folders
      .flatMap(testFiles)
      .filter((f) => tier.excluded[f] === undefined)
      .filter((f) => SLOW_MARKER.test(readFileSync(`${root}test/${f}.test.${existsSync(`${root}test/${f}.test.ts`) ? 'ts' : 'tsx'}`, 'utf8')));
    expect(offenders, 'move them to a folder outside the tier, or list them in test/unit-tier.json with why').to.deep.equal([]);
  });

  it('every file it leaves out exists (a stale entry would hide a new file of that name)', () => {
    const missing = Object.keys(tier.excluded).filter((f) => !existsSync(`${root}test/${f}.test.ts`) && !existsSync(`${root}test/${f}.test.tsx`));
    expect(missing).to.deep.equal([]);
  });

  it('the check recognises each kind of slow test (it can fail)', () => {
    // Built from parts, so this file does not trip its own check.
    const from = (m: string): string => `from '${m}'`;
    for (const text of [
      `import { execa } ${from('execa')};`,
      `import { spawn } ${from('node:child_process')};`,
      `import net ${from('node:net')};`,
      `const fx = new ${'Cluster'}Fixture();`,
      `const { chromium } = await import('playwright${'-core'}');`,
      `await server.${'listen'}(0, '127.0.0.1');`,
    ]) {
      expect(SLOW_MARKER.test(text), text).to.equal(true);
    }
    expect(SLOW_MARKER.test("import { RawNode } from '../../src/raft/index.js';")).to.equal(false);
  });
});

describe('the long tier (npm run test:long) names real files, each with why', () => {
  const long = JSON.parse(readFileSync(`${root}test/long-tier.json`, 'utf8')) as { files: Record<string, string> };

  it('every file it takes out of npm test exists (a stale entry would silently drop a new file of that name)', () => {
    const missing = Object.keys(long.files).filter((f) => !existsSync(`${root}test/${f}.test.ts`) && !existsSync(`${root}test/${f}.test.tsx`));
    expect(missing).to.deep.equal([]);
    for (const [f, why] of Object.entries(long.files)) expect(why.length, `${f}: why it is long`).to.be.greaterThan(10);
  });
});
