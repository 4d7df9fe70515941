import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { parseFence, validateFence } from '../../src/core/commands.js';

describe('fences as clients give them', () => {
  it('<resource>:<token>: the token after the last colon; anything else is refused with a clear message', () => {
    expect(parseFence('db-migration:42')).to.deep.equal({ resource: 'db-migration', token: 42 });
    expect(parseFence('election:boss:7')).to.deep.equal({ resource: 'election:boss', token: 7 });
    for (const bad of ['fenced', 'fenced:', ':3', 'fenced:x', 'fenced:-1', 'fenced:1.5']) expect(() => parseFence(bad), bad).to.throw(CcmError, /malformed: use <resource>:<token>/);
    expect(() => parseFence('bad resource:3')).to.throw(CcmError, /resource name/);
    expect(() => parseFence('r:0')).to.throw(CcmError, /positive whole number/);
    expect(() => validateFence({ resource: 'r', token: '3' })).to.throw(CcmError, /positive whole number/);
    expect(() => validateFence(null)).to.throw(CcmError, /fence must be/);
  });
});
