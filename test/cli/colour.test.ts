import { expect } from 'chai';
import { paint, paintVerdictLine, paintWord, setColourMode, toneOf } from '../../src/cli/colour.js';
import { renderTable, visibleLength } from '../../src/cli/output-table.js';

const ESC = '\u001b[';

describe('colour: only for a person at a terminal', () => {
  afterEach(() => setColourMode({ isTty: false, env: {} }));

  it('a terminal with nothing against it gets colour', () => {
    expect(setColourMode({ isTty: true, env: {} })).to.equal(true);
    expect(paintWord('alive')).to.include(ESC);
  });

  for (const [why, opts] of [
    ['NO_COLOR is set', { isTty: true, env: { NO_COLOR: '1' } }],
    ['--no-color', { isTty: true, isFlagOn: false, env: {} }],
    ['--json', { isTty: true, isJson: true, env: {} }],
    ['stdout is not a terminal', { isTty: false, env: {} }],
    ['TERM=dumb', { isTty: true, env: { TERM: 'dumb' } }],
    ['--json, even with FORCE_COLOR', { isTty: false, isJson: true, env: { FORCE_COLOR: '1' } }],
  ] as const) {
    it(`plain when ${why}`, () => {
      expect(setColourMode(opts)).to.equal(false);
      expect(paintWord('dead')).to.equal('dead');
      expect(paint('x', 'good')).to.equal('x');
    });
  }

  it('FORCE_COLOR turns it on without a terminal (how the tests look at colour)', () => {
    expect(setColourMode({ isTty: false, env: { FORCE_COLOR: '1' } })).to.equal(true);
  });

  it('words are toned by meaning: states, roles, health, verdicts', () => {
    expect(toneOf('alive')).to.equal('good');
    expect(toneOf('suspect')).to.equal('warn');
    expect(toneOf('dead')).to.equal('bad');
    expect(toneOf('leader')).to.equal('accent');
    expect(toneOf('critical (disk)')).to.equal('bad');
    expect(toneOf('passing')).to.equal('good');
    expect(toneOf('invalid')).to.equal('bad');
    expect(toneOf('n1')).to.equal(undefined);
  });

  it('coloured cells keep table columns aligned', () => {
    setColourMode({ isTty: true, env: {} });
    const table = renderTable(['ID', 'STATE', 'X'], [['n1', paintWord('alive'), 1], ['n22', paintWord('suspect'), 2]]);
    const lines = table.split('\n');
    expect(table).to.include(ESC);
    expect(new Set(lines.map((l) => visibleLength(l.slice(0, l.lastIndexOf(' ')))))).to.have.lengthOf(1);
  });

  it('a verdict line colours only its verdict word', () => {
    setColourMode({ isTty: true, env: {} });
    expect(paintVerdictLine('verdict: INVALID')).to.include(ESC).and.include('INVALID');
    expect(paintVerdictLine('  valid    linearizable  ok')).to.match(/^ {2}\u001b\[/);
    expect(paintVerdictLine('counter-example (x):')).to.equal('counter-example (x):');
  });
});
