/**
 * Keeps a node's resident memory near a soft target. Large values (a 1 MiB put is a 1 MiB string in the HTTP
 * body, the command, the Raft entry and each peer message) are allocated in V8's large-object space, which only
 * a major GC frees; V8 lets that garbage grow to a few times the live heap first (here: ~180 MB of heap for
 * ~70 MB live under 16 concurrent 1 MiB writes). Past the target, the governor asks V8 for a major GC (run as a
 * task of its own, a pause of tens of ms: the heap is mostly a few large strings, quick to mark). It is a soft
 * limit: unlike --max-old-space-size, a node whose live data really needs more memory never dies of OOM; while RSS
 * stays over the target anyway, the governor backs off (the interval doubles, up to MAX_INTERVAL_MS) rather than
 * collect over and over for nothing.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { Backoff } from '../time/backoff.js';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

/** The soft target: the bound of 256 MB less room for what one interval of heavy writing adds. */
export const DEFAULT_RSS_TARGET_BYTES = 192 * 1024 * 1024;
const CHECK_INTERVAL_MS = 250;
const MAX_INTERVAL_MS = 8000;

export class MemoryGovernor {
  private timer: NodeJS.Timeout | null = null;
  private readonly gc: GcFunction | null;
  /** How long to wait after a collection before the next one: doubles while RSS stays over the target. */
  private readonly spacing = new Backoff({ firstMs: CHECK_INTERVAL_MS, maxMs: MAX_INTERVAL_MS });
  private nextAllowedAt = 0;
  /** Major GCs the governor asked for. */
  collections = 0;

  constructor(
    private readonly targetBytes = DEFAULT_RSS_TARGET_BYTES,
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {
    this.gc = exposeGc();
  }

  start(): void {
    if (!this.gc || this.timer) return;
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether the governor can act (V8's gc() could be exposed). */
  get isActive(): boolean {
    return this.gc !== null;
  }

  /** One look at RSS (every CHECK_INTERVAL_MS); `now` in ms. */
  check(now = performance.now()): void {
    if (this.rss() <= this.targetBytes) {
      this.spacing.reset();
      return;
    }
    if (now < this.nextAllowedAt) return;
    // Each collection after which RSS stays over the target says the live data needs the memory: ask less often.
    this.nextAllowedAt = now + this.spacing.next();
    this.collections++;
    this.gc?.({ type: 'major', execution: 'async' });
  }
}

/** V8's gc(), exposed at run time (the node program is started without --expose-gc); null if V8 refuses. */
function exposeGc(): GcFunction | null {
  const existing = (globalThis as { gc?: GcFunction }).gc;
  if (typeof existing === 'function') return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    return null;
  }
}
