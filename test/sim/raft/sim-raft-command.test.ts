import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url));

async function ccm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('ccm sim raft', function () {
  this.timeout(60_000);

  it('--json returns the report', async () => {
    const r = await ccm(['sim', 'raft', '--seed', '11', '--nodes', '3', '--steps', '800', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as { seed: number; nodes: number; ok: boolean; violations: unknown[]; stats: { leadersElected: number } };
    expect([report.seed, report.nodes, report.ok, report.violations]).to.deep.equal([11, 3, true, []]);
    expect(report.stats.leadersElected).to.be.above(0);
  });

  it('runs one seed: --trace prints one fixed-column line per event, then the summary (exit 0: invariants hold)', async () => {
    const r = await ccm(['sim', 'raft', '--seed', '5', '--nodes', '3', '--steps', '300', '--trace']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/raft simulation: seed 5, 3 voters/);
    expect(r.stdout).to.match(/ok: no invariant violated/);
    const lines = r.stdout.split('\n');
    expect(lines[0]).to.match(/^\s+step\s+time_ms node\s+role\s+term\s+commit event$/);
    expect(lines.some((l) => /^\s+\d+\s+\d+ n\d\s+leader\s+\d+\s+\d+ role candidate -> leader/.test(l))).to.equal(true);
  });

  it('bad input is a clear error: a non-integer seed, nodes out of 1..9', async () => {
    const seed = await ccm(['sim', 'raft', '--seed', 'abc']);
    expect(seed.code).to.equal(1);
    expect(seed.stderr).to.match(/--seed must be an integer/);
    const nodes = await ccm(['sim', 'raft', '--seed', '1', '--nodes', '10', '--json']);
    expect(nodes.code).to.equal(1);
    expect(JSON.parse(nodes.stdout)).to.deep.equal({ error: { code: 'invalid_argument', message: '--nodes must be an integer from 1 to 9 (got "10")' } });
  });
});
