import { expect } from 'chai';
import { CcmError } from '../../src/client/api-errors.js';
import { applyTagChange, parseTagAssignment, parseTagChange } from '../../src/node/gossip-tags.js';

function rejects(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CcmError);
    expect((err as CcmError).code).to.equal('invalid_argument');
    expect((err as Error).message).to.match(pattern);
    return;
  }
  expect.fail(`expected invalid_argument matching ${pattern}`);
}

describe('gossip tags: validation at the boundary', () => {
  it('parses key=value, keeping any further "=" and allowing an empty value', () => {
    expect(parseTagAssignment('zone=eu-west')).to.deep.equal(['zone', 'eu-west']);
    expect(parseTagAssignment('expr=a=b')).to.deep.equal(['expr', 'a=b']);
    expect(parseTagAssignment('empty=')).to.deep.equal(['empty', '']);
    expect(parseTagAssignment(`${'k'.repeat(64)}=${'v'.repeat(256)}`)[1]).to.have.length(256);
  });

  it('rejects a tag without "=", a bad key, or an over-long value, naming the problem', () => {
    rejects(() => parseTagAssignment('zoneeu'), /not key=value/);
    rejects(() => parseTagAssignment('=eu'), /tag key "" must be/);
    rejects(() => parseTagAssignment('zo ne=eu'), /tag key "zo ne"/);
    rejects(() => parseTagAssignment('a/b=eu'), /tag key "a\/b"/);
    rejects(() => parseTagAssignment(`${'k'.repeat(65)}=x`), /must be 1-64/);
    rejects(() => parseTagAssignment(`zone=${'v'.repeat(257)}`), /257 characters, more than 256/);
  });

  it('validates a change body: objects of strings, key lists, nothing unknown, not empty', () => {
    expect(parseTagChange({ set: { zone: 'eu' }, remove: ['rack'] })).to.deep.equal({ set: { zone: 'eu' }, remove: ['rack'] });
    rejects(() => parseTagChange(null), /must be an object/);
    rejects(() => parseTagChange(['zone=eu']), /must be an object/);
    rejects(() => parseTagChange({}), /sets and removes nothing/);
    rejects(() => parseTagChange({ set: { zone: 5 } }), /string value/);
    rejects(() => parseTagChange({ set: 'zone=eu' }), /"set" must be an object/);
    rejects(() => parseTagChange({ remove: 'zone' }), /"remove" must be a list/);
    rejects(() => parseTagChange({ remove: [1] }), /"remove" must be a list/);
    rejects(() => parseTagChange({ set: { zone: 'eu' }, remove: ['zone'] }), /both set and removed/);
    rejects(() => parseTagChange({ set: { zone: 'eu' }, tags: {} }), /unknown field "tags"/);
  });

  it('applies a change into a new, key-sorted object and leaves the input alone', () => {
    const before = { rack: 'r1', zone: 'us' };
    const after = applyTagChange(before, { set: { zone: 'eu', app: 'x' }, remove: ['rack'] });
    expect(after).to.deep.equal({ app: 'x', zone: 'eu' });
    expect(Object.keys(after)).to.deep.equal(['app', 'zone']);
    expect(before).to.deep.equal({ rack: 'r1', zone: 'us' });
  });
});
