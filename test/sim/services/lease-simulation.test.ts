import { expect } from 'chai';
import type { Command } from '../../../src/core/commands.js';
import type { CorePort } from '../../../src/services/core-port.js';
import { runLeaseSimulation } from '../../../src/sim/services/lease-simulation.js';

/**
 * The lease manager, simulated: the real LeaseManager on a simulated core (the real state machine, seeded delays,
 * lost answers, refusals), clients that renew or pause past their TTL and write with their fencing token. The
 * lease-exclusivity checker judges every seed.
 */
describe('services simulation: the lease manager in virtual time', function () {
  this.timeout(120_000);
  const faulty = { latencyMs: [1, 20] as [number, number], lostReply: 0.05, unavailable: 0.05 };

  it('over 40 seeds with lost answers, refusals and paused holders: no two holders at once, stale tokens refused', async () => {
    let grants = 0;
    let refusedStale = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = await runLeaseSimulation({ seed, clients: 4, resources: 2, durationMs: 10_000, faults: faulty });
      expect(r.check.verdict, `seed ${seed}: ${r.check.summary}`).to.equal('valid');
      grants += r.check.counts.grants;
      refusedStale += r.events.filter((e) => e.f === 'write' && e.type === 'fail' && (e.value as { error?: string }).error === 'stale_token').length;
    }
    // The runs did what they are for: many grants, and paused holders whose late writes were fenced off.
    expect(grants).to.be.greaterThan(200);
    expect(refusedStale).to.be.greaterThan(5);
  });

  it('a seed replays exactly: the same history, event for event', async () => {
    const a = await runLeaseSimulation({ seed: 7, durationMs: 2000, faults: faulty });
    const b = await runLeaseSimulation({ seed: 7, durationMs: 2000, faults: faulty });
    expect(b.events).to.deep.equal(a.events);
    expect(b.steps).to.equal(a.steps);
  });

  it('can fail: a core that drops fencing tokens lets a paused holder overwrite, and the checker says so', async () => {
    const dropFence = (core: CorePort): CorePort => ({
      write: (command, opts) => {
        if ('fence' in command && command.fence) {
          const { fence: _dropped, ...unfenced } = command;
          return core.write(unfenced as unknown as Command, opts) as never;
        }
        return core.write(command, opts);
      },
      read: (read, serializable, opts) => core.read(read, serializable, opts),
      subscribe: (spec, handlers) => core.subscribe(spec, handlers),
    });
    let invalid = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = await runLeaseSimulation({ seed, durationMs: 10_000, faults: faulty, pauseProbability: 0.5, wrapCore: dropFence });
      if (r.check.verdict === 'invalid') invalid++;
    }
    expect(invalid).to.be.greaterThan(0);
  });
});
