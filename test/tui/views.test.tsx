import chalk from 'chalk';
import { expect } from 'chai';
import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { DashboardView } from '../../src/tui/dashboard-view.js';
import { NodeTable } from '../../src/tui/node-table.js';
import { ReachabilityMatrix } from '../../src/tui/reachability-matrix.js';
import { clockTime, createDashboardState, dashboardReducer, matrixView, nodeRows, type DashboardAction, type DashboardState } from '../../src/tui/status-model.js';
import type { DashboardSnapshot } from '../../src/tui/dashboard-snapshot.js';
import { plain } from './ink-harness.js';
import { T0, event, fullReach, node, raft, snapshot } from './snapshot-fixtures.js';

/** Renders once from fixed props and returns the frame's lines (colours stripped unless asked). */
function frameOf(element: React.ReactElement, opts: { isRaw?: boolean } = {}): string[] {
  const r = render(element);
  const f = r.lastFrame() ?? '';
  r.unmount();
  return (opts.isRaw ? f : plain(f)).split('\n');
}

const stateWith = (s: DashboardSnapshot, ...actions: DashboardAction[]): DashboardState =>
  [{ type: 'snapshot-received', snapshot: s } as DashboardAction, ...actions].reduce(dashboardReducer, createDashboardState());

const dashboard = (state: DashboardState, columns: number, rows: number, nowMs = T0) => frameOf(<DashboardView state={state} nowMs={nowMs} columns={columns} rows={rows} />);

describe('tui: views from fixed props (ink-testing-library)', () => {
  it('NodeTable: fixed columns, the pick marked, the emergent leader starred', () => {
    const nodes = [node('n1'), node('n2', { raft: raft('n2', { applied: 19 }) }), node('n3', { state: 'stopped', responding: false, pid: null }), node('n4')];
    const lines = frameOf(<NodeTable rows={nodeRows(snapshot({}, nodes), 'n2', T0)} />);
    expect(lines).to.deep.equal([
      '  NODE  ROLE      TERM COMMIT LAG  A/S/D   PHI  HEALTH   ELDR UPTIME  RST',
      '  n1★   leader    4    22     0    5/0/0   -    ok       n1   1m05s   0',
      '› n2    follower  4    20     3    5/0/0   -    ok       n1   1m05s   0',
      '  n3    stopped   -    -      -    -       -    -        -    -       0',
      '  n4    member    -    -      -    5/0/0   -    ok       n1   1m05s   0',
    ]);
  });

  it('NodeTable wide: adds applied/last, incarnation, reach, pid and host', () => {
    const [header, first] = frameOf(
      <Box width={140}>
        <NodeTable rows={nodeRows(snapshot(), null, T0)} isWide />
      </Box>,
    );
    expect(header).to.equal('  NODE  ROLE      TERM COMMIT APPLIED/LAST LAG  A/S/D   INC  PHI  HEALTH   ELDR REACH UPTIME  RST PID     HOST');
    expect(first).to.equal('  n1★   leader    4    22     22/22        0    5/0/0   1    -    ok       n1   all   1m05s   0   1001    -');
  });

  it('ReachabilityMatrix: a partition shows as a block of ✗, a down node as -', () => {
    const ids = ['n1', 'n2', 'n3', 'n4'];
    const reach = fullReach(ids);
    for (const a of ['n1', 'n2']) for (const b of ['n3', 'n4']) (reach[a][b] = false), (reach[b][a] = false);
    const nodes = [node('n1'), node('n2'), node('n3'), node('n4', { state: 'paused', responding: false })];
    const lines = frameOf(<ReachabilityMatrix matrix={matrixView(snapshot({ reachability: reach }, nodes), T0)} height={7} />);
    expect(lines.map((l) => l.trimEnd())).to.deep.equal([
      'reach 2s ago',
      '→    n1 n2 n3 n4',
      'n1    ·  ✓  ✗  -',
      'n2    ✓  ·  ✗  -',
      'n3    ✗  ✗  ·  -',
      'n4    -  -  -  ·',
      '',
    ]);
  });

  it('the whole screen at 80×24 is 23 lines, none wider than 80, with every panel in place', () => {
    const s = snapshot({
      leases: [{ resource: 'lock/orders', holder: 'worker-7', token: 41, ttlMs: 10_000, remainingMs: 6_400 }],
      configVersions: [
        { nodeId: 'n1', version: 7 },
        { nodeId: 'n2', version: 5 },
      ],
    });
    const lines = dashboard(stateWith(s), 80, 24);
    expect(lines).to.have.length(23);
    for (const l of lines) expect([...l].length, l).to.be.at.most(80);
    expect(lines[0]).to.equal(`ccm · demo  5 nodes: 5 up  leader n1 · term 4  ${clockTime(T0)}`);
    expect(lines[1].trim()).to.equal('');
    expect(lines[3]).to.match(/^› n1★ +leader/);
    expect(lines[8].trimEnd()).to.equal('reach 2s ago           leases                              config');
    expect(lines[9].trimEnd()).to.equal('→    n1 n2 n3 n4 n5    RESOURCE   HOLDER   TOKEN  TTL      n1   v7    current');
    expect(lines[10].trimEnd()).to.equal('n1    ·  ✓  ✓  ✓  ✓    lock/orde… worker-7 41     7s       n2   v5    behind 2');
    expect(lines[15]).to.equal('reach: all 5 up reach each other');
    expect(lines[16]).to.equal('events');
    expect(lines[17]).to.equal(`${clockTime(T0 - 5000)} cli  cluster-up: cluster demo up with 5 nodes`);
    expect(lines[22]).to.equal('↑↓ k kill p pause r restart i isolate g split o one-way h heal tab panel ? q');
  });

  it('the lease TTL counts down as nowMs advances (same snapshot, later time)', () => {
    const s = snapshot({ leases: [{ resource: 'lock/a', holder: 'w1', token: 3, ttlMs: 10_000, remainingMs: 6_400 }] });
    const ttlAt = (now: number) => /lock\/a\s+w1\s+3\s+(\S+)/.exec(dashboard(stateWith(s), 80, 24, now)[10])?.[1];
    expect(ttlAt(T0)).to.equal('7s');
    expect(ttlAt(T0 + 3_000)).to.equal('4s');
    expect(ttlAt(T0 + 7_000)).to.equal('expired');
  });

  it('says (none) for an empty lease list and (no … source yet) when nothing is wired', () => {
    const none = dashboard(stateWith(snapshot({ leases: [], configVersions: [] })), 80, 24);
    expect(none[9]).to.include('(none)');
    const unwired = dashboard(stateWith(snapshot()), 80, 24);
    expect(unwired[9]).to.include('(no lease source yet)');
    expect(unwired[9]).to.include('(no config source');
  });

  it('a failed poll shows a notice over the last good data, and the frame keeps its height', () => {
    const state = stateWith(snapshot(), { type: 'poll-failed', message: 'cluster "demo" does not exist', atMs: T0 + 4000 });
    const lines = dashboard(state, 80, 24, T0 + 5000);
    expect(lines).to.have.length(23);
    expect(lines[1]).to.equal('poll failed (1×; showing data from 5s ago): cluster "demo" does not exist');
    expect(lines[3]).to.match(/^› n1★ +leader/);
  });

  it('before the first snapshot the frame says connecting and still fits', () => {
    const lines = dashboard(createDashboardState(), 80, 24);
    expect(lines[0]).to.equal(`ccm  connecting…  ${clockTime(T0)}`);
    expect(lines.length).to.be.at.most(23);
  });

  it('an event message with newlines stays one line', () => {
    const s = snapshot({ events: [event(T0, 'cli', 'node-restart', 'restart failed:\n  line 1\n  line 2')] });
    const lines = dashboard(stateWith(s), 80, 24);
    expect(lines).to.have.length(23);
    expect(lines[17]).to.equal(`${clockTime(T0)} cli  node-restart: restart failed: line 1 line 2`);
  });

  it('help replaces the panels without changing the frame height', () => {
    const lines = dashboard(stateWith(snapshot(), { type: 'toggle-help' }), 80, 24);
    expect(lines).to.have.length(23);
    expect(lines[8]).to.equal('keys');
    expect(lines[10]).to.equal('k     kill the node (SIGKILL, a crash)');
  });

  it('a small terminal (50×12) gets the compact layout: one short line per node, within 11 lines and 50 columns', () => {
    const nodes = [node('n1'), node('n2', { state: 'paused', responding: false }), node('n3'), node('n4'), node('n5')];
    const lines = dashboard(stateWith(snapshot({}, nodes), { type: 'move-selection', delta: 1 }), 50, 12);
    expect(lines.length).to.be.at.most(11);
    for (const l of lines) expect([...l].length, l).to.be.at.most(50);
    expect(lines.slice(1, 3).map((l) => l.trimEnd())).to.deep.equal(['  n1★  leader   t4   lag 0   up 1m05s', '› n2   paused']);
    expect(lines.at(-1)).to.equal('k kill p pause r restart i isol h heal ? q');
  });

  it('a very small terminal (30×6) and many nodes (40 at 80×24) still fit', () => {
    const many = Array.from({ length: 40 }, (_, i) => node(`n${i + 1}`));
    for (const [cols, rows, nodes] of [
      [30, 6, undefined],
      [80, 24, many],
      [200, 50, many],
    ] as const) {
      const lines = dashboard(stateWith(snapshot({}, nodes ? [...nodes] : undefined)), cols, rows);
      expect(lines.length, `${cols}x${rows}`).to.be.at.most(rows - 1);
      for (const l of lines) expect([...l].length, `${cols}x${rows}: ${l}`).to.be.at.most(cols);
    }
    const wide = dashboard(stateWith(snapshot({}, [...many])), 80, 24);
    expect(wide[2]).to.match(/↓\d+$/);
    expect(wide.join('\n')).to.include('reach: all 40 up reach each other');
  });

  it('colour follows state: a stopped node in red, the leader in bold magenta', () => {
    const level = chalk.level;
    chalk.level = 1;
    try {
      const nodes = [node('n1'), node('n2', { state: 'stopped', responding: false, pid: null })];
      const raw = frameOf(<NodeTable rows={nodeRows(snapshot({}, nodes), null, T0)} />, { isRaw: true });
      expect(raw[2]).to.include(chalk.red('stopped  '));
      expect(raw[1]).to.include(chalk.bold.magenta('leader   '));
    } finally {
      chalk.level = level;
    }
  });
});
