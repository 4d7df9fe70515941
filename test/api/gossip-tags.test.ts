import { expect } from 'chai';
import { applyTagChange, parseTagAssignment, parseTagChange } from '../../src/api/gossip-tags.js';
import { rejectsInvalid } from '../fixtures/invalid-argument.js';


describe('gossip tags: validation at the boundary', () => {
  it('parses key=value, keeping any further "=" and allowing an empty value', () => {
    expect(parseTagAssignment('zone=eu-west')).to.deep.equal(['zone', 'eu-west']);
    expect(parseTagAssignment('expr=a=b')).to.deep.equal(['expr', 'a=b']);
    expect(parseTagAssignment('empty=')).to.deep.equal(['empty', '']);
    expect(parseTagAssignment(`${'k'.repeat(64)}=${'v'.repeat(256)}`)[1]).to.have.length(256);
  });

  it('rejects a tag without "=", a bad key, or an over-long value, naming the problem', () => {
    rejectsInvalid(() => parseTagAssignment('zoneeu'), /not key=value/);
    rejectsInvalid(() => parseTagAssignment('=eu'), /tag key "" must be/);
    rejectsInvalid(() => parseTagAssignment('zo ne=eu'), /tag key "zo ne"/);
    rejectsInvalid(() => parseTagAssignment('a/b=eu'), /tag key "a\/b"/);
    rejectsInvalid(() => parseTagAssignment(`${'k'.repeat(65)}=x`), /must be 1-64/);
    rejectsInvalid(() => parseTagAssignment(`zone=${'v'.repeat(257)}`), /257 characters, more than 256/);
  });

  it('validates a change body: objects of strings, key lists, nothing unknown, not empty', () => {
    expect(parseTagChange({ set: { zone: 'eu' }, remove: ['rack'] })).to.deep.equal({ set: { zone: 'eu' }, remove: ['rack'] });
    rejectsInvalid(() => parseTagChange(null), /must be an object/);
    rejectsInvalid(() => parseTagChange(['zone=eu']), /must be an object/);
    rejectsInvalid(() => parseTagChange({}), /sets and removes nothing/);
    rejectsInvalid(() => parseTagChange({ set: { zone: 5 } }), /string value/);
    rejectsInvalid(() => parseTagChange({ set: 'zone=eu' }), /"set" must be an object/);
    rejectsInvalid(() => parseTagChange({ remove: 'zone' }), /"remove" must be a list/);
    rejectsInvalid(() => parseTagChange({ remove: [1] }), /"remove" must be a list/);
    rejectsInvalid(() => parseTagChange({ set: { zone: 'eu' }, remove: ['zone'] }), /both set and removed/);
    rejectsInvalid(() => parseTagChange({ set: { zone: 'eu' }, tags: {} }), /unknown field "tags"/);
  });

  it('applies a change into a new, key-sorted object and leaves the input alone', () => {
    const before = { rack: 'r1', zone: 'us' };
    const after = applyTagChange(before, { set: { zone: 'eu', app: 'x' }, remove: ['rack'] });
    expect(after).to.deep.equal({ app: 'x', zone: 'eu' });
    expect(Object.keys(after)).to.deep.equal(['app', 'zone']);
    expect(before).to.deep.equal({ rack: 'r1', zone: 'us' });
  });
});
