import { expect } from 'chai';
import {
  ACTION_LOG_MAX,
  ACTION_NOTICE_MS,
  chooseLayout,
  clockTime,
  configView,
  createDashboardState,
  dashboardReducer,
  eventLines,
  headerView,
  interpretKey,
  leasesView,
  majorityEmergentLeader,
  matrixView,
  nodeRows,
  noticeView,
  oneLine,
  tableWindowStart,
  type DashboardAction,
  type DashboardState,
} from '../../src/tui/status-model.js';
import { T0, event, fullReach, node, raft, snapshot } from './snapshot-fixtures.js';

const run = (state: DashboardState, ...actions: DashboardAction[]): DashboardState => actions.reduce(dashboardReducer, state);
const withSnapshot = (s = snapshot()): DashboardState => run(createDashboardState(), { type: 'snapshot-received', snapshot: s });

describe('tui: status model (pure reducer and selectors)', () => {
  describe('reducer', () => {
    it('picks the first node when the first snapshot arrives, and keeps the pick across snapshots', () => {
      let s = withSnapshot();
      expect(s.selectedId).to.equal('n1');
      s = run(s, { type: 'move-selection', delta: 2 }, { type: 'snapshot-received', snapshot: snapshot() });
      expect(s.selectedId).to.equal('n3');
    });

    it('moves the pick by one, clamped at both ends; Home/End jump to the ends', () => {
      let s = withSnapshot();
      s = run(s, { type: 'move-selection', delta: -1 });
      expect(s.selectedId).to.equal('n1');
      s = run(s, { type: 'move-selection', delta: 1 }, { type: 'move-selection', delta: 1 });
      expect(s.selectedId).to.equal('n3');
      s = run(s, { type: 'move-selection', delta: Infinity });
      expect(s.selectedId).to.equal('n5');
      s = run(s, { type: 'move-selection', delta: 1 });
      expect(s.selectedId).to.equal('n5');
      s = run(s, { type: 'move-selection', delta: -Infinity });
      expect(s.selectedId).to.equal('n1');
    });

    it('falls back to the first node when the picked one disappears from the cluster', () => {
      let s = run(withSnapshot(), { type: 'move-selection', delta: Infinity });
      expect(s.selectedId).to.equal('n5');
      s = run(s, { type: 'snapshot-received', snapshot: snapshot({}, [node('n1'), node('n2')]) });
      expect(s.selectedId).to.equal('n1');
    });

    it('a failed poll keeps the last snapshot and counts failures; the next good poll clears the notice', () => {
      const first = snapshot();
      let s = withSnapshot(first);
      s = run(s, { type: 'poll-failed', message: 'cluster gone', atMs: T0 + 1000 }, { type: 'poll-failed', message: 'cluster gone', atMs: T0 + 2000 });
      expect(s.snapshot).to.equal(first);
      expect(s.pollError).to.deep.equal({ message: 'cluster gone', atMs: T0 + 2000, consecutive: 2 });
      expect(noticeView(s, T0 + 3000).text).to.equal('poll failed (2×; showing data from 3s ago): cluster gone');
      s = run(s, { type: 'snapshot-received', snapshot: snapshot({ fetchedAtMs: T0 + 4000 }) });
      expect(s.pollError).to.equal(null);
      expect(noticeView(s, T0 + 4000).text).to.equal('');
    });

    it('a command is pending from start to finish, and its result lands in the bounded action log', () => {
      let s = withSnapshot();
      s = run(s, { type: 'command-started', command: { kind: 'kill', nodeId: 'n2' }, atMs: T0 });
      expect(s.pending?.command).to.deep.equal({ kind: 'kill', nodeId: 'n2' });
      expect(noticeView(s, T0).text).to.equal('running: kill n2…');
      s = run(s, { type: 'command-finished', command: { kind: 'kill', nodeId: 'n2' }, isOk: false, message: 'kill n2 failed: node n2 is not running', atMs: T0 + 5 });
      expect(s.pending).to.equal(null);
      expect(s.actionLog).to.deep.equal([{ atMs: T0 + 5, command: { kind: 'kill', nodeId: 'n2' }, isOk: false, message: 'kill n2 failed: node n2 is not running' }]);
      // The result stays on the notice line for a while, then the line clears (time is data: nowMs decides).
      expect(noticeView(s, T0 + 5 + ACTION_NOTICE_MS - 1)).to.deep.equal({ text: '✗ kill n2 failed: node n2 is not running', tone: 'bad' });
      expect(noticeView(s, T0 + 5 + ACTION_NOTICE_MS).text).to.equal('');
      for (let i = 0; i < ACTION_LOG_MAX + 10; i++) s = run(s, { type: 'command-refused', message: `no ${i}`, atMs: T0 + i });
      expect(s.actionLog).to.have.length(ACTION_LOG_MAX);
      expect(s.actionLog.at(-1)?.message).to.equal(`no ${ACTION_LOG_MAX + 9}`);
    });
  });

  describe('keys', () => {
    const key = (s: DashboardState, input: string, k = {}) => interpretKey(input, k, s, T0);

    it('k kills, r restarts, i isolates the picked node; h heals; q and Ctrl-C quit; there is no vi-style k for up', () => {
      const s = run(withSnapshot(), { type: 'move-selection', delta: 1 });
      expect(key(s, 'k')).to.deep.equal({ kind: 'run', command: { kind: 'kill', nodeId: 'n2' } });
      expect(key(s, 'r')).to.deep.equal({ kind: 'run', command: { kind: 'restart', nodeId: 'n2' } });
      expect(key(s, 'i')).to.deep.equal({ kind: 'run', command: { kind: 'isolate', nodeId: 'n2' } });
      expect(key(s, 'h')).to.deep.equal({ kind: 'run', command: { kind: 'heal' } });
      expect(key(s, 'q')).to.deep.equal({ kind: 'quit' });
      expect(key(s, 'c', { ctrl: true })).to.deep.equal({ kind: 'quit' });
      expect(key(s, 'j')).to.equal(null);
      expect(key(s, '', { upArrow: true })).to.deep.equal({ kind: 'dispatch', action: { type: 'move-selection', delta: -1 } });
      expect(key(s, '', { downArrow: true })).to.deep.equal({ kind: 'dispatch', action: { type: 'move-selection', delta: 1 } });
    });

    it('p pauses a running node and resumes a paused one; it refuses a stopped one, as k does', () => {
      const nodes = [node('n1'), node('n2', { state: 'paused', responding: false }), node('n3', { state: 'stopped', responding: false, pid: null })];
      let s = withSnapshot(snapshot({}, nodes));
      expect(key(s, 'p')).to.deep.equal({ kind: 'run', command: { kind: 'pause', nodeId: 'n1' } });
      s = run(s, { type: 'move-selection', delta: 1 });
      expect(key(s, 'p')).to.deep.equal({ kind: 'run', command: { kind: 'resume', nodeId: 'n2' } });
      s = run(s, { type: 'move-selection', delta: 1 });
      expect(key(s, 'p')).to.deep.include({ kind: 'dispatch' });
      expect(key(s, 'p')).to.have.nested.property('action.message', 'n3 is stopped; nothing to pause (r restarts it)');
      expect(key(s, 'k')).to.have.nested.property('action.message', 'n3 is already stopped (r restarts it)');
      expect(key(s, 'r')).to.deep.equal({ kind: 'run', command: { kind: 'restart', nodeId: 'n3' } });
    });

    it('refuses a second command while one runs, and any command before the first snapshot', () => {
      const busy = run(withSnapshot(), { type: 'command-started', command: { kind: 'restart', nodeId: 'n1' }, atMs: T0 });
      expect(key(busy, 'h')).to.deep.equal({ kind: 'dispatch', action: { type: 'command-refused', message: 'busy: restart n1 is still running', atMs: T0 } });
      expect(key(createDashboardState(), 'k')).to.have.nested.property('action.message', 'no node picked (no status yet)');
    });

    it('while help is shown a key only closes it (no kill by accident); q still quits', () => {
      const s = run(withSnapshot(), { type: 'toggle-help' });
      expect(s.isHelpVisible).to.equal(true);
      expect(key(s, 'k')).to.deep.equal({ kind: 'dispatch', action: { type: 'hide-help' } });
      expect(key(s, '?')).to.deep.equal({ kind: 'dispatch', action: { type: 'hide-help' } });
      expect(key(s, 'q')).to.deep.equal({ kind: 'quit' });
      expect(run(s, { type: 'hide-help' }).isHelpVisible).to.equal(false);
    });
  });

  describe('node rows', () => {
    it('shows role, term, commit and lag (leader last index − applied) for core nodes; members have no Raft columns', () => {
      const nodes = [
        node('n1'),
        node('n2', { raft: raft('n2', { applied: 15, commit: 18 }) }),
        node('n3', { raft: raft('n3', { role: 'candidate', term: 5 }) }),
        node('n4'),
      ];
      const rows = nodeRows(snapshot({}, nodes), 'n2', T0);
      expect(rows.map((r) => [r.id, r.role, r.term, r.commit, r.lag, r.isSelected])).to.deep.equal([
        ['n1', 'leader', '4', '22', '0', false],
        ['n2', 'follower', '4', '18', '7', true],
        ['n3', 'candidate', '5', '20', '2', false],
        ['n4', 'member', '-', '-', '-', false],
      ]);
      expect(rows[1].lagTone).to.equal('warn');
      expect(rows[0].roleTone).to.equal('accent');
    });

    it('a stopped, paused or silent node says so instead of stale numbers', () => {
      const nodes = [
        node('n1'),
        node('n2', { state: 'stopped', responding: false, pid: null, uptimeMs: null }),
        node('n3', { state: 'paused', responding: false }),
        node('n4', { responding: false }),
      ];
      const rows = nodeRows(snapshot({}, nodes), null, T0);
      expect(rows.map((r) => [r.role, r.term, r.gossip, r.uptime, r.pid])).to.deep.equal([
        ['leader', '4', '5/0/0', '1m05s', '1001'],
        ['stopped', '-', '-', '-', '-'],
        ['paused', '-', '-', '-', '1003'],
        ['silent', '-', '-', '-', '1004'],
      ]);
      expect(rows.slice(1).map((r) => r.roleTone)).to.deep.equal(['bad', 'warn', 'bad']);
    });

    it('with no leader anywhere, lag is unknown; two leaders: the higher term is the leader, the other is suspect', () => {
      const none = nodeRows(snapshot({}, [node('n1', { raft: raft('n1') }), node('n2')]), null, T0);
      expect(none.map((r) => r.lag)).to.deep.equal(['-', '-']);
      const two = nodeRows(snapshot({}, [node('n1'), node('n2', { raft: raft('n2', { role: 'leader', term: 9, lastIndex: 30 }) })]), null, T0);
      expect(two.map((r) => r.role)).to.deep.equal(['leader?', 'leader']);
      expect(two[0].lag).to.equal('8');
    });

    it('gossip counts, phi (when the node reports it), health, and the emergent leader each node sees', () => {
      const nodes = [
        node('n1', { gossip: { alive: 3, suspect: 1, dead: 1, left: 0, incarnation: 2, healthScore: 0, emergentLeader: 'n1' } }),
        node('n2', { gossip: { alive: 4, suspect: 0, dead: 0, left: 0, incarnation: 1, healthScore: 2, emergentLeader: 'n1', phi: { n1: 0.4, n3: 5.25 } } as never }),
        node('n3', { gossip: { alive: 1, suspect: 0, dead: 0, left: 0, incarnation: 7, healthScore: 0, emergentLeader: 'n3', maxPhi: 12 } as never }),
        { ...node('n4'), health: { status: 'critical' } } as never,
      ];
      const rows = nodeRows(snapshot({}, nodes), null, T0);
      expect(rows.map((r) => [r.gossip, r.gossipTone, r.phi, r.health, r.sees, r.seesTone, r.isEmergentLeader])).to.deep.equal([
        ['3/1/1', 'bad', '-', 'ok', 'n1', 'plain', true],
        ['4/0/0', 'good', '5.3', 'lg 2', 'n1', 'plain', false],
        ['1/0/0', 'good', '12.0', 'ok', 'n3', 'warn', false],
        ['5/0/0', 'good', '-', 'critical', 'n1', 'plain', false],
      ]);
      expect(rows[3].healthTone).to.equal('bad');
    });

    it('node details from the gossip view (phi, health verdict) take precedence over the status summary', () => {
      const nodeDetails = {
        n1: { maxPhi: 1.25, health: 'passing', configVersion: null },
        n2: { maxPhi: null, health: 'warning', configVersion: null },
        n3: { maxPhi: 9, health: null, configVersion: null },
      };
      const rows = nodeRows(snapshot({ nodeDetails }), null, T0);
      expect(rows.map((r) => [r.phi, r.phiTone, r.health, r.healthTone])).to.deep.equal([
        ['1.3', 'good', 'passing', 'good'],
        ['-', 'muted', 'warning', 'warn'],
        ['9.0', 'bad', 'ok', 'good'],
        ['-', 'muted', 'ok', 'good'],
        ['-', 'muted', 'ok', 'good'],
      ]);
    });

    it('the emergent-leader mark goes to the node most views name, and to none on a tie', () => {
      const views = (...leaders: string[]) => leaders.map((l, i) => node(`n${i + 1}`, { gossip: { alive: 1, suspect: 0, dead: 0, left: 0, incarnation: 1, healthScore: 0, emergentLeader: l } }));
      expect(majorityEmergentLeader(views('n1', 'n1', 'n3'))).to.equal('n1');
      expect(majorityEmergentLeader(views('n1', 'n3'))).to.equal(null);
      expect(majorityEmergentLeader([node('n1', { gossip: undefined })])).to.equal(null);
    });

    it('uptime advances with nowMs from the snapshot time (time is data)', () => {
      const s = snapshot();
      expect(nodeRows(s, null, T0)[0].uptime).to.equal('1m05s');
      expect(nodeRows(s, null, T0 + 10_000)[0].uptime).to.equal('1m15s');
    });
  });

  describe('reachability matrix', () => {
    it('marks cells ok, cut, down (either end not answering) and self; a clean cluster is one group', () => {
      const nodes = [node('n1'), node('n2'), node('n3', { state: 'stopped', responding: false, pid: null })];
      const reach = fullReach(['n1', 'n2', 'n3']);
      reach.n1.n2 = false;
      const m = matrixView(snapshot({ reachability: reach }, nodes), T0);
      expect(m.rows.map((r) => r.cells)).to.deep.equal([
        ['self', 'cut', 'down'],
        ['ok', 'self', 'down'],
        ['down', 'down', 'self'],
      ]);
      expect(m.groups).to.deep.equal([['n1', 'n2']]);
      expect(m.cuts).to.deep.equal(['n1→n2']);
      expect(m.summary).to.equal('cut: n1→n2');
      expect(m.probedAgo).to.equal('2s ago');
    });

    it('a link cut both ways inside a side (a partial partition) is listed, not hidden by the path around it', () => {
      const reach = fullReach(['n1', 'n2', 'n3']);
      reach.n1.n3 = false;
      reach.n3.n1 = false;
      const m = matrixView(snapshot({ reachability: reach }, [node('n1'), node('n2'), node('n3')]), T0);
      expect(m.groups).to.have.length(1);
      expect(m.summary).to.equal('cut: n1↔n3');
    });

    it('names the sides of a partition', () => {
      const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
      const reach = fullReach(ids);
      for (const b of ['n2', 'n3', 'n4', 'n5']) (reach.n1[b] = false), (reach[b].n1 = false);
      const m = matrixView(snapshot({ reachability: reach }), T0);
      expect(m.groups).to.deep.equal([['n1'], ['n2', 'n3', 'n4', 'n5']]);
      expect(m.summary).to.equal('partitioned: n1 | n2 n3 n4 n5');
      expect(m.summaryTone).to.equal('bad');
      expect(matrixView(snapshot(), T0).summary).to.equal('all 5 up reach each other');
    });

    it('a node that restarted after the probe shows ? (not a stale cut) and is left out of the summary', () => {
      const reach = fullReach(['n1', 'n2', 'n3']);
      reach.n1.n3 = false; // measured while n3 was restarting
      // Probed 3 s before the fetch; n3 has been up for 2 s.
      const s = snapshot({ reachability: reach, reachabilityProbedAtMs: T0 - 3000 }, [node('n1'), node('n2'), node('n3', { uptimeMs: 2000 })]);
      const m = matrixView(s, T0);
      expect(m.rows.map((r) => r.cells)).to.deep.equal([
        ['self', 'ok', 'unknown'],
        ['ok', 'self', 'unknown'],
        ['unknown', 'unknown', 'self'],
      ]);
      expect(m.summary).to.equal('all 2 up reach each other (n3 started since the probe)');
    });

    it('before the first probe every live pair is unknown', () => {
      const m = matrixView(snapshot({ reachability: null, reachabilityProbedAtMs: null }), T0);
      expect(m.rows[0].cells).to.deep.equal(['self', 'unknown', 'unknown', 'unknown', 'unknown']);
      expect(m.summary).to.equal('not probed yet');
      expect(m.probedAgo).to.equal(null);
    });
  });

  describe('leases and config panels', () => {
    it('says (no lease source yet) when no hook is wired, (none) when there are none, and the error when it failed', () => {
      expect(leasesView(snapshot(), T0).note).to.equal('(no lease source yet)');
      expect(leasesView(snapshot({ leases: [] }), T0).note).to.equal('(none)');
      expect(leasesView(snapshot({ leasesError: 'no leader\nretry' }), T0)).to.deep.include({ note: 'error: no leader retry', noteTone: 'bad' });
    });

    it('counts TTLs down from the snapshot time as nowMs advances, to expired', () => {
      const s = snapshot({ leases: [{ resource: 'lock/b', holder: 'c2', token: 41, ttlMs: 10_000, remainingMs: 9_500 }, { resource: 'lock/a', holder: 'c1', token: 7, ttlMs: 10_000, remainingMs: 2_000 }] });
      expect(leasesView(s, T0).rows.map((r) => [r.resource, r.token, r.ttl, r.ttlTone])).to.deep.equal([
        ['lock/a', '7', '2s', 'warn'],
        ['lock/b', '41', '10s', 'good'],
      ]);
      expect(leasesView(s, T0 + 2_500).rows.map((r) => r.ttl)).to.deep.equal(['expired', '7s']);
    });

    it('shows each node config version and who is behind the newest', () => {
      const s = snapshot({ configVersions: [{ nodeId: 'n1', version: 7 }, { nodeId: 'n2', version: 5 }, { nodeId: 'n3', version: null }] });
      expect(configView(s).rows.map((r) => [r.nodeId, r.version, r.state])).to.deep.equal([
        ['n1', 'v7', 'current'],
        ['n2', 'v5', 'behind 2'],
        ['n3', '-', '?'],
      ]);
      expect(configView(snapshot()).note).to.equal('(no config source yet)');
    });

    it('without a config source, uses the versions nodes gossip; a wired source wins', () => {
      const nodeDetails = { n1: { maxPhi: null, health: null, configVersion: 3 }, n2: { maxPhi: null, health: null, configVersion: 2 } };
      const gossiped = configView(snapshot({ nodeDetails }));
      expect(gossiped.rows.map((r) => `${r.nodeId} ${r.version} ${r.state}`)).to.deep.equal(['n1 v3 current', 'n2 v2 behind 1', 'n3 - ?', 'n4 - ?', 'n5 - ?']);
      expect(configView(snapshot({ nodeDetails: { n1: { maxPhi: 0, health: null, configVersion: null } } })).note).to.equal('(no config source yet)');
      expect(configView(snapshot({ nodeDetails, configVersions: [{ nodeId: 'n1', version: 9 }] })).rows).to.have.length(1);
    });
  });

  describe('events panel and header', () => {
    it('merges cluster events and this view’s results in time order, the latest `count` of them, one line each', () => {
      const events = [event(T0 + 1, 'n1', 'node-started', 'n1 started'), event(T0 + 3, 'cli', 'node-kill', 'killed n2\n(SIGKILL)'), event(T0 + 4, 'supervisor', 'node-restarted', 'restarted n2')];
      const log = [{ atMs: T0 + 2, command: null, isOk: false, message: 'busy' }];
      const lines = eventLines(events, log, 10);
      expect(lines.map((l) => [l.source, l.text, l.tone])).to.deep.equal([
        ['n1', 'node-started: n1 started', 'info'],
        ['you', '✗ busy', 'bad'],
        ['cli', 'node-kill: killed n2 (SIGKILL)', 'bad'],
        ['sup', 'node-restarted: restarted n2', 'info'],
      ]);
      expect(eventLines(events, log, 1).map((l) => l.source)).to.deep.equal(['sup']);
      expect(lines[0].time).to.equal(clockTime(T0 + 1));
    });

    it('strips control characters from outside text (an ESC in a message cannot move the cursor)', () => {
      expect(oneLine('a\u001b[2Jb\r\nc\td')).to.equal('a[2Jb c d');
    });

    it('the header counts nodes by state and names the leader and term', () => {
      const nodes = [node('n1'), node('n2', { state: 'stopped', responding: false }), node('n3', { state: 'paused', responding: false }), node('n4', { responding: false })];
      const h = headerView(withSnapshot(snapshot({}, nodes)), T0);
      expect(h.counts).to.equal('4 nodes: 1 up, 1 silent, 1 paused, 1 stopped');
      expect(h.leader).to.equal('leader n1 · term 4');
      expect(headerView(createDashboardState(), T0).counts).to.equal('connecting…');
    });
  });

  describe('layout', () => {
    const total = (l: ReturnType<typeof chooseLayout>) =>
      l.kind === 'compact' ? 3 + l.tableRows + l.eventLines : 3 + 1 + l.tableRows + l.middleHeight + 1 + l.eventLines;

    it('fills exactly rows − 1 lines at 80×24, with the full matrix and five event lines for five nodes', () => {
      const l = chooseLayout(80, 24, 5);
      expect(l).to.deep.include({ kind: 'normal', tableRows: 5, middle: 'matrix', middleHeight: 8, eventLines: 5 });
      expect(total(l)).to.equal(23);
    });

    it('never exceeds rows − 1 lines, for any size from tiny to huge and 0 to 40 nodes', () => {
      for (const [cols, rows] of [[40, 10], [59, 30], [60, 15], [80, 24], [100, 18], [120, 35], [200, 50], [300, 80]])
        for (const n of [0, 1, 3, 5, 12, 40]) {
          const l = chooseLayout(cols, rows, n);
          expect(total(l), `${cols}x${rows} n=${n}`).to.be.at.most(rows - 1);
          expect(l.eventLines, `${cols}x${rows} n=${n}`).to.be.at.least(0);
        }
    });

    it('is compact under 60 columns or 15 rows, wide from 130 columns; too many nodes for the matrix gives a summary', () => {
      expect(chooseLayout(59, 40, 5).kind).to.equal('compact');
      expect(chooseLayout(100, 14, 5).kind).to.equal('compact');
      expect(chooseLayout(200, 50, 5).kind).to.equal('wide');
      expect(chooseLayout(80, 24, 12).middle).to.equal('summary');
    });

    it('shows a window of rows around the pick when not all nodes fit', () => {
      const ids = Array.from({ length: 20 }, (_, i) => `n${i + 1}`);
      expect(tableWindowStart(ids, 'n1', 5)).to.equal(0);
      expect(tableWindowStart(ids, 'n10', 5)).to.equal(7);
      expect(tableWindowStart(ids, 'n20', 5)).to.equal(15);
      expect(tableWindowStart(ids.slice(0, 3), 'n3', 5)).to.equal(0);
    });
  });
});
