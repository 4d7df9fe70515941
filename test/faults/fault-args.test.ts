import { expect } from 'chai';
import { parseBetween, parseDelay, parseDurationArg, parsePercent, parseSkew } from '../../src/faults/fault-args.js';
import { CcmError } from '../../src/errors/ccm-error.js';

describe('fault arguments', () => {
  it('percentages: 0-100, with or without %', () => {
    expect(parsePercent('10%')).to.equal(0.1);
    expect(parsePercent('2.5%')).to.equal(0.025);
    expect(parsePercent('100')).to.equal(1);
    expect(parsePercent('0%')).to.equal(0);
    for (const bad of ['101%', '-5%', 'ten', '', '5%%', '1e2']) expect(() => parsePercent(bad), bad).to.throw(CcmError);
    expect(() => parsePercent('150%', 'loss rate')).to.throw(/loss rate 150% is outside 0-100%/);
  });

  it('durations that do not parse, or are out of range, are clear errors', () => {
    expect(parseDelay('200ms')).to.equal(200);
    expect(parseDelay('1.5s')).to.equal(1500);
    expect(() => parseDelay('200')).to.throw(CcmError, /not a duration/);
    expect(() => parseDelay('2m')).to.throw(CcmError, /too long/);
    expect(() => parseDelay('-5ms')).to.throw(CcmError, /too short/);
    expect(() => parseDurationArg('soon', 'duration')).to.throw(CcmError, /duration "soon" is not a duration/);
  });

  it('clock offsets: +ahead, -behind, within a day', () => {
    expect(parseSkew('+3s')).to.equal(3000);
    expect(parseSkew('-500ms')).to.equal(-500);
    expect(parseSkew('0s')).to.equal(0);
    expect(() => parseSkew('3')).to.throw(CcmError, /not a duration/);
    expect(() => parseSkew('later')).to.throw(CcmError, /not a duration/);
    expect(() => parseSkew('+2d')).to.throw(CcmError, /too long/);
  });

  it('--between: two nodes, or every link', () => {
    expect(parseBetween(undefined)).to.deep.equal(['*', '*']);
    expect(parseBetween(['n1', 'n2'])).to.deep.equal(['n1', 'n2']);
    expect(parseBetween(['n1,n2'])).to.deep.equal(['n1', 'n2']);
    expect(() => parseBetween(['n1'])).to.throw(CcmError, /exactly two/);
  });
});
