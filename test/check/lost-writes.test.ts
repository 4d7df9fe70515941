import { expect } from 'chai';
import { checkLostWrites } from '../../src/check/lost-writes.js';
import { ops } from './history-builder.js';

const write = (p: number, value: unknown, t: [number, number], status: 'ok' | 'info' | 'fail' = 'ok') => ({ p, f: 'write', key: 'k', in: value, t, status });
const read = (p: number, value: unknown, t: [number, number]) => ({ p, f: 'read', key: 'k', out: value, t });

describe('lost writes: known-good histories pass', () => {
  it('the final read returns the last acknowledged write', () => {
    const result = checkLostWrites(ops(write(0, 1, [0, 10]), write(1, 2, [20, 30]), read(2, 2, [100, 110])));
    expect(result.verdict, result.summary).to.equal('valid');
    expect(result.checkedWrites).to.equal(2);
  });

  it('concurrent writes: either may win', () => {
    for (const winner of [1, 2]) {
      const result = checkLostWrites(ops(write(0, 1, [0, 50]), write(1, 2, [10, 40]), read(2, winner, [100, 110])));
      expect(result.verdict).to.equal('valid');
    }
  });

  it('an info write may have overwritten an acknowledged one, even much later', () => {
    const result = checkLostWrites(ops(write(1, 9, [0, 5], 'info'), write(0, 1, [10, 20]), read(2, 9, [100, 110])));
    expect(result.verdict).to.equal('valid');
  });

  it('a cas counts as a write of its new value', () => {
    const result = checkLostWrites(
      ops(write(0, 1, [0, 10]), { p: 1, f: 'cas', key: 'k', in: [1, 3], t: [20, 30] }, read(2, 3, [100, 110])),
    );
    expect(result.verdict).to.equal('valid');
  });
});

describe('lost writes: known-bad histories are rejected', () => {
  it('an acknowledged write vanished: the final read shows the value from before it', () => {
    const result = checkLostWrites(ops(write(0, 1, [0, 10]), write(1, 2, [20, 30]), read(2, 1, [100, 110])));
    expect(result.verdict).to.equal('invalid');
    const example = result.counterExample!;
    expect(example.kind).to.equal('lost-write');
    expect(example.ops.map((op) => op.id)).to.deep.equal([0, 1, 2]);
    expect(example.description).to.contain('write of 2').and.contain('is lost');
  });

  it('every acknowledged write vanished: the final read shows nil', () => {
    const result = checkLostWrites(ops(write(0, 1, [0, 10]), read(2, null, [100, 110])));
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.description).to.contain('initial nil');
  });

  it('a final value nobody wrote', () => {
    const result = checkLostWrites(ops(write(0, 1, [0, 10]), read(2, 42, [100, 110])));
    expect(result.violations.map((v) => v.kind)).to.include('unwritten-final-value');
  });

  it('a failed write cannot be what the final read saw', () => {
    const result = checkLostWrites(ops(write(0, 1, [0, 10]), write(1, 5, [0, 5], 'fail'), read(2, 5, [100, 110])));
    expect(result.verdict).to.equal('invalid');
  });
});

describe('lost writes: without a final read the answer is unknown', () => {
  it('no read after the last acknowledged write', () => {
    const result = checkLostWrites(ops(write(0, 1, [0, 10]), read(1, 1, [5, 8])));
    expect(result.verdict).to.equal('unknown');
    expect(result.uncheckedKeys).to.deep.equal(['k']);
  });

  it('marked final reads are used when named', () => {
    const result = checkLostWrites(
      ops(write(0, 1, [0, 10]), read(1, 1, [20, 30]), { p: 2, f: 'final-read', key: 'k', out: null, t: [40, 50] }),
      { finalReadF: 'final-read' },
    );
    expect(result.verdict).to.equal('invalid');
  });
});
