/**
 * `npm run bench -- wal [--seconds 3] [--rounds 2] [--batch 1,16] [--no-sync]`: the Raft log's write path alone, in this
 * process, on real files: Readies of `batch` entries (~300-byte commands) plus a hard state, each made durable as
 * RaftDriver does it: the SQLite store in one synchronous=FULL transaction; the segment store with one write and one
 * fdatasync of its segment inside a synchronous=NORMAL transaction (which also records the applied index, as the
 * driver's does). Stores interleaved (sqlite, segments, sqlite, ...), so machine load falls on both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Entry } from '../src/raft/index.js';
import { SqliteStateStore } from '../src/storage/applied-state.js';
import { openDatabase } from '../src/storage/database.js';
import { openRaftLogStorage, type RaftLogStoreKind } from '../src/storage/raft-log-store.js';
import { fmt, median, numberOption, out, percentile, stringOption } from './bench-support.js';

const COMMAND = JSON.stringify({ op: 'put', key: '/bench/wal/key-000', value: 'v'.repeat(256) });

interface Result {
  readiesPerSecond: number;
  entriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU (user + system) of this process per Ready: what the store costs apart from waiting for the disk. */
  cpuUsPerReady: number;
}

function measure(kind: RaftLogStoreKind, batch: number, seconds: number, sync: boolean): Result {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-bench-wal-'));
  const db = openDatabase(path.join(dataDir, 'state.db'));
  try {
    const state = new SqliteStateStore(db);
    const conf = { voters: ['n1'], learners: [] };
    const storage = openRaftLogStorage({ kind, db, dataDir, appliedIndex: 0, appliedConf: () => conf, buildSnapshot: () => ({ meta: { index: 0, term: 0, confState: conf }, data: '' }) });
    db.pragma(`synchronous = ${!sync ? 'OFF' : storage.logInDatabase ? 'FULL' : 'NORMAL'}`);
    const latencies: number[] = [];
    let index = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      const entries: Entry[] = [];
      for (let i = 0; i < batch; i++) entries.push({ index: ++index, term: 1, kind: 'normal', data: COMMAND });
      const t = performance.now();
      db.transaction(() => {
        storage.append(entries);
        storage.setHardState({ term: 1, vote: 'n1', commit: index });
        storage.persist(sync);
        state.setApplied(index - batch, 1);
        // Compacted now and then, as the driver does (its default is every 20,000 entries; here every 1,000).
        if (index - storage.firstIndex() >= 2000) storage.compact(index - 1000);
      })();
      latencies.push(performance.now() - t);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    return { readiesPerSecond: latencies.length / elapsed, entriesPerSecond: index / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpuUsPerReady: (cpu.user + cpu.system) / latencies.length };
  } finally {
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const seconds = numberOption(args, '--seconds', 3);
  const rounds = numberOption(args, '--rounds', 2);
  const batches = stringOption(args, '--batch', '1,16')
    .split(',')
    .map((b) => Number(b));
  if (batches.some((b) => !Number.isInteger(b) || b < 1 || b > 4096)) throw new Error('--batch takes whole numbers from 1 to 4096, comma-separated');
  const kinds: RaftLogStoreKind[] = ['sqlite', 'segments'];
  // Without syncs: what each store costs in CPU and write() calls alone, the part a slow disk hides.
  const sync = !args.includes('--no-sync');
  out(`Raft log writes, ${sync ? 'durable (one sync per Ready)' : 'NOT synced (--no-sync: CPU and write() cost only)'}, ${seconds} s per run, ${rounds} interleaved rounds, in ${os.tmpdir()} (a shared, loaded machine: compare within this run only)`);
  for (const batch of batches) {
    const results: Record<string, Result[]> = { sqlite: [], segments: [] };
    for (let round = 0; round < rounds; round++) {
      for (const kind of kinds) {
        const r = measure(kind, batch, seconds, sync);
        results[kind].push(r);
        out(`  round ${round + 1}  ${batch} entr${batch === 1 ? 'y ' : 'ies'} per Ready  ${kind.padEnd(8)}  ${fmt(r.readiesPerSecond).padStart(6)} syncs/s  ${fmt(r.entriesPerSecond).padStart(7)} entries/s  p50 ${fmt(r.p50Ms, 3)} ms  p99 ${fmt(r.p99Ms, 3)} ms  CPU ${fmt(r.cpuUsPerReady)} µs/Ready`);
      }
    }
    const med = (kind: string, f: (r: Result) => number): number => median(results[kind].map(f));
    out(
      `  ${batch} per Ready (medians): segments ${fmt(med('segments', (r) => r.readiesPerSecond))} vs sqlite ${fmt(med('sqlite', (r) => r.readiesPerSecond))} Readies/s: ` +
        `${(med('segments', (r) => r.readiesPerSecond) / med('sqlite', (r) => r.readiesPerSecond)).toFixed(2)}×; ` +
        `p50 ${fmt(med('segments', (r) => r.p50Ms), 3)} vs ${fmt(med('sqlite', (r) => r.p50Ms), 3)} ms; ` +
        `CPU ${fmt(med('segments', (r) => r.cpuUsPerReady))} vs ${fmt(med('sqlite', (r) => r.cpuUsPerReady))} µs per Ready`,
    );
  }
}
