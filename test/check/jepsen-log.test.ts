import { expect } from 'chai';
import { JepsenLogError, parseJepsenLog, parseJepsenValue } from '../../src/check/jepsen-log.js';

describe('jepsen-log: parsing Jepsen register logs', () => {
  it('parses invoke/ok/fail/info lines, tab- or space-separated, with the line number as time', () => {
    const text = [
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 0\t:ok\t:read\t3',
      '',
      'INFO  jepsen.util - 12  :invoke :cas    [1 2]',
      'INFO  jepsen.util - 12  :fail   :cas    [1 2]',
      'INFO  jepsen.util - 4\t:invoke\t:write\t4',
      'INFO  jepsen.util - 4\t:info\t:write\t:timed-out',
    ].join('\n');
    const events = parseJepsenLog(text, { key: 'r' });
    expect(events).to.deep.equal([
      { process: 0, type: 'invoke', f: 'read', key: 'r', value: null, timeMs: 1 },
      { process: 0, type: 'ok', f: 'read', key: 'r', value: 3, timeMs: 2 },
      { process: 12, type: 'invoke', f: 'cas', key: 'r', value: [1, 2], timeMs: 4 },
      { process: 12, type: 'fail', f: 'cas', key: 'r', value: [1, 2], timeMs: 5 },
      { process: 4, type: 'invoke', f: 'write', key: 'r', value: 4, timeMs: 6 },
      { process: 4, type: 'info', f: 'write', key: 'r', value: ':timed-out', timeMs: 7 },
    ]);
  });

  it('parses values: nil, integers, [FROM TO] with nil inside, keywords', () => {
    expect(parseJepsenValue('nil')).to.equal(null);
    expect(parseJepsenValue('-7')).to.equal(-7);
    expect(parseJepsenValue('[nil 3]')).to.deep.equal([null, 3]);
    expect(parseJepsenValue(':timed-out')).to.equal(':timed-out');
    expect(parseJepsenValue('{:a 1}')).to.equal(undefined);
  });

  it('rejects a line that is not a history line, naming its number', () => {
    expect(() => parseJepsenLog('INFO  jepsen.util - 0\t:invoke\t:read\tnil\nsomething else')).to.throw(JepsenLogError, /line 2/);
    expect(() => parseJepsenLog('INFO  jepsen.util - 0\t:ok\t:read\t{:x 1}')).to.throw(JepsenLogError, /cannot parse value/);
  });
});
