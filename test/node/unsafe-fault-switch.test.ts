import { expect } from 'chai';
import type { Command } from '../../src/core/commands.js';
import type { ApplyResult } from '../../src/core/state-machine.js';
import { withFaultSwitch, type ProposeCommand } from '../../src/node/raft/unsafe-fault-switch.js';

/** A proposer that records what reached it and answers only when told to (the core committing). */
function recordingProposer(): { propose: ProposeCommand; proposed: Command[]; commit: (r: ApplyResult) => void } {
  const proposed: Command[] = [];
  const waiting: ((r: ApplyResult) => void)[] = [];
  return {
    proposed,
    propose: (command) => {
      proposed.push(command);
      return new Promise((resolve) => waiting.push(resolve));
    },
    commit: (r) => waiting.shift()?.(r),
  };
}

const put = { op: 'put', key: 'k', value: 'v' } as Command;
const acquire = { op: 'acquire', resource: 'r', holder: 'h', ttlMs: 1000, wait: false, atMs: 1 } as Command;

describe('test-only fault switches on the write path are wrappers around propose (chaos)', () => {
  it('no switch (or one that is not about proposals) proposes directly: the wrapper is propose itself', () => {
    const p = recordingProposer();
    expect(withFaultSwitch(undefined, p.propose, () => 0)).to.equal(p.propose);
    expect(withFaultSwitch('stale-reads', p.propose, () => 0)).to.equal(p.propose);
  });

  it('ack-before-commit answers a put before the core commits it, with a guessed revision', async () => {
    const p = recordingProposer();
    const r = await withFaultSwitch('ack-before-commit', p.propose, () => 41)(put, 1000);
    expect(r).to.deep.equal({ op: 'put', revision: 42 });
    expect(p.proposed).to.deep.equal([put]); // proposed, not committed
  });

  it('ignore-fence proposes a fenced write without its fence', async () => {
    const p = recordingProposer();
    const fenced = { ...put, fence: { resource: 'r', token: 3 } } as Command;
    const done = withFaultSwitch('ignore-fence', p.propose, () => 0)(fenced, 1000);
    p.commit({ op: 'put', revision: 2 });
    await done;
    expect(p.proposed).to.deep.equal([put]);
  });

  it('grant-without-core grants an acquire without proposing it; token-per-leader numbers grants from 1 in this process', async () => {
    const p = recordingProposer();
    const r = await withFaultSwitch('grant-without-core', p.propose, () => 9)(acquire, 1000);
    expect(r).to.include({ op: 'acquire', granted: true, token: 10 });
    expect(p.proposed).to.deep.equal([]);
    const q = recordingProposer();
    const tokenPerLeader = withFaultSwitch('token-per-leader', q.propose, () => 0);
    const granted = { op: 'acquire', granted: true, resource: 'r', holder: 'h', lease: 7, token: 7, ttlMs: 1000, revision: 7 } as ApplyResult;
    const first = tokenPerLeader(acquire, 1000);
    q.commit(granted);
    expect(await first).to.include({ token: 1 });
  });
});
