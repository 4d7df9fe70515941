import { expect } from 'chai';
import fs from 'node:fs';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { ClusterFixture, isAlive, waitFor } from '../fixtures/cluster-fixture.js';
import { expectNoProcessLeft } from '../fixtures/teardown.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** A Maelstrom node that answers init and nothing else, marked so that its processes can be found. */
const idleNode = (marker: string): string[] => [
  process.execPath,
  '-e',
  `/* ${marker} */ require('readline').createInterface({ input: process.stdin }).on('line', (l) => { const m = JSON.parse(l); if (m.body.type === 'init') console.log(JSON.stringify({ src: m.body.node_id, dest: m.src, body: { type: 'init_ok', in_reply_to: m.body.msg_id } })); });`,
];

function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(marker) && isAlive(Number(entry))) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** `ccm exercise check <flags> -- <command>`, with the cluster flags before the `--`. */
async function check(fx: ClusterFixture, flags: string[], command: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, 'exercise', 'check', ...flags, '--name', fx.name, '--', ...command], { env: { CCM_HOME: fx.home }, reject: false, timeout: 60_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function expectCheckFailure(fx: ClusterFixture, flags: string[], command: string[], pattern: RegExp): Promise<void> {
  const r = await check(fx, flags, command);
  expect(r.exitCode, flags.join(' ')).to.equal(1);
  expect(r.stderr).to.match(pattern);
}

describe('ccm exercise: input, garbage, Ctrl-C', function () {
  this.timeout(60_000);
  const fx = new ClusterFixture();
  after(() => expectNoProcessLeft(fx));

  it('bad input gets a clear error and changes nothing', async () => {
    await fx.expectFailure(['exercise', 'check', 'nope', '--solution', 'reference'], /unknown exercise "nope"/);
    await fx.expectFailure(['exercise', 'check', 'gossip'], /give the command that starts your program after --/);
    await expectCheckFailure(fx, ['gossip', '--solution', 'reference'], ['python3', 'x.py'], /either a command after -- or --solution/);
    await fx.expectFailure(['exercise', 'check', 'watch', '--solution', 'reference', '--language', 'ts'], /Python only/);
    await fx.expectFailure(['explain', 'lease', 'bad resource!'], /resource name/);
    await expectCheckFailure(fx, ['chaos', '--target', 'lease,gossip'], ['python3', 'x.py'], /single --target/);
    await fx.expectFailure(['exercise', 'check', 'lease', '--target', 'gossip', '--solution', 'reference'], /--target is for the chaos exercise/);
    await fx.expectFailure(['exercise', 'bug', '--answer', 'anything'], /is not a guarantee/);
  });

  it('a node that prints garbage fails the check, and the offending line is shown', async () => {
    const garbage = [process.execPath, '-e', `require('readline').createInterface({ input: process.stdin }).on('line', () => console.log('hello, harness'))`];
    const r = await check(fx, ['gossip', '--duration', '3s', '--no-compare'], garbage);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.include('gossip: FAIL');
    expect(r.stdout).to.include('offending line: hello, harness');
    expect(r.stdout).to.match(/not JSON/);
  });

  it('Ctrl-C stops the check at once and leaves no process behind', async () => {
    const marker = `ccm-exercise-test-${process.pid}-${Date.now()}`;
    const child = execa(process.execPath, [BIN, 'exercise', 'check', 'failure-detection', '--duration', '60s', '--no-compare', '--name', fx.name, '--', ...idleNode(marker)], {
      env: { CCM_HOME: fx.home },
      reject: false,
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the main phase', () => out.includes('main phase'), 30_000);
    // the five nodes (and the ccm process itself, whose arguments name them too)
    expect(processesWith(marker).filter((pid) => pid !== child.pid)).to.have.length(5);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).to.equal(130);
    await waitFor('every node gone', () => processesWith(marker).length === 0, 5000);
  });
});
