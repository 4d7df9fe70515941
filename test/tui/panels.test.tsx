import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { DashboardView } from '../../src/tui/dashboard-view.js';
import type { DashboardSnapshot } from '../../src/tui/dashboard-snapshot.js';
import { electionsView, gossipSpreadView, servicesView, watchesView } from '../../src/tui/panels-model.js';
import { clockTime, createDashboardState, dashboardReducer, eventLines, interpretKey, noticeView, type DashboardAction, type DashboardState, type KeyIntent, type KeyPress } from '../../src/tui/status-model.js';
import { plain } from './ink-harness.js';
import { T0, event, node, snapshot } from './snapshot-fixtures.js';

const stateWith = (s: DashboardSnapshot, ...actions: DashboardAction[]): DashboardState =>
  [{ type: 'snapshot-received', snapshot: s } as DashboardAction, ...actions].reduce(dashboardReducer, createDashboardState());

function frame(state: DashboardState, columns: number, rows: number, nowMs = T0): string[] {
  const r = render(<DashboardView state={state} nowMs={nowMs} columns={columns} rows={rows} />);
  const f = plain(r.lastFrame());
  r.unmount();
  return f.split('\n');
}

/** Presses keys through the pure key map and reducer, as the input hook does; returns the state and what ran. */
function press(state: DashboardState, ...keys: (string | KeyPress)[]): { state: DashboardState; ran: KeyIntent[] } {
  const ran: KeyIntent[] = [];
  for (const k of keys) {
    const intent = typeof k === 'string' ? interpretKey(k, {}, state, T0) : interpretKey('', k, state, T0);
    if (!intent) continue;
    if (intent.kind === 'dispatch') state = dashboardReducer(state, intent.action);
    else ran.push(intent);
  }
  return { state, ran };
}

const withPanels = (over: Partial<DashboardSnapshot> = {}): DashboardSnapshot =>
  snapshot({
    services: [
      { service: 'payments', id: 'pay-1', address: '10.0.0.1:8080', status: 'passing', node: 'n1' },
      { service: 'payments', id: 'pay-2', address: '10.0.0.2:8080', status: 'critical', node: 'n2' },
      { service: 'web', id: 'web-1', address: '10.0.0.3:80', status: 'warning', node: 'n3' },
    ],
    elections: [
      { election: 'scheduler', leader: 'worker-a', token: 17, ttlLeftMs: 8_000, candidates: ['worker-b', 'worker-c'] },
      { election: 'indexer', leader: null, token: null, ttlLeftMs: null, candidates: [] },
    ],
    watches: [
      { node: 'n2', key: '/app/', prefix: true, revision: 41, events: 12, openedAtMs: T0 - 95_000 },
      { node: 'n1', key: '/config/color', prefix: false, revision: 40, events: 1, openedAtMs: T0 - 3_000 },
    ],
    ...over,
  });

/** A tag set on n2 at T0 - 3 s, seen by n1 after 0.4 s and n3 after 1.1 s; n4 not yet; n5 down. */
const spreadEvents = [
  event(T0 - 3000, 'n2', 'gossip-tags-set', 'tags now zone=eu'),
  event(T0 - 2600, 'n1', 'member-updated', 'n2 updated tags zone=eu (incarnation 6)'),
  event(T0 - 1900, 'n3', 'member-updated', 'n2 updated tags zone=eu (incarnation 6)'),
].map((e, i) => (i === 0 ? { ...e, tags: { zone: 'eu' }, incarnation: 6 } : { ...e, member: 'n2', incarnation: 6, changed: ['tags'] }));
const spreadNodes = [node('n1'), node('n2'), node('n3'), node('n4'), node('n5', { state: 'stopped', responding: false, pid: null })];

describe('tui: panels, partition and one-way actions, collapsed events (pure, and frames from fixed props)', () => {
  describe('keys', () => {
    it('Tab cycles the panels (shift-Tab back), 1-5 pick one', () => {
      let s = stateWith(withPanels());
      expect(s.panel).to.equal('overview');
      s = press(s, { tab: true }).state;
      expect(s.panel).to.equal('services');
      s = press(s, { tab: true }, { tab: true }).state;
      expect(s.panel).to.equal('watches');
      s = press(s, { tab: true, shift: true }).state;
      expect(s.panel).to.equal('elections');
      expect(press(s, '5').state.panel).to.equal('gossip');
      expect(press(s, '1').state.panel).to.equal('overview');
    });

    it('g opens a partition with the picked node on side A; space moves nodes; enter cuts A | B', () => {
      const s0 = stateWith(snapshot());
      const { state, ran } = press(s0, 'g', { downArrow: true }, ' ', { downArrow: true }, { downArrow: true }, ' ', ' ', ' ', { return: true });
      expect(ran).to.deep.equal([{ kind: 'run', command: { kind: 'partition', groups: [['n1', 'n2', 'n4'], ['n3', 'n5']] } }]);
      // Running it ends the choice.
      expect(dashboardReducer(state, { type: 'command-started', command: { kind: 'partition', groups: [['n1'], ['n2']] }, atMs: T0 }).mode).to.equal(null);
      expect(state.mode).to.deep.equal({ kind: 'partition', sideA: ['n1', 'n2', 'n4'] });
      // The notice line says what enter would do.
      expect(noticeView(state, T0).text).to.match(/^partition: n1 n2 n4 \| n3 n5 · space moves the picked node/);
    });

    it('a partition with an empty side is refused with the reason; esc drops the choice; other actions wait', () => {
      const open = press(stateWith(snapshot()), 'g', ' ').state;
      const refused = press(open, { return: true });
      expect(refused.ran).to.deep.equal([]);
      expect(refused.state.actionLog.at(-1)?.message).to.match(/both sides need a node/);
      const busy = press(open, 'k');
      expect(busy.ran).to.deep.equal([]);
      expect(busy.state.actionLog.at(-1)?.message).to.match(/finish the partition first/);
      expect(press(open, { escape: true }).state.mode).to.equal(null);
    });

    it('o cuts one way: from the picked node to the one picked next', () => {
      const s0 = stateWith(snapshot(), { type: 'move-selection', delta: 1 });
      const same = press(s0, 'o', { return: true });
      expect(same.ran).to.deep.equal([]);
      expect(same.state.actionLog.at(-1)?.message).to.match(/pick the node n2 must not reach/);
      const { ran, state } = press(s0, 'o', { downArrow: true }, { downArrow: true });
      expect(noticeView(state, T0).text).to.match(/^one-way: n2 ↛ n4 · /);
      expect(press(state, { return: true }).ran).to.deep.equal([{ kind: 'run', command: { kind: 'one-way', from: 'n2', to: 'n4' } }]);
      expect(ran).to.deep.equal([]);
    });
  });

  describe('events', () => {
    it('a run of one event type collapses into one line with a count and who logged it; other lines stay', () => {
      const updates = Array.from({ length: 12 }, (_, i) => event(T0 + 100 + i, `n${(i % 5) + 1}`, 'member-updated', `n3 updated health {"status":"passing","v":${i}} (incarnation ${i})`));
      const events = [event(T0, 'cli', 'node-kill', 'killed n3'), ...updates, event(T0 + 200, 'n1', 'member-dead', 'n3 is dead')];
      const lines = eventLines(events, [], 10);
      expect(lines.map((l) => [l.source, l.text])).to.deep.equal([
        ['cli', 'node-kill: killed n3'],
        ['…', 'member-updated ×12 (n1 n2 n3 +2): n3 updated health {"status":"passing","v":11} (incarnation 11)'],
        ['n1', 'member-dead: n3 is dead'],
      ]);
      expect(lines[1].time).to.equal(clockTime(T0 + 111));
      const one = eventLines([event(T0, 'n1', 'raft-election-started', 'pre-vote for term 3'), event(T0 + 1, 'n1', 'raft-election-started', 'pre-vote for term 4')], [], 5);
      expect(one.map((l) => [l.source, l.text])).to.deep.equal([['n1', 'raft-election-started ×2: pre-vote for term 4']]);
    });

    it('a result of a key pressed here breaks a run (it happened between them)', () => {
      const events = [event(T0, 'n1', 'member-updated', 'a'), event(T0 + 2, 'n2', 'member-updated', 'b')];
      const lines = eventLines(events, [{ atMs: T0 + 1, command: null, isOk: true, message: 'done' }], 10);
      expect(lines.map((l) => l.text)).to.deep.equal(['member-updated: a', '✓ done', 'member-updated: b']);
    });
  });

  describe('panel models', () => {
    it('services: critical first within a service, with a summary', () => {
      const v = servicesView(withPanels());
      expect(v.rows.map((r) => `${r.service}/${r.id} ${r.status} ${r.tone}`)).to.deep.equal(['payments/pay-2 critical bad', 'payments/pay-1 passing good', 'web/web-1 warning warn']);
      expect(v.summary).to.equal('2 services, 3 instances: 1 passing, 1 warning, 1 critical');
      expect(servicesView(snapshot()).note).to.equal('(no service source yet)');
      expect(servicesView(snapshot({ servicesError: 'no_leader' })).note).to.equal('error: no_leader');
    });

    it('elections: the leader with its token and a TTL counting down; nobody leads is said', () => {
      const v = electionsView(withPanels(), T0 + 3_000);
      expect(v.rows.map((r) => [r.election, r.leader, r.token, r.ttl, r.line])).to.deep.equal([
        ['indexer', 'nobody', '-', '?', '-'],
        ['scheduler', 'worker-a', '17', '5s', 'worker-b worker-c'],
      ]);
    });

    it('watches: by node, with the key (prefix starred), the revision reached and how long it has been open', () => {
      const v = watchesView(withPanels(), T0);
      expect(v.rows.map((r) => [r.node, r.key, r.revision, r.events, r.age])).to.deep.equal([
        ['n1', '/config/color', '40', '1', '3s'],
        ['n2', '/app/*', '41', '12', '1m35s'],
      ]);
      expect(v.summary).to.equal('2 open on 2 nodes');
    });

    it('gossip spread: the newest tag change, and when each node\'s view first had it', () => {
      const v = gossipSpreadView(snapshot({ events: spreadEvents }, spreadNodes));
      expect(v.fact).to.equal('n2 zone=eu');
      expect(v.rows.map((r) => `${r.nodeId} ${r.state}`)).to.deep.equal(['n1 +0.40s', 'n2 origin', 'n3 +1.10s', 'n4 waiting', 'n5 down']);
      expect(v.summary).to.equal('reached 2 of 3; waiting: n4');
      const all = gossipSpreadView(snapshot({ events: [...spreadEvents, { ...event(T0 - 1000, 'n4', 'member-updated', 'x'), member: 'n2', incarnation: 7 }] }, spreadNodes));
      expect(all.summary).to.equal('reached all 3 other nodes in 2.00s');
      // An older incarnation (news from before the change) does not count.
      const stale = gossipSpreadView(snapshot({ events: [...spreadEvents, { ...event(T0 - 1000, 'n4', 'member-updated', 'x'), member: 'n2', incarnation: 5 }] }, spreadNodes));
      expect(stale.rows[3].state).to.equal('waiting');
      expect(gossipSpreadView(snapshot()).fact).to.equal(null);
    });
  });

  describe('frames', () => {
    const check = (lines: string[], columns: number, rows: number): void => {
      expect(lines.length).to.be.at.most(rows - 1);
      for (const l of lines) expect([...l].length, l).to.be.at.most(columns);
    };

    it('80×24: the services panel takes the place of leases and config', () => {
      const lines = frame(stateWith(withPanels(), { type: 'show-panel', panel: 'services' }), 80, 24);
      check(lines, 80, 24);
      expect(lines[8].trimEnd()).to.equal('reach 2s ago           services · 2 services, 3 instances: 1 passing, 1 warni…');
      expect(lines[9].trimEnd()).to.equal('→    n1 n2 n3 n4 n5    SERVICE      INSTANCE     ADDRESS            HEALTH');
      expect(lines[10].trimEnd()).to.equal('n1    ·  ✓  ✓  ✓  ✓    payments     pay-2        10.0.0.2:8080      critical');
      expect(lines[12].trimEnd()).to.equal('n3    ✓  ✓  ·  ✓  ✓    web          web-1        10.0.0.3:80        warning');
      expect(lines[22]).to.equal('↑↓ k kill p pause r restart i isolate g split o one-way h heal tab panel ? q');
    });

    it('80×24: elections, watches and the gossip spread', () => {
      const elections = frame(stateWith(withPanels(), { type: 'show-panel', panel: 'elections' }), 80, 24);
      check(elections, 80, 24);
      expect(elections[10].trimEnd()).to.match(/^n1 +· +✓ +✓ +✓ +✓ +indexer +nobody +- +\? +-$/);
      expect(elections[11].trimEnd()).to.match(/scheduler +worker-a +17 +8s +worker-b wo…$/);
      const watches = frame(stateWith(withPanels(), { type: 'show-panel', panel: 'watches' }), 80, 24);
      check(watches, 80, 24);
      expect(watches[10].trimEnd()).to.match(/n1 +\/config\/color +40 +1 +3s$/);
      const spread = frame(stateWith(snapshot({ events: spreadEvents }, spreadNodes), { type: 'show-panel', panel: 'gossip' }), 80, 24);
      check(spread, 80, 24);
      expect(spread[8].trimEnd()).to.match(/gossip spread: n2 zone=eu$/);
      expect(spread[9].trimEnd()).to.match(/reached 2 of 3; waiting: n4$/);
      expect(spread[10].trimEnd()).to.match(/n1 +origin|n1 +\+0\.40s +▪+$/);
      expect(spread[12].trimEnd()).to.match(/n3 +\+1\.10s +▪+$/);
      expect(spread[13].trimEnd()).to.match(/n4 +waiting$/);
    });

    it('partition mode marks each node\'s side in the table and says what enter cuts', () => {
      const s = press(stateWith(snapshot()), 'g', { downArrow: true }, ' ').state;
      const lines = frame(s, 80, 24);
      check(lines, 80, 24);
      expect(lines[1]).to.match(/^partition: n1 n2 \| n3 n4 n5 · space moves/);
      expect(lines.slice(3, 8).map((l) => l.slice(0, 5))).to.deep.equal([' An1★', '›An2 ', ' Bn3 ', ' Bn4 ', ' Bn5 ']);
    });

    it('larger terminals and many nodes: still within the frame; with too many nodes for the matrix, the panel is one line', function () {
      this.timeout(30_000);
      const many = Array.from({ length: 12 }, (_, i) => node(`n${i + 1}`));
      for (const panel of ['services', 'elections', 'watches', 'gossip'] as const) {
        for (const [cols, rows, nodes] of [[120, 40, undefined], [80, 24, many]] as const) {
          const lines = frame(stateWith(withPanels(nodes ? { status: { ...withPanels().status, nodes: [...nodes] } } : {}), { type: 'show-panel', panel }), cols, rows);
          check(lines, cols, rows);
        }
      }
      const summary = frame(stateWith(withPanels({ status: { ...withPanels().status, nodes: many } }), { type: 'show-panel', panel: 'services' }), 80, 24);
      expect(summary.join('\n')).to.include('services: 2 services, 3 instances: 1 passing, 1 warning, 1 critical');
    });
  });
});
