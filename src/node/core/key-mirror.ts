import type { KeyValue, WatchEvent } from '../../core/kv-types.js';
import type { NodeRuntime } from '../node-runtime.js';
import type { CorePort } from '../../services/core-port.js';

/** After losing its watch (or failing to load), a mirror loads again after this long. */
const RELOAD_DELAY_MS = 1000;
const LOAD_TIMEOUT_MS = 5000;

export interface KeyMirrorHandlers {
  /** The mirror (re)loaded: every key under the prefix as of `revision`. Replaces anything held before. */
  onLoad(kvs: KeyValue[], revision: number): void;
  /** Changes after the load, in revision order, one revision per call, none missed or repeated. */
  onEvents(events: WatchEvent[], revision: number): void;
}

/**
 * A node's own copy of every key under a prefix: read once, then kept current by a watch from the revision after
 * that read (so no change falls between the two). A voter reads and watches its own replica, so the copy is what
 * this node has applied; a member reads through a voter and relays its watch. If the watch ends (a member loses
 * every voter, or the history it needs was compacted), the copy loads again from scratch.
 */
export class KeyMirror {
  isSynced = false;
  private stopWatch: (() => void) | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;
  private isStopped = false;
  private loads = 0;
  private isFailing = false;

  constructor(
    private readonly node: NodeRuntime,
    private readonly core: CorePort,
    private readonly prefix: string,
    private readonly handlers: KeyMirrorHandlers,
  ) {}

  start(): void {
    // After the other subsystems' afterListen (the core starts its replica there).
    setImmediate(() => void this.load());
  }

  stop(): void {
    this.isStopped = true;
    this.isSynced = false;
    this.stopWatch?.();
    this.stopWatch = null;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
  }

  private async load(): Promise<void> {
    this.reloadTimer = null;
    if (this.isStopped) return;
    try {
      const r = await this.core.read({ kind: 'range', key: this.prefix, prefix: true }, true, { deadline: Date.now() + LOAD_TIMEOUT_MS, hops: 0 });
      if (this.isStopped) return;
      this.handlers.onLoad(r.kvs, r.revision);
      this.loads++;
      this.isSynced = true;
      this.isFailing = false;
      this.stopWatch = this.core.subscribe({ key: this.prefix, prefix: true, fromRevision: r.revision + 1 }, {
        onBatch: (b) => this.handlers.onEvents(b.events, b.revision),
        onError: (err) => {
          this.node.log.warn(`watch on ${this.prefix} ended; reloading`, { error: err.message, code: err.code });
          this.reloadSoon();
        },
      });
    } catch (err) {
      // Said once per outage, and not while the cluster starts (no leader, voters not up yet).
      if (this.loads > 0 && !this.isFailing) this.node.log.warn(`cannot load ${this.prefix}; retrying every ${RELOAD_DELAY_MS} ms`, { error: (err as Error).message });
      this.isFailing = true;
      this.reloadSoon();
    }
  }

  private reloadSoon(): void {
    this.isSynced = false;
    this.stopWatch?.();
    this.stopWatch = null;
    if (this.isStopped || this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => void this.load(), RELOAD_DELAY_MS);
  }
}
