import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { clusterPaths, type ClusterPaths } from '../../src/cluster/cluster-dir.js';
import { EventTimeline, followEventTimeline, matchesEventFilter, parseEventLine, parseSince, splitList } from '../../src/cluster/event-timeline.js';
import type { ClusterEvent } from '../../src/api/api-types.js';

/** The merged timeline over real files in a temp cluster dir (no processes). */
describe('event timeline: events.log + every node.log, merged', () => {
  let home: string;
  let paths: ClusterPaths;
  const nodeLog = (id: string) => path.join(paths.nodesDir, id, 'node.log');
  const append = (file: string, ...lines: (object | string)[]): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join(''));
  };
  const nodeEvent = (id: string, ts: number, type: string, extra: object = {}) => ({ level: 'info', event: true, ts, source: id, type, message: `${id} ${type}`, ...extra });
  const cliEvent = (ts: number, type: string, extra: object = {}) => ({ ts, source: 'cli', type, message: `cli ${type}`, ...extra });
  const keys = (events: ClusterEvent[]) => events.map((e) => `${e.ts}:${e.source}:${e.type}`);

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-events-'));
    paths = clusterPaths(home, 'demo');
    fs.mkdirSync(paths.dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('merges in time order; only node.log lines marked as events count; torn and foreign lines are skipped', () => {
    append(paths.eventsLog, cliEvent(100, 'cluster-up'), cliEvent(400, 'node-kill', { node: 'n2' }), 'not json', '{"ts":"soon","type":"x","message":"bad ts"}');
    append(nodeLog('n1'), nodeEvent('n1', 150, 'node-started'), { ts: 160, source: 'n1', level: 'info', message: 'plain log line' }, nodeEvent('n1', 500, 'raft-role-changed'));
    append(nodeLog('n2'), nodeEvent('n2', 120, 'node-started'), 'Error: crash trace\n    at x (y.js:1:1)', nodeEvent('n2', 400, 'raft-leader-changed'));
    fs.mkdirSync(path.join(paths.nodesDir, 'not-a-node'), { recursive: true });
    const t = new EventTimeline(paths).readTail();
    expect(keys(t.events)).to.deep.equal(['100:cli:cluster-up', '120:n2:node-started', '150:n1:node-started', '400:cli:node-kill', '400:n2:raft-leader-changed', '500:n1:raft-role-changed']);
    expect(t.truncatedFiles).to.deep.equal([]);
    expect(t.events[1]).to.deep.equal({ ts: 120, source: 'n2', type: 'node-started', message: 'n2 node-started' });
  });

  it('filters by time, by node (its own events and events about it), and by type (exact or prefix*)', () => {
    append(paths.eventsLog, cliEvent(100, 'cluster-up'), cliEvent(300, 'node-kill', { node: 'n2' }));
    append(nodeLog('n1'), nodeEvent('n1', 200, 'raft-role-changed'), nodeEvent('n1', 250, 'node-started'));
    append(nodeLog('n2'), nodeEvent('n2', 210, 'raft-leader-changed'));
    const read = (f: Parameters<EventTimeline['readTail']>[0]) => keys(new EventTimeline(paths).readTail(f).events);
    expect(read({ sinceMs: 210 })).to.deep.equal(['210:n2:raft-leader-changed', '250:n1:node-started', '300:cli:node-kill']);
    expect(read({ nodes: ['n2'] })).to.deep.equal(['210:n2:raft-leader-changed', '300:cli:node-kill']);
    expect(read({ types: ['raft-*'] })).to.deep.equal(['200:n1:raft-role-changed', '210:n2:raft-leader-changed']);
    expect(read({ types: ['node-kill', 'cluster-up'], nodes: ['n2'] })).to.deep.equal(['300:cli:node-kill']);
    expect(matchesEventFilter({ ts: 1, source: 'n1', type: 'raft', message: '' }, { types: ['raft-*'] })).to.equal(false);
  });

  it('keeps the last `limit` events', () => {
    append(paths.eventsLog, ...[5, 1, 4, 2, 3].map((ts) => cliEvent(ts, `e${ts}`)));
    expect(keys(new EventTimeline(paths).readTail({}, 2).events)).to.deep.equal(['4:cli:e4', '5:cli:e5']);
  });

  it('reads only the tail of a large file and says so, dropping the torn first line', () => {
    const lines = Array.from({ length: 400 }, (_, i) => cliEvent(i, 'tick', { pad: 'x'.repeat(40) }));
    append(paths.eventsLog, ...lines);
    const size = fs.statSync(paths.eventsLog).size;
    const t = new EventTimeline(paths, { maxBytesPerFile: 4096 }).readTail();
    expect(size).to.be.greaterThan(4096 * 5);
    expect(t.truncatedFiles).to.deep.equal([paths.eventsLog]);
    expect(t.events.length).to.be.within(20, 60);
    expect(t.events.at(-1)?.ts).to.equal(399);
    // Every event read is whole and consecutive up to the end: nothing torn, nothing skipped inside the tail.
    expect(t.events.map((e) => e.ts)).to.deep.equal(Array.from({ length: t.events.length }, (_, i) => 400 - t.events.length + i));
  });

  it('readNew continues after readTail with no gap and no duplicate, waits for a line’s newline, and picks up new nodes', () => {
    append(paths.eventsLog, cliEvent(1, 'cluster-up'));
    const timeline = new EventTimeline(paths);
    expect(keys(timeline.readTail().events)).to.deep.equal(['1:cli:cluster-up']);
    expect(timeline.readNew()).to.deep.equal([]);
    // A line written in two parts is read once, whole.
    const half = JSON.stringify(cliEvent(2, 'node-kill'));
    fs.appendFileSync(paths.eventsLog, half.slice(0, 10));
    expect(timeline.readNew()).to.deep.equal([]);
    fs.appendFileSync(paths.eventsLog, half.slice(10) + '\n');
    append(nodeLog('n3'), nodeEvent('n3', 3, 'node-started'));
    expect(keys(timeline.readNew())).to.deep.equal(['2:cli:node-kill', '3:n3:node-started']);
    expect(timeline.readNew()).to.deep.equal([]);
  });

  it('starts over when a file is replaced or truncated (down --purge, then up)', () => {
    append(paths.eventsLog, cliEvent(1, 'cluster-up'), cliEvent(2, 'node-kill'));
    const timeline = new EventTimeline(paths);
    timeline.readTail();
    fs.rmSync(paths.eventsLog);
    append(paths.eventsLog, cliEvent(10, 'cluster-up'));
    expect(keys(timeline.readNew())).to.deep.equal(['10:cli:cluster-up']);
    fs.truncateSync(paths.eventsLog, 0);
    append(paths.eventsLog, cliEvent(11, 'x'));
    expect(keys(timeline.readNew())).to.deep.equal(['11:cli:x']);
  });

  it('a tail that starts inside a multi-byte character still yields whole, intact events', () => {
    const message = 'ü✓é'.repeat(8);
    append(paths.eventsLog, ...Array.from({ length: 60 }, (_, i) => ({ ts: i, source: 'cli', type: 'note', message })));
    // 1025 is odd against lines of even byte length: the cut falls inside a character somewhere.
    for (const bytes of [1024, 1025, 1027]) {
      const events = new EventTimeline(paths, { maxBytesPerFile: bytes }).readTail().events;
      expect(events.length, `${bytes}`).to.be.greaterThan(3);
      for (const e of events) expect(e.message).to.equal(message);
      expect(events.at(-1)?.ts).to.equal(59);
    }
    // The byte offset after a tail read is exact: what is appended next reads whole.
    const timeline = new EventTimeline(paths, { maxBytesPerFile: 1025 });
    timeline.readTail();
    append(paths.eventsLog, { ts: 60, source: 'cli', type: 'note', message }, { ts: 61, source: 'cli', type: 'note', message });
    expect(timeline.readNew().map((e) => [e.ts, e.message === message])).to.deep.equal([
      [60, true],
      [61, true],
    ]);
  });

  it('a missing cluster dir reads as no events', () => {
    const t = new EventTimeline(clusterPaths(home, 'absent'));
    expect(t.readTail().events).to.deep.equal([]);
    expect(t.readNew()).to.deep.equal([]);
  });

  it('follow delivers appended events until aborted, including those that arrive just before', async () => {
    append(paths.eventsLog, cliEvent(1, 'cluster-up'));
    const timeline = new EventTimeline(paths);
    timeline.readTail();
    const seen: string[] = [];
    const stop = new AbortController();
    const done = followEventTimeline(timeline, {}, stop.signal, (e) => seen.push(e.type), 10);
    append(paths.eventsLog, cliEvent(2, 'node-kill'));
    const deadline = Date.now() + 5000;
    while (!seen.includes('node-kill') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    append(paths.eventsLog, cliEvent(3, 'node-start'));
    stop.abort();
    await done;
    expect(seen).to.deep.equal(['node-kill', 'node-start']);
  });

  it('parses --since as a duration back from now or as a date, and rejects anything else', () => {
    expect(parseSince('5m', 1_000_000)).to.equal(700_000);
    expect(parseSince('2025-01-31T10:00:00Z', 0)).to.equal(Date.UTC(2025, 0, 31, 10));
    expect(() => parseSince('yesterday', 0)).to.throw(CcmError, /neither a duration/);
    expect(() => parseSince('-5m', 0)).to.throw(CcmError, /negative/);
    expect(splitList(['n1,n2', ' n3 ', ''])).to.deep.equal(['n1', 'n2', 'n3']);
  });

  it('a node.log line without a source takes the node id; an events.log line without one is the cli', () => {
    expect(parseEventLine('{"event":true,"ts":1,"type":"x","message":"m"}', { file: 'f', nodeId: 'n4' })?.source).to.equal('n4');
    expect(parseEventLine('{"ts":1,"type":"x","message":"m"}', { file: 'f' })?.source).to.equal('cli');
    expect(parseEventLine('{"ts":1,"type":"x","message":"m"}', { file: 'f', nodeId: 'n4' })).to.equal(null);
    expect(parseEventLine('[1,2]', { file: 'f' })).to.equal(null);
  });
});
