/**
 * The simulator's application: an append-only log reduced to a running hash. Applying an entry folds its
 * (index, term, kind, data) into the hash, so two nodes that applied different entries anywhere in their
 * history disagree on the hash at every later index. A snapshot is the hash and a count.
 */
import type { Entry, Snapshot } from '../../raft/index.js';

export class AppendLogMachine {
  /** Index of the last entry applied (or of the snapshot loaded). */
  appliedIndex = 0;
  /** FNV-1a over everything applied. */
  hash = 0x811c9dc5;
  /** Non-empty normal entries applied (client commands). */
  commands = 0;

  apply(e: Entry): void {
    let h = this.hash;
    h = fnv(h, `${e.index}/${e.term}/${e.kind}/`);
    h = fnv(h, e.data);
    this.hash = h;
    this.appliedIndex = e.index;
    if (e.kind === 'normal' && e.data !== '') this.commands++;
  }

  snapshotData(): string {
    return `${this.hash}:${this.commands}`;
  }

  static fromSnapshot(s: Snapshot): AppendLogMachine {
    const m = new AppendLogMachine();
    m.appliedIndex = s.meta.index;
    if (s.data !== '') {
      const [hash, commands] = s.data.split(':');
      m.hash = Number(hash);
      m.commands = Number(commands);
    }
    return m;
  }
}

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
