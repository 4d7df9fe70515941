import { expect } from 'chai';
import fs from 'node:fs';
import { PROJECT_ROOT } from '../../src/exercise/exercises.js';
import { findPage, listPages } from '../../src/learn/learn-pages.js';
import { renderForTerminal } from '../../src/learn/terminal-render.js';
import { findMissing, parseWalkthrough } from '../../src/learn/walkthrough.js';

describe('walkthrough blocks (the convention docs/learn/ is tested with)', () => {
  const page = [
    '# A page',
    '```console exit=1 timeout=30s needs=sqlite3',
    '$ ccm lease acquire db --holder w2 \\',
    '  --ttl 30s',
    'held by ... (token',
    '',
    '$ ccm status',
    '```',
    '```sh',
    '$ not run',
    '```',
    '```console long',
    '$ echo hi',
    'hi',
    '```',
  ].join('\n');

  it('reads commands (with continued lines), what to look for, and the block\'s attributes; other blocks are not run', () => {
    const steps = parseWalkthrough(page);
    expect(steps.map((s) => [s.line, s.command, s.expect, s.exit, s.timeoutMs, s.needs, s.isLong])).to.deep.equal([
      [4, 'ccm lease acquire db --holder w2 \\\n  --ttl 30s', ['held by ... (token'], 1, 30_000, ['sqlite3'], false],
      [7, 'ccm status', [], 1, 30_000, ['sqlite3'], false],
      [13, 'echo hi', ['hi'], 0, 120_000, [], true],
    ]);
  });

  it('refuses a block that does not start with a command, and an unknown attribute', () => {
    expect(() => parseWalkthrough('```console\nhello\n```')).to.throw(/must start with a command/);
    expect(() => parseWalkthrough('```console retries=3\n$ x\n```')).to.throw(/unknown console attribute/);
  });

  it('finds the expected lines in order, whatever the spacing; ... is any text; a missing one is named', () => {
    const output = 'VOTER  STATE    ROLE\nn1     running  leader\n\nleader n1 (term 4)\n';
    expect(findMissing(output, ['VOTER STATE ROLE', 'n1 ... leader', 'leader ... (term ...)'])).to.equal(null);
    expect(findMissing(output, ['leader n1 (term', 'VOTER'])).to.equal('VOTER'); // order matters
    expect(findMissing(output, ['n2'])).to.equal('n2');
    expect(findMissing('a sentence wrapped\n  across two lines', ['wrapped across two'])).to.equal(null);
    expect(findMissing('(term 4)', ['(term ...)'])).to.equal(null); // regex characters are literal
    expect(findMissing('your program  ccm (SWIM)', ['your program ... ccm (SWIM)'])).to.equal(null); // ... may be nothing
    expect(findMissing('term 4', ['(term'])).to.equal('(term');
  });
});

describe('the learning pages', () => {
  const pages = listPages(PROJECT_ROOT);

  it('an index, the core, and one page per exercise', () => {
    expect(pages[0].name).to.equal('index');
    expect(pages.length).to.be.at.least(8);
    for (const word of ['core', 'lease', 'watch', 'gossip', 'leader', 'failure', 'chaos']) {
      expect(pages.some((p) => p.name.includes(word)), word).to.equal(true);
    }
    expect(findPage(PROJECT_ROOT, 'lease').name).to.equal('02-lease-manager');
    expect(findPage(PROJECT_ROOT, '2').name).to.equal('02-lease-manager');
    expect(() => findPage(PROJECT_ROOT, 'nothing-like-it')).to.throw(/no page/);
  });

  it('every page parses, has questions with answers, and prints at 80 columns at most', () => {
    for (const p of pages) {
      const text = fs.readFileSync(p.file, 'utf8');
      parseWalkthrough(text);
      const shown = renderForTerminal(text, { answersHint: 'ccm learn x --answers' });
      const withAnswers = renderForTerminal(text, { showAnswers: true });
      for (const line of [...shown.split('\n'), ...withAnswers.split('\n')]) expect(line.length, `${p.name}: ${line}`).to.be.at.most(80);
      if (p.name !== 'index') {
        expect(text, p.name).to.include('<details>');
        expect(shown, p.name).to.include('(the answers: ccm learn x --answers)');
        expect(withAnswers.length, p.name).to.be.greaterThan(shown.length);
        for (const section of ['## Try it', '## Break it', '## The metric to watch', '## Questions']) expect(text, `${p.name}: ${section}`).to.include(section);
      }
    }
  });
});
