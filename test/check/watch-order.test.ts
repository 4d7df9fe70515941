import { expect } from 'chai';
import { checkWatchOrder, type WatchEvent } from '../../src/check/watch-order.js';
import { ops, type OpSpec } from './history-builder.js';

const put = (p: number, key: string, value: string, revision: number, t: [number, number]): OpSpec => ({
  p,
  f: 'write',
  key,
  in: value,
  out: { revision },
  t,
});
const watch = (p: number, key: string, fromRevision: number, events: WatchEvent[], endRevision?: number, prefix = false): OpSpec => ({
  p,
  f: 'watch',
  key,
  in: { fromRevision, ...(prefix ? { prefix: true } : {}) },
  out: { events, ...(endRevision !== undefined ? { endRevision } : {}) },
  t: [0, 1_000],
});
const ev = (key: string, revision: number, value: string): WatchEvent => ({ key, revision, value });

const writes = [put(0, 'a', 'a1', 2, [10, 20]), put(0, 'b', 'b1', 3, [30, 40]), put(0, 'a', 'a2', 4, [50, 60]), put(0, 'a', 'a3', 5, [70, 80])];

describe('watch order: known-good streams pass', () => {
  it('a watch sees every version of its key, in order, up to its end', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 4, 'a2'), ev('a', 5, 'a3')], 5)));
    expect(result.verdict, result.summary).to.equal('valid');
    expect(result.eventsChecked).to.equal(3);
  });

  it('a watch from a later revision need not see earlier versions', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 4, [ev('a', 4, 'a2'), ev('a', 5, 'a3')], 5)));
    expect(result.verdict).to.equal('valid');
  });

  it('a prefix watch sees every key under it, in revision order', () => {
    const result = checkWatchOrder(
      ops(...writes, watch(1, '', 1, [ev('a', 2, 'a1'), ev('b', 3, 'b1'), ev('a', 4, 'a2'), ev('a', 5, 'a3')], 5, true)),
    );
    expect(result.verdict).to.equal('valid');
  });

  it('versions committed by writes whose reply was lost are known from other watchers', () => {
    const result = checkWatchOrder(
      ops(
        { p: 0, f: 'write', key: 'a', in: 'a1', t: [10, 20], status: 'info' },
        watch(1, 'a', 1, [ev('a', 2, 'a1')], 2),
        watch(2, 'a', 1, [ev('a', 2, 'a1')], 2),
      ),
    );
    expect(result.verdict).to.equal('valid');
  });
});

describe('watch order: known-bad streams are rejected', () => {
  it('a gap: a committed version missing from the stream', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 5, 'a3')], 5)));
    expect(result.verdict).to.equal('invalid');
    const example = result.counterExample!;
    expect([example.kind, example.key, example.revision]).to.deep.equal(['gap', 'a', 4]);
    expect(example.description).to.contain('missed revision 4').and.contain('between revision 2 and 5');
    expect(example.ops.map((op) => op.f)).to.deep.equal(['watch', 'write']);
  });

  it('a gap at the end of the stream, before its declared end revision', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 4, 'a2')], 5)));
    expect(result.violations.map((v) => [v.kind, v.revision])).to.deep.equal([['gap', 5]]);
  });

  it('a gap seen only through another watcher (the writes’ replies were lost)', () => {
    const lost = (value: string, t: [number, number]): OpSpec => ({ p: 0, f: 'write', key: 'a', in: value, t, status: 'info' });
    const result = checkWatchOrder(
      ops(
        lost('a1', [10, 20]),
        lost('a2', [30, 40]),
        lost('a3', [50, 60]),
        watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 3, 'a2'), ev('a', 4, 'a3')]),
        watch(2, 'a', 1, [ev('a', 2, 'a1'), ev('a', 4, 'a3')]),
      ),
    );
    expect(result.violations.map((v) => [v.kind, v.watch.process, v.revision])).to.deep.equal([['gap', 2, 3]]);
  });

  it('a duplicate event', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 4, 'a2'), ev('a', 4, 'a2'), ev('a', 5, 'a3')], 5)));
    expect(result.violations.map((v) => v.kind)).to.deep.equal(['duplicate']);
  });

  it('an event out of revision order', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 5, 'a3'), ev('a', 4, 'a2')], 5)));
    expect(result.verdict).to.equal('invalid');
    expect(result.counterExample!.kind).to.equal('out-of-order');
    expect(result.counterExample!.description).to.contain('revision 4').and.contain('after revision 5');
  });

  it('a phantom event: a value no write carried (and the other watcher is not blamed for missing it)', () => {
    const result = checkWatchOrder(
      ops(...writes, watch(1, 'a', 1, [ev('a', 2, 'a1'), ev('a', 3, 'ghost'), ev('a', 4, 'a2'), ev('a', 5, 'a3')], 5), watch(2, 'a', 1, [ev('a', 2, 'a1'), ev('a', 4, 'a2'), ev('a', 5, 'a3')], 5)),
    );
    expect(result.violations.map((v) => [v.kind, v.watch.process, v.revision])).to.deep.equal([['phantom', 1, 3]]);
  });

  it('an event with a value the revision never had, and one from before the watch’s start', () => {
    const result = checkWatchOrder(ops(...writes, watch(1, 'a', 4, [ev('a', 2, 'a1'), ev('a', 4, 'zz'), ev('a', 5, 'a3')], 5)));
    expect(result.violations.map((v) => v.kind).sort()).to.deep.equal(['before-start', 'wrong-value']);
  });
});
