import type { ConfigEntryView, ConfigMirrorView } from '../../api/api-types.js';
import type { KeyValue } from '../../core/kv-types.js';
import { CONFIG_PREFIX } from '../../services/config-manager.js';
import { decodeRecord, entryView, type ConfigRecord } from '../../services/config-values.js';
import type { GossipDriver } from '../gossip/gossip-driver.js';
import type { CorePort } from '../../services/core-port.js';
import { KeyMirror } from './key-mirror.js';
import type { NodeRuntime, NodeSubsystem } from '../node-runtime.js';

/**
 * The config revision goes into gossip meta at most this often (each publish is an incarnation bump and a round of
 * gossip on every node): a burst of changes publishes its first and, after the interval, its last revision.
 */
const PUBLISH_INTERVAL_MS = 1000;

/**
 * Every node's copy of the current configuration, fed by a watch on the config prefix. It knows the highest config
 * revision this node has applied and publishes it in gossip meta as `configVersion`, so `ccm config status` and the
 * TUI can tell which nodes have caught up with the latest change. Reads from it are local and may be stale.
 */
export class ConfigMirror implements NodeSubsystem {
  /** name → the version held, and when this node applied it (its wall clock; `ccm explain config`). */
  private readonly entries = new Map<string, { record: ConfigRecord; revision: number; appliedAtMs: number }>();
  private configRevision = 0;
  private published = -1;
  private publishedAtMs = -Infinity;
  private publishTimer: NodeJS.Timeout | null = null;
  private readonly mirror: KeyMirror;

  constructor(
    private readonly node: NodeRuntime,
    core: CorePort,
    private readonly gossip: GossipDriver,
  ) {
    this.mirror = new KeyMirror(node, core, CONFIG_PREFIX, {
      onLoad: (kvs) => {
        const before = new Map(this.entries);
        this.entries.clear();
        for (const kv of kvs) this.hold(kv, before);
        this.publish();
      },
      onEvents: (events) => {
        for (const e of events) {
          if (e.type === 'put') this.hold(e.kv);
          else this.entries.delete(e.kv.key.slice(CONFIG_PREFIX.length));
          this.configRevision = Math.max(this.configRevision, e.kv.modRevision);
        }
        this.publish();
      },
    });
  }

  afterListen(): void {
    this.mirror.start();
  }

  async stop(): Promise<void> {
    this.mirror.stop();
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
  }

  view(): ConfigMirrorView {
    let live = 0;
    for (const e of this.entries.values()) if (e.record.kind !== 'delete') live++;
    return { node: this.node.config.id, configRevision: this.configRevision, entries: live, isSynced: this.mirror.isSynced };
  }

  /** The entry as this node holds it (undefined: not set, or deleted). */
  get(name: string): ConfigEntryView | undefined {
    const e = this.entries.get(name);
    return e && e.record.kind !== 'delete' ? { ...entryView(e.record, e.revision), appliedHereAtMs: e.appliedAtMs } : undefined;
  }

  get isSynced(): boolean {
    return this.mirror.isSynced;
  }

  private hold(kv: KeyValue, previous = this.entries): void {
    const name = kv.key.slice(CONFIG_PREFIX.length);
    const held = previous.get(name);
    // a reload that finds the same version keeps the time it was first applied
    const appliedAtMs = held?.revision === kv.modRevision ? held.appliedAtMs : this.node.clock.nowMs();
    this.entries.set(name, { record: decodeRecord(kv.value), revision: kv.modRevision, appliedAtMs });
    // Never backwards: a member reloading through a voter that is behind keeps what it had applied.
    this.configRevision = Math.max(this.configRevision, kv.modRevision);
  }

  private publish(): void {
    if (this.configRevision === this.published || this.publishTimer) return;
    const waitMs = this.publishedAtMs + PUBLISH_INTERVAL_MS - this.node.clock.monotonicMs();
    if (waitMs > 0) {
      this.publishTimer = setTimeout(() => {
        this.publishTimer = null;
        this.publish();
      }, waitMs);
      return;
    }
    this.publishedAtMs = this.node.clock.monotonicMs();
    try {
      this.gossip.setMeta({ configVersion: this.configRevision });
      this.published = this.configRevision;
    } catch (err) {
      this.node.log.warn('cannot publish the config version in gossip meta', { error: (err as Error).message });
    }
  }
}
