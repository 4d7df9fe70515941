import { expect } from 'chai';
import { parseCompare, parseTxnFile, parseTxnOp, splitWords } from '../../src/cli/txn-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';

function refused(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CcmError);
    expect((err as CcmError).code).to.equal('invalid_argument');
    expect((err as Error).message).to.match(pattern);
    return;
  }
  expect.fail('expected a refusal');
}

describe('kv txn: etcdctl\'s txn syntax', () => {
  it('compares: value, mod, create, version (ver), lease', () => {
    expect(parseCompare('value("/app/color") = "blue sky"')).to.deep.equal({ key: '/app/color', target: 'value', op: '=', value: 'blue sky' });
    expect(parseCompare('mod("/k") > "7"')).to.deep.equal({ key: '/k', target: 'mod', op: '>', value: 7 });
    expect(parseCompare('create("/k") = 0')).to.deep.equal({ key: '/k', target: 'create', op: '=', value: 0 });
    expect(parseCompare('ver("/k") != 3')).to.deep.equal({ key: '/k', target: 'version', op: '!=', value: 3 });
    expect(parseCompare('lease("/k") = "42"')).to.deep.equal({ key: '/k', target: 'lease', op: '=', value: 42 });
  });

  it('operations: put (with a quoted value and --lease), get and del (with --prefix)', () => {
    expect(parseTxnOp('put /k "a b \\"c\\""')).to.deep.equal({ op: 'put', key: '/k', value: 'a b "c"' });
    expect(parseTxnOp('put /k v --lease 42')).to.deep.equal({ op: 'put', key: '/k', value: 'v', lease: 42 });
    expect(parseTxnOp('get /app/ --prefix')).to.deep.equal({ op: 'get', key: '/app/', prefix: true });
    expect(parseTxnOp('del /k')).to.deep.equal({ op: 'delete', key: '/k' });
  });

  it('a file in etcdctl\'s layout: compares, blank line, success, blank line, failure', () => {
    const t = parseTxnFile('mod("/k") > 0\nvalue("/k") = "x"\n\nput /k y\nget /k\n\nput /k x\n');
    expect(t.compare).to.have.lengthOf(2);
    expect(t.success.map((o) => o.op)).to.deep.equal(['put', 'get']);
    expect(t.failure).to.deep.equal([{ op: 'put', key: '/k', value: 'x' }]);
    expect(parseTxnFile('\nput /k v\n')).to.deep.equal({ compare: [], success: [{ op: 'put', key: '/k', value: 'v' }], failure: [] });
  });

  it('a JSON file in the API\'s shape', () => {
    const t = parseTxnFile('{"compare":[{"key":"/k","target":"version","op":"=","value":0}],"success":[{"op":"put","key":"/k","value":"v"}]}');
    expect(t.failure).to.deep.equal([]);
    expect(t.success[0]).to.deep.equal({ op: 'put', key: '/k', value: 'v' });
  });

  it('bad input is refused with the line and the reason', () => {
    refused(() => parseCompare('value(/k) = "v"'), /value\("\/key"\)/);
    refused(() => parseCompare('size("/k") = 1'), /not a compare target/);
    refused(() => parseCompare('value("/k") > "v"'), /takes = or !=/);
    refused(() => parseCompare('mod("/k") > seven'), /whole number/);
    refused(() => parseTxnOp('put /k'), /key and a value/);
    refused(() => parseTxnOp('patch /k v'), /put, get or del/);
    refused(() => parseTxnOp('get /k --lease 4'), /no --lease/);
    refused(() => parseTxnOp('get /k --limit'), /unknown option/);
    refused(() => splitWords('put /k "unclosed'), /closing/);
    refused(() => parseTxnFile('{"compare": 1}'), /must be a list/);
    refused(() => parseTxnFile('{oops'), /not valid JSON/);
    refused(() => parseTxnFile('mod("/k") > 0\n\nput /k v\n\nget /k\n\nput /x y\n'), /third section/);
  });
});

describe('time flags: durations, and bare milliseconds for a release', () => {
  it('a duration is read as written; a bare number as milliseconds, with a warning saying what to write', async () => {
    const { durationOrLegacyMs } = await import('../../src/cli/duration-flag.js');
    const warnings: string[] = [];
    expect(durationOrLegacyMs('1.5s', '--timeout', {}, (l) => warnings.push(l))).to.equal(1500);
    expect(warnings).to.deep.equal([]);
    expect(durationOrLegacyMs('3000', '--timeout', {}, (l) => warnings.push(l))).to.equal(3000);
    expect(warnings[0]).to.match(/--timeout 3000 has no unit.*write 3000ms or 3s/);
    refused(() => durationOrLegacyMs('soon', '--timeout'), /not a duration/);
    refused(() => durationOrLegacyMs('2m', '--timeout', { maxMs: 60_000 }), /too long/);
  });
});
