import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Command } from '../../src/core/commands.js';
import { applyCommand } from '../../src/core/state-machine.js';
import { SnapshotTransfer, type SnapshotWire } from '../../src/node/raft/snapshot-transfer.js';
import type { SnapshotMessage } from '../../src/raft/index.js';
import { SqliteStateStore } from '../../src/storage/applied-state.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { SnapshotStaging } from '../../src/storage/snapshot-staging.js';

const CONF = { voters: ['n1', 'n2'], learners: [] };
const CHUNK = 8 * 1024;
const TIMINGS = { pullStallMs: 60, pullGiveUpMs: 5000, sendIdleMs: 2000 };
const silentLog = { event: () => undefined, warn: () => undefined };

interface Sent {
  from: string;
  to: string;
  body: SnapshotWire;
  blob?: Buffer;
}

/** The peer connection between two transfers: delivers on a later turn (as sockets do), and can be cut. */
class Network {
  readonly nodes = new Map<string, SnapshotTransfer>();
  readonly log: Sent[] = [];
  isCut = false;
  /** Called on each message before delivery; return false to lose it. */
  filter: (m: Sent) => boolean = () => true;

  sender(from: string): (to: string, body: SnapshotWire, blob?: Buffer) => void {
    return (to, body, blob) => {
      const m: Sent = { from, to, body, ...(blob ? { blob } : {}) };
      this.log.push(m);
      if (this.isCut || !this.filter(m)) return;
      // As the wire does: the body as JSON, the blob as bytes of its own.
      const wireBody: unknown = JSON.parse(JSON.stringify(body));
      const wireBlob = blob ? Buffer.from(blob) : undefined;
      setImmediate(() => this.nodes.get(to)?.receive(from, wireBody, wireBlob));
    };
  }

  chunks(): Sent[] {
    return this.log.filter((m) => m.body.type === 'chunk');
  }
}

class Replica {
  readonly db: SqliteDatabase;
  readonly state: SqliteStateStore;
  readonly staging: SnapshotStaging;
  index = 0;

  constructor(readonly file: string) {
    this.db = openDatabase(file);
    this.state = new SqliteStateStore(this.db);
    this.staging = new SnapshotStaging(this.db);
    this.index = this.state.appliedIndex().index;
  }

  apply(...commands: Command[]): void {
    this.db.transaction(() => {
      for (const c of commands) applyCommand(this.state, c, ++this.index);
      this.state.setApplied(this.index, 2);
      this.state.setConfState(CONF);
    })();
  }
}

describe('snapshots streamed in chunks: the transfer protocol (snapshot-transfer)', () => {
  let dir: string;
  let net: Network;
  const stops: (() => void)[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-snapxfer-'));
    net = new Network();
  });
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A leader with `values` keys of `valueBytes`, ready to send its state at its applied index. */
  function leaderWith(values: number, valueBytes: number) {
    const replica = new Replica(path.join(dir, 'n1.db'));
    for (let i = 0; i < values; i++) replica.apply({ op: 'put', key: `/k/${String(i).padStart(4, '0')}`, value: String(i % 10).repeat(valueBytes) });
    const finished: boolean[] = [];
    let onFinished: (ok: boolean) => void = () => undefined;
    const done = new Promise<boolean>((resolve) => (onFinished = resolve));
    const transfer = new SnapshotTransfer({
      selfId: 'n1',
      dbPath: replica.file,
      staging: replica.staging,
      send: net.sender('n1'),
      stepOffer: () => undefined,
      onSendFinished: (_to, ok) => {
        finished.push(ok);
        onFinished(ok);
      },
      committedIndex: () => replica.index,
      nowMs: () => performance.now(),
      log: silentLog,
      timings: TIMINGS,
      chunkBytes: CHUNK,
    });
    net.nodes.set('n1', transfer);
    transfer.start();
    stops.push(() => {
      transfer.stop();
      if (replica.db.open) replica.db.close();
    });
    const offer: SnapshotMessage = { type: 'snap', from: 'n1', to: 'n2', term: 3, snapshot: { meta: { index: replica.index, term: 2, confState: CONF }, data: '' } };
    return { replica, transfer, finished, done, offer };
  }

  /** A follower whose "driver" installs a staged offer the way RaftDriver does (in one transaction), then says so. */
  function follower() {
    const replica = new Replica(path.join(dir, 'n2.db'));
    let installs = 0;
    const transfer: SnapshotTransfer = new SnapshotTransfer({
      selfId: 'n2',
      dbPath: replica.file,
      staging: replica.staging,
      send: net.sender('n2'),
      stepOffer: (m) => {
        const { index, term } = m.snapshot.meta;
        replica.db.transaction(() => replica.state.adoptSnapshot(replica.staging.install(), index, term, m.snapshot.meta.confState))();
        installs++;
        transfer.installed({ leader: m.from, index, term }, true);
      },
      onSendFinished: () => undefined,
      committedIndex: () => replica.state.appliedIndex().index,
      nowMs: () => performance.now(),
      log: silentLog,
      timings: TIMINGS,
      windowChunks: 3,
    });
    net.nodes.set('n2', transfer);
    transfer.start();
    const stop = (): void => {
      transfer.stop();
      net.nodes.delete('n2');
      if (replica.db.open) replica.db.close();
    };
    stops.push(stop);
    return { replica, transfer, installs: () => installs, stop };
  }

  it('streams the state in bounded chunks, with at most the window unacknowledged, and installs it', async () => {
    const leader = leaderWith(60, 3000);
    const f = follower();
    let unacked = 0;
    let maxUnacked = 0;
    net.filter = (m) => {
      if (m.body.type === 'chunk') maxUnacked = Math.max(maxUnacked, ++unacked);
      if (m.body.type === 'pull' && !m.body.resume) unacked--;
      return true;
    };
    leader.transfer.open(leader.offer);
    f.transfer.onOffer(leader.offer);
    expect(await leader.done).to.equal(true);
    expect(f.installs()).to.equal(1);
    expect(f.replica.state.dump()).to.deep.equal(leader.replica.state.dump());
    const chunks = net.chunks();
    expect(chunks.length).to.be.greaterThan(20);
    expect(Math.max(...chunks.map((c) => c.blob?.length ?? 0))).to.be.at.most(CHUNK + 2 * 3000);
    expect(maxUnacked).to.be.at.most(3);
    expect(leader.transfer.stats).to.include({ sendsCompleted: 1, sendsFailed: 0 });
    expect(f.transfer.stats).to.include({ installs: 1, badChunks: 0 });
  });

  it('a connection dropped mid-transfer loses chunks; the follower asks again from its position and completes', async () => {
    const leader = leaderWith(60, 3000);
    const f = follower();
    let delivered = 0;
    net.filter = (m) => {
      if (m.body.type !== 'chunk') return true;
      delivered++;
      if (delivered === 8) {
        net.isCut = true; // the connection drops: this chunk and whatever follows is lost...
        setTimeout(() => (net.isCut = false), 150); // ...until it is dialled again
        return false;
      }
      return true;
    };
    leader.transfer.open(leader.offer);
    f.transfer.onOffer(leader.offer);
    expect(await leader.done).to.equal(true);
    expect(f.transfer.stats.resumes).to.be.greaterThan(0);
    expect(f.replica.state.dump()).to.deep.equal(leader.replica.state.dump());
  });

  it('the follower crashes mid-transfer and restarts: it resumes from the last chunk it wrote, not from the start', async () => {
    const leader = leaderWith(60, 3000);
    const first = follower();
    let received = 0;
    let restarted: ReturnType<typeof follower> | null = null;
    const crashed = new Promise<void>((resolve) => {
      net.filter = (m) => {
        if (m.body.type === 'chunk' && m.to === 'n2' && ++received === 10 && !restarted) {
          first.stop(); // the process dies with chunks in flight
          resolve();
        }
        return true;
      };
    });
    leader.transfer.open(leader.offer);
    first.transfer.onOffer(leader.offer);
    await crashed;
    net.filter = () => true;
    restarted = follower(); // same database file: the staging row and rows written so far are there
    const staged = restarted.replica.staging.progress();
    expect(staged?.chunks).to.be.within(5, 10);
    restarted.transfer.leaderKnown('n1'); // the driver says so once it hears the leader
    expect(await leader.done).to.equal(true);
    expect(restarted.replica.state.dump()).to.deep.equal(leader.replica.state.dump());
    const total = staged!.chunks + restarted.transfer.stats.chunksReceived;
    expect(restarted.transfer.stats.chunksReceived).to.be.lessThan(total - 4);
  });

  it('refuses a corrupted chunk (counted), and gets it again', async () => {
    const leader = leaderWith(30, 3000);
    const f = follower();
    let n = 0;
    const corrupt = net.sender('n1');
    net.filter = (m) => {
      if (m.body.type === 'chunk' && ++n === 3 && m.blob) {
        corrupt('n2', m.body, m.blob.subarray(1)); // one byte short: the rows no longer add up
        return false;
      }
      return true;
    };
    leader.transfer.open(leader.offer);
    f.transfer.onOffer(leader.offer);
    expect(await leader.done).to.equal(true);
    expect(f.transfer.stats.badChunks).to.equal(1);
    expect(f.replica.state.dump()).to.deep.equal(leader.replica.state.dump());
  });

  it('the leader gives up a session whose follower went silent, and reports the snapshot as not sent', async () => {
    const leader = leaderWith(30, 3000);
    const f = follower();
    net.filter = (m) => !(m.body.type === 'chunk' && net.chunks().length > 4 && (f.stop(), true));
    leader.transfer.open(leader.offer);
    f.transfer.onOffer(leader.offer);
    expect(await leader.done).to.equal(false);
    expect(leader.transfer.stats).to.include({ sendsFailed: 1, sendsCompleted: 0 });
  });

  it('a pull for a snapshot the leader is not sending is answered with abort, and the follower stops pulling', async () => {
    const leader = leaderWith(5, 100);
    const f = follower();
    f.transfer.onOffer(leader.offer); // the leader never opened a session for it
    await new Promise((r) => setTimeout(r, 100));
    expect(net.log.map((m) => m.body.type)).to.deep.equal(['pull', 'abort']);
    expect(f.transfer.status().receiving).to.equal(null);
    expect(f.replica.staging.progress()?.index).to.equal(leader.offer.snapshot.meta.index); // kept for the next offer
  });
});
