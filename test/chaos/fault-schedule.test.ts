import { expect } from 'chai';
import { describePlanned, NEMESIS_KINDS, parseNemesisList, planFaults, type ScheduleOptions } from '../../src/chaos/fault-schedule.js';
import { validateFault } from '../../src/faults/faults.js';
import { CcmError } from '../../src/errors/ccm-error.js';

const base: ScheduleOptions = {
  nemesis: [...NEMESIS_KINDS],
  nodes: ['n1', 'n2', 'n3', 'n4', 'n5'],
  voters: ['n1', 'n2', 'n3'],
  durationMs: 60_000,
  intervalMs: 5000,
  seed: 7,
};

describe('nemesis schedule', () => {
  it('the same seed gives the same schedule; another seed another one', () => {
    expect(planFaults(base)).to.deep.equal(planFaults(base));
    expect(JSON.stringify(planFaults({ ...base, seed: 8 }))).to.not.equal(JSON.stringify(planFaults(base)));
  });

  it('each kind cycles on its own: its faults never overlap, all fit in the run, and they come every few seconds', () => {
    const schedule = planFaults(base);
    for (const kind of NEMESIS_KINDS) {
      const mine = schedule.filter((s) => s.planned.nemesis === kind);
      expect(mine.length, kind).to.be.within(3, 12);
      for (let i = 0; i < mine.length; i++) {
        expect(mine[i].startMs).to.be.lessThan(mine[i].endMs);
        expect(mine[i].endMs).to.be.at.most(base.durationMs);
        if (i > 0) expect(mine[i].startMs, `${kind} #${i}`).to.be.greaterThan(mine[i - 1].endMs);
      }
    }
    const starts = schedule.map((s) => s.startMs);
    expect(starts).to.deep.equal([...starts].sort((a, b) => a - b));
  });

  it('choosing fewer kinds does not change the faults of the kinds kept', () => {
    const all = planFaults(base).filter((s) => s.planned.nemesis === 'kill');
    const killsOnly = planFaults({ ...base, nemesis: ['kill'] });
    expect(killsOnly).to.deep.equal(all);
  });

  it('planned faults are valid faults for the cluster, and kills and pauses name a node or the leader', () => {
    for (let seed = 0; seed < 30; seed++) {
      for (const s of planFaults({ ...base, seed })) {
        const p = s.planned;
        if ('fault' in p) expect(() => validateFault(p.fault, base.nodes)).to.not.throw();
        if (p.nemesis === 'kill' || p.nemesis === 'pause') expect('leader' in p.target || base.nodes.includes(p.target.node)).to.equal(true);
        expect(describePlanned(p)).to.be.a('string').and.not.equal('');
      }
    }
  });

  it('with process targets (a local etcd backend), kills and pauses hit only them, timed as without; other kinds are unchanged', () => {
    const members = ['e1', 'e2', 'e3'];
    for (let seed = 0; seed < 30; seed++) {
      const plain = planFaults({ ...base, seed });
      const onEtcd = planFaults({ ...base, seed, processTargets: members });
      expect(onEtcd.map((s) => [s.startMs, s.endMs, s.planned.nemesis])).to.deep.equal(plain.map((s) => [s.startMs, s.endMs, s.planned.nemesis]));
      for (const [i, s] of onEtcd.entries()) {
        const p = s.planned;
        if (p.nemesis === 'kill' || p.nemesis === 'pause') expect('leader' in p.target || members.includes(p.target.node), JSON.stringify(p)).to.equal(true);
        else expect(p).to.deep.equal(plain[i].planned);
      }
    }
    const named = planFaults({ ...base, nemesis: ['kill', 'pause'], processTargets: members }).flatMap((s) => ('target' in s.planned && 'node' in s.planned.target ? [s.planned.target.node] : []));
    expect(named.length).to.be.greaterThan(0);
  });

  it('no nemesis, no faults; a run shorter than the interval may have none', () => {
    expect(planFaults({ ...base, nemesis: [] })).to.deep.equal([]);
    expect(planFaults({ ...base, durationMs: 500 })).to.deep.equal([]);
  });

  it('parses nemesis lists and rejects unknown or repeated names', () => {
    expect(parseNemesisList('partition,kill')).to.deep.equal(['partition', 'kill']);
    expect(parseNemesisList('all')).to.deep.equal([...NEMESIS_KINDS]);
    expect(parseNemesisList('none')).to.deep.equal([]);
    expect(() => parseNemesisList('partition,explode')).to.throw(CcmError, /unknown nemesis "explode"/);
    expect(() => parseNemesisList('kill,kill')).to.throw(CcmError, /twice/);
    expect(() => parseNemesisList('')).to.throw(CcmError, /at least one/);
  });
});
