import { expect } from 'chai';
import type { ClusterFile, NodeRecord } from '../../src/cluster/cluster-file.js';
import { DEFAULT_SECURITY, DEFAULT_SETTINGS } from '../../src/cluster/cluster-file.js';
import type { ProcessState } from '../../src/cluster/process-table.js';
import { backoffMs, DEFAULT_RESTART_POLICY, RestartTracker, Supervisor, type RestartOutcome, type SupervisorHost } from '../../src/cluster/supervisor.js';

const P = DEFAULT_RESTART_POLICY;

describe('supervisor: restart policy (pure, injected time)', () => {
  it('backoff doubles from 0.5 s and is capped at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((c) => backoffMs(P, c))).to.deep.equal([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('a death waits its backoff, then restarts; a second death right after waits twice as long', () => {
    const t = new RestartTracker(P);
    expect(t.observe('n1', 'running', 0)).to.deep.equal({ action: 'none' });
    expect(t.observe('n1', 'dead', 1000)).to.deep.equal({ action: 'wait', dueAtMs: 1500, backoffMs: 500, isNewDeath: true });
    expect(t.observe('n1', 'dead', 1400)).to.deep.include({ action: 'wait', isNewDeath: false });
    expect(t.observe('n1', 'dead', 1500)).to.deep.equal({ action: 'restart', attempt: 1, backoffMs: 500, isNewDeath: false });
    t.recordRestart('n1', 1500);
    expect(t.observe('n1', 'running', 2000)).to.deep.equal({ action: 'none' });
    expect(t.observe('n1', 'dead', 3000)).to.deep.equal({ action: 'wait', dueAtMs: 4000, backoffMs: 1000, isNewDeath: true });
    expect(t.observe('n1', 'dead', 4000)).to.deep.include({ action: 'restart', attempt: 2 });
  });

  it('the backoff starts over once the node has stayed up for stableAfterMs', () => {
    const t = new RestartTracker(P);
    t.observe('n1', 'dead', 0);
    t.recordRestart('n1', 500);
    t.observe('n1', 'dead', 1000);
    t.recordRestart('n1', 2000);
    expect(t.observe('n1', 'running', 2000 + P.stableAfterMs - 1)).to.deep.equal({ action: 'none' });
    expect(t.observe('n1', 'dead', 2000 + P.stableAfterMs - 1)).to.deep.include({ backoffMs: 2000 });
    const u = new RestartTracker(P);
    u.observe('n1', 'dead', 0);
    u.recordRestart('n1', 500);
    u.observe('n1', 'running', 500 + P.stableAfterMs);
    expect(u.observe('n1', 'dead', 500 + P.stableAfterMs + 1)).to.deep.include({ backoffMs: 500 });
  });

  it('gives up after maxRestarts within the window, until the operator starts or stops the node', () => {
    const t = new RestartTracker(P);
    let now = 0;
    for (let i = 1; i <= P.maxRestarts; i++) {
      const d = t.observe('n1', 'dead', now);
      now = d.action === 'wait' ? d.dueAtMs : now;
      expect(t.observe('n1', 'dead', now)).to.deep.include({ action: 'restart', attempt: i });
      t.recordRestart('n1', now);
      now += 100;
    }
    const last = t.observe('n1', 'dead', now);
    now = last.action === 'wait' ? last.dueAtMs : now;
    expect(t.observe('n1', 'dead', now)).to.deep.equal({ action: 'give-up', restartsInWindow: P.maxRestarts, isNewDeath: false });
    expect(t.isGivenUp('n1')).to.equal(true);
    expect(t.observe('n1', 'dead', now + 10 * P.windowMs)).to.deep.equal({ action: 'none' });
    // The operator starts it by hand: a clean slate.
    expect(t.observe('n1', 'running', now + 10 * P.windowMs)).to.deep.equal({ action: 'none' });
    expect(t.isGivenUp('n1')).to.equal(false);
    expect(t.observe('n1', 'dead', now + 10 * P.windowMs + 1)).to.deep.include({ action: 'wait', backoffMs: 500 });
  });

  it('restarts older than the window do not count toward the cap', () => {
    const t = new RestartTracker({ ...P, stableAfterMs: Infinity });
    let now = 0;
    for (let i = 0; i < 20; i++) {
      t.observe('n1', 'dead', now);
      now += 30_000;
      const d = t.observe('n1', 'dead', now);
      expect(d.action, `death ${i}`).to.equal('restart');
      t.recordRestart('n1', now);
      now += 1000;
    }
  });

  it('paused is not dead, and a node the operator stopped is left alone', () => {
    const t = new RestartTracker(P);
    expect(t.observe('n1', 'paused', 0)).to.deep.equal({ action: 'none' });
    expect(t.observe('n1', 'paused', 60_000)).to.deep.equal({ action: 'none' });
    expect(t.observe('n2', 'not-wanted', 0)).to.deep.equal({ action: 'none' });
    expect(t.observe('n2', 'not-wanted', 60_000)).to.deep.equal({ action: 'none' });
  });
});

/** A fake world: processes are a map; restarts flip a node to running (or fail) and are recorded. */
class FakeHost implements SupervisorHost {
  readonly selfPid = 4242;
  now = 0;
  file: ClusterFile | null;
  states = new Map<string, ProcessState>();
  restarts: string[] = [];
  events: { type: string; message: string }[] = [];
  nextOutcome: (id: string) => RestartOutcome = () => ({ kind: 'started', pid: 1000 + this.restarts.length });

  constructor(ids: string[]) {
    const nodes: NodeRecord[] = ids.map((id, i) => ({
      id,
      ports: { http: 1, peer: 2, gossip: 3 },
      pid: 100 + i,
      desired: 'running',
      paused: false,
      startedAtMs: 0,
      restarts: 0,
    }));
    for (const id of ids) this.states.set(id, 'running');
    this.file = { version: 1, name: 't', host: '127.0.0.1', createdAtMs: 0, core: ids.slice(0, 1), heal: true, supervisorPid: this.selfPid, nodes, faults: [], settings: DEFAULT_SETTINGS, security: DEFAULT_SECURITY };
  }
  nowMs(): number {
    return this.now;
  }
  readCluster(): ClusterFile | null {
    return this.file;
  }
  processState(_pid: number | null, id: string): ProcessState {
    return this.states.get(id) ?? 'stopped';
  }
  async restartNode(id: string): Promise<RestartOutcome> {
    const outcome = this.nextOutcome(id);
    if (outcome.kind === 'started') {
      this.restarts.push(id);
      this.states.set(id, 'running');
    }
    return outcome;
  }
  event(type: string, message: string): void {
    this.events.push({ type, message });
  }
  node(id: string): NodeRecord {
    return this.file!.nodes.find((n) => n.id === id)!;
  }
}

describe('supervisor: the poll loop over a fake world', () => {
  async function step(s: Supervisor, host: FakeHost, toMs: number): Promise<void> {
    while (host.now < toMs) {
      host.now += 100;
      expect(s.poll()).to.equal(null);
      await s.settled();
    }
  }

  it('restarts a killed node after its backoff, says so, and leaves the others alone', async () => {
    const host = new FakeHost(['n1', 'n2', 'n3']);
    const s = new Supervisor(host);
    await step(s, host, 1000);
    host.states.set('n2', 'stopped');
    await step(s, host, 1300);
    expect(host.restarts).to.deep.equal([]);
    expect(host.events.map((e) => e.type)).to.deep.equal(['node-died']);
    expect(host.events[0].message).to.match(/n2 died .*restarting it in 500 ms/);
    await step(s, host, 1700);
    expect(host.restarts).to.deep.equal(['n2']);
    expect(host.events.map((e) => e.type)).to.deep.equal(['node-died', 'node-restarted']);
    await step(s, host, 10_000);
    expect(host.restarts).to.deep.equal(['n2']);
  });

  it('never restarts a node the operator stopped, nor a paused one', async () => {
    const host = new FakeHost(['n1', 'n2']);
    const s = new Supervisor(host);
    host.node('n1').desired = 'stopped';
    host.states.set('n1', 'stopped');
    host.states.set('n2', 'paused');
    await step(s, host, 60_000);
    expect(host.restarts).to.deep.equal([]);
    expect(host.events).to.deep.equal([]);
  });

  it('a node that keeps dying is restarted with growing waits, then given up on, once', async () => {
    const host = new FakeHost(['n1']);
    const s = new Supervisor(host);
    const restartTimes: number[] = [];
    host.nextOutcome = () => {
      restartTimes.push(host.now);
      // It starts, then dies at once.
      return { kind: 'failed', pid: 99, why: 'exited during start-up' };
    };
    host.states.set('n1', 'stopped');
    await step(s, host, 120_000);
    expect(restartTimes).to.have.length(P.maxRestarts);
    const gaps = restartTimes.slice(1).map((t, i) => t - restartTimes[i]);
    // Each failed start is seen dead at the next poll (100 ms later), then waits 1 s, 2 s, 4 s, 8 s.
    expect(gaps).to.deep.equal([1100, 2100, 4100, 8100]);
    expect(host.events.filter((e) => e.type === 'node-restart-failed')).to.have.length(P.maxRestarts);
    expect(host.events.filter((e) => e.type === 'supervisor-gave-up')).to.have.length(1);
    expect(host.events.at(-1)!.message).to.match(/gave up on n1: .*ccm node start n1/);
  });

  it('a restart skipped under the lock (the operator got there first) is not counted', async () => {
    const host = new FakeHost(['n1']);
    const s = new Supervisor(host);
    host.nextOutcome = () => ({ kind: 'skipped', why: 'the operator stopped it' });
    host.states.set('n1', 'stopped');
    await step(s, host, 5000);
    expect(host.events.filter((e) => e.type === 'node-restarted' || e.type === 'node-restart-failed')).to.deep.equal([]);
  });

  it('exits when the cluster is gone, healing is off, or another supervisor is recorded', () => {
    const host = new FakeHost(['n1']);
    const s = new Supervisor(host);
    expect(s.poll()).to.equal(null);
    host.file!.heal = false;
    expect(s.poll()).to.equal('heal-off');
    host.file!.heal = true;
    host.file!.supervisorPid = null;
    expect(s.poll()).to.equal('replaced');
    host.file = null;
    expect(s.poll()).to.equal('cluster-removed');
  });
});
