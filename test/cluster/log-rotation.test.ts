import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { rotateSharedLogIfLarge } from '../../src/cluster/log-rotation.js';

const ROTATION_MODULE = fileURLToPath(new URL('../../src/cluster/log-rotation.js', import.meta.url));

describe('logs rotate by size', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-logs-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('node.log: a node that writes its log on stdout rotates it to node.log.1 past the limit, and keeps writing to node.log', async () => {
    const log = path.join(dir, 'node.log');
    const script = `
      import { selfRotatingStdout } from ${JSON.stringify(ROTATION_MODULE)};
      const write = selfRotatingStdout(${JSON.stringify(log)}, 20000);
      for (let i = 0; i < 1000; i++) write(JSON.stringify({ i, pad: 'x'.repeat(80) }) + '\\n');
    `;
    const fd = fs.openSync(log, 'a');
    try {
      await execa(process.execPath, ['--input-type=module', '-e', script], { stdout: fd as unknown as 'pipe', stderr: 'inherit' });
    } finally {
      fs.closeSync(fd);
    }
    const current = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).i as number);
    const previous = fs.readFileSync(`${log}.1`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).i as number);
    expect(fs.statSync(log).size).to.be.below(20_200);
    expect(fs.statSync(`${log}.1`).size).to.be.within(20_000, 20_200);
    expect(current[current.length - 1]).to.equal(999);
    // The two files hold an unbroken run of the newest lines: nothing lost between them.
    expect([...previous, ...current]).to.deep.equal(Array.from({ length: previous.length + current.length }, (_, k) => 1000 - previous.length - current.length + k));
  });

  it('events.log: past the limit it becomes events.log.1 once, even when several processes see it too big at once', async () => {
    const log = path.join(dir, 'events.log');
    fs.writeFileSync(log, 'x'.repeat(5000));
    expect(rotateSharedLogIfLarge(log, 10_000)).to.equal(false);
    fs.appendFileSync(log, 'y'.repeat(6000));
    const script = `
      import fs from 'node:fs';
      import { rotateSharedLogIfLarge } from ${JSON.stringify(ROTATION_MODULE)};
      const rotated = rotateSharedLogIfLarge(${JSON.stringify(log)}, 10000);
      fs.appendFileSync(${JSON.stringify(log)}, 'line from ' + process.pid + '\\n');
      process.stdout.write(rotated ? 'rotated' : 'not');
    `;
    const runs = await Promise.all(Array.from({ length: 6 }, () => execa(process.execPath, ['--input-type=module', '-e', script])));
    expect(runs.filter((r) => r.stdout === 'rotated')).to.have.length(1);
    expect(fs.statSync(`${log}.1`).size).to.be.at.least(11_000);
    const lines = fs.readFileSync(log, 'utf8') + fs.readFileSync(`${log}.1`, 'utf8');
    expect(lines.match(/line from/g)).to.have.length(6);
    expect(fs.existsSync(`${log}.rotating`)).to.equal(false);
  });
});
