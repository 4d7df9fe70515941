import { expect } from 'chai';
import {
  describeOperation,
  type HistoryEvent,
  MalformedHistoryError,
  pairOperations,
  validateHistory,
} from '../../src/check/history.js';
import { history } from './history-builder.js';

function malformed(events: HistoryEvent[]): MalformedHistoryError {
  try {
    pairOperations(events);
  } catch (error) {
    expect(error).to.be.instanceOf(MalformedHistoryError);
    return error as MalformedHistoryError;
  }
  throw new Error('expected pairOperations to reject the history');
}

describe('history: pairing events into operations', () => {
  it('pairs each invocation with its process’s completion, in invocation order', () => {
    const ops = pairOperations(
      history(
        { p: 0, f: 'write', key: 'x', in: 1, t: [0, 10] },
        { p: 1, f: 'read', key: 'x', out: 1, t: [5, 12] },
        { p: 0, f: 'cas', key: 'x', in: [1, 2], t: [20, 30], status: 'fail' },
      ),
    );
    expect(ops.map((op) => [op.id, op.process, op.f, op.status, op.invokeMs, op.completeMs])).to.deep.equal([
      [0, 0, 'write', 'ok', 0, 10],
      [1, 1, 'read', 'ok', 5, 12],
      [2, 0, 'cas', 'fail', 20, 30],
    ]);
    expect(ops[1].output).to.equal(1);
    expect(ops[0].key).to.equal('x');
  });

  it('Jepsen semantics: an info operation completes at +∞ (it may still take effect), but remembers when the client gave up', () => {
    const [op] = pairOperations(history({ p: 3, f: 'write', in: 7, t: [100, 250], status: 'info' }));
    expect(op.status).to.equal('info');
    expect(op.completeMs).to.equal(Infinity);
    expect(op.returnedMs).to.equal(250);
    expect(describeOperation(op)).to.contain('info').and.contain('timed out at 250');
  });

  it('an invocation left without a completion at the end of the history is info', () => {
    const [op] = pairOperations(history({ p: 0, f: 'write', in: 1, t: [0, 0], status: 'pending' }));
    expect(op.status).to.equal('info');
    expect(op.completeMs).to.equal(Infinity);
    expect(op.completeIndex).to.equal(-1);
    expect(op.output).to.equal(undefined);
  });

  it('a well-formed history has no problems', () => {
    expect(validateHistory(history({ p: 0, f: 'read', t: [0, 1] }, { p: 0, f: 'read', t: [1, 2] }))).to.deep.equal([]);
  });
});

describe('history: malformed histories are refused with clear reasons', () => {
  it('a process with two outstanding operations', () => {
    const error = malformed([
      { process: 1, type: 'invoke', f: 'write', value: 1, timeMs: 0 },
      { process: 1, type: 'invoke', f: 'read', value: null, timeMs: 1 },
    ]);
    expect(error.problems).to.have.length(1);
    expect(error.problems[0].eventIndex).to.equal(1);
    expect(error.message).to.contain('process 1 invokes read while its write').and.contain('still outstanding');
    expect(error.code).to.equal('malformed_history');
  });

  it('a completion with no invocation', () => {
    const error = malformed([{ process: 2, type: 'ok', f: 'read', value: 3, timeMs: 5 }]);
    expect(error.message).to.contain('ok read from process 2, which has no outstanding invocation');
  });

  it('a completion of another function or key than was invoked', () => {
    const error = malformed([
      { process: 0, type: 'invoke', f: 'write', key: 'a', value: 1, timeMs: 0 },
      { process: 0, type: 'ok', f: 'read', key: 'a', value: 1, timeMs: 1 },
      { process: 1, type: 'invoke', f: 'write', key: 'a', value: 1, timeMs: 2 },
      { process: 1, type: 'ok', f: 'write', key: 'b', value: 1, timeMs: 3 },
    ]);
    expect(error.problems.map((p) => p.eventIndex)).to.deep.equal([1, 3]);
    expect(error.problems[0].message).to.contain('completes read but invoked write');
    expect(error.problems[1].message).to.contain('on key "b" but invoked it on "a"');
  });

  it('time going back, and times that are not finite numbers', () => {
    const error = malformed([
      { process: 0, type: 'invoke', f: 'read', value: null, timeMs: 10 },
      { process: 0, type: 'ok', f: 'read', value: null, timeMs: 5 },
      { process: 1, type: 'invoke', f: 'read', value: null, timeMs: Number.NaN },
    ]);
    expect(error.problems[0].message).to.contain('time goes back');
    expect(error.problems[1].message).to.contain('timeMs must be a finite number');
  });

  it('unknown event types and bad processes; every problem is listed', () => {
    const problems = validateHistory([
      { process: 0, type: 'done' as 'ok', f: 'read', value: null, timeMs: 0 },
      { process: -1, type: 'invoke', f: 'read', value: null, timeMs: 0 },
      { process: 0, type: 'invoke', f: '', value: null, timeMs: 0 },
    ]);
    expect(problems.map((p) => p.eventIndex)).to.deep.equal([0, 1, 2]);
    expect(problems[0].message).to.contain('type must be invoke, ok, fail or info');
    expect(problems[1].message).to.contain('non-negative integer');
    expect(problems[2].message).to.contain('f must be a non-empty string');
  });
});
