import { expect } from 'chai';
import fc from 'fast-check';
import { compareKeys, inSpan, prefixEnd, prefixSpan } from '../../src/core/key-span.js';

describe('key order and spans (etcd: keys ordered by their UTF-8 bytes)', () => {
  it('compareKeys orders as the UTF-8 bytes do, also above U+FFFF (where UTF-16 order differs)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).to.equal(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
    // U+FF5E sorts before U+1F600 in bytes, after it in UTF-16 code units
    expect('\uff5e' < '\u{1f600}').to.equal(false);
    expect(compareKeys('\uff5e', '\u{1f600}')).to.be.lessThan(0);
  });

  it('a prefix span holds exactly the keys with that prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme' }), (prefix, key) => {
        expect(inSpan(prefixSpan(prefix), key)).to.equal(key.startsWith(prefix));
        expect(inSpan(prefixSpan(prefix), prefix + key)).to.equal(true);
      }),
    );
    expect(prefixEnd('a\u{10ffff}')).to.equal('b');
    expect(prefixEnd('\u{10ffff}')).to.equal(null);
    expect(prefixEnd('\ud7ff')).to.equal('\ue000');
  });

  it('a span: the key alone, from a key on (end null), or up to an end (exclusive)', () => {
    expect(inSpan({ key: 'a' }, 'a')).to.equal(true);
    expect(inSpan({ key: 'a' }, 'ab')).to.equal(false);
    expect(inSpan({ key: 'b', end: null }, 'a')).to.equal(false);
    expect(inSpan({ key: 'b', end: null }, 'zzz')).to.equal(true);
    expect(inSpan({ key: 'b', end: 'd' }, 'c')).to.equal(true);
    expect(inSpan({ key: 'b', end: 'd' }, 'd')).to.equal(false);
    expect(inSpan({ key: '', end: null }, 'anything')).to.equal(true);
  });
});
