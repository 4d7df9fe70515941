import { expect } from 'chai';
import { stderrProgress, withProgress } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { written: string } {
  const s = { isTTY, columns: 40, written: '', write(chunk: string) {
    s.written += chunk;
    return true;
  } };
  return s as unknown as NodeJS.WriteStream & { written: string };
}

describe('progress: a line on stderr for a person, nothing for a script', () => {
  it('on a terminal: redrawn in place, cut to the width, cleared when done', () => {
    const tty = fakeStream(true);
    const p = stderrProgress(tty);
    p.update('starting: 1 of 5 nodes ready');
    p.update('starting: 2 of 5 nodes ready and a very long tail that does not fit');
    p.done();
    expect(tty.written).to.equal('\r\u001b[2Kstarting: 1 of 5 nodes ready\r\u001b[2Kstarting: 2 of 5 nodes ready and a ver…\r\u001b[2K');
  });

  it('not a terminal: silent, and a poll that only feeds progress is never run', async () => {
    const pipe = fakeStream(false);
    const p = stderrProgress(pipe);
    let polls = 0;
    const value = await withProgress(p, Promise.resolve(42), () => {
      polls++;
      return 'x';
    });
    p.update('starting');
    expect(value).to.equal(42);
    expect(polls).to.equal(0);
    expect(pipe.written).to.equal('');
  });
});
