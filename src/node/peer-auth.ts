import type { PeerAuthView } from '../api/api-types.js';
import type { Keyring } from '../net/keyring.js';
import type { PeerAuthFailure } from '../net/tcp-transport.js';
import type { EventLog } from './event-log.js';

/** How far back the status looks when it says whether this node's key (or a peer's) is wrong. */
const RECENT_MS = 30_000;
/** One log line per source of failures per this long (an attacker must not be able to flood the log). */
const LOG_EVERY_MS = 10_000;
/** Sources remembered for rate limiting; bounded so a flood of addresses cannot grow memory. */
const MAX_SOURCES = 256;

/**
 * What this node knows about peer traffic that failed authentication: counts for the status and metrics, a
 * rate-limited log line per source, and the verdict in words — this node's key is not the cluster's (every
 * peer refuses its hello, nothing from any peer opens), or some peer's is not.
 */
export class PeerAuthMonitor {
  private total = 0;
  private unattributed = 0;
  private readonly byPeer = new Map<string, number>();
  private readonly lastRejectedFrom = new Map<string, number>();
  private readonly lastRefusedBy = new Map<string, number>();
  private lastAcceptedAtMs = -Infinity;
  private readonly lastLoggedAt = new Map<string, number>();

  constructor(
    private readonly selfId: string,
    private readonly log: EventLog,
    private readonly nowMs: () => number,
    private readonly ring: () => Keyring | null,
  ) {}

  /** Traffic from a peer authenticated (called for every delivered message: keep it cheap). */
  accepted(): void {
    this.lastAcceptedAtMs = this.nowMs();
  }

  failed(f: PeerAuthFailure): void {
    const now = this.nowMs();
    if (f.what === 'refused') {
      if (f.peer) remember(this.lastRefusedBy, f.peer, now);
    } else {
      this.total++;
      if (f.peer) {
        this.byPeer.set(f.peer, (this.byPeer.get(f.peer) ?? 0) + 1);
        remember(this.lastRejectedFrom, f.peer, now);
      } else {
        this.unattributed++;
      }
    }
    // By peer, or by the remote's address without its port (each connection comes from a new port).
    const source = `${f.what}/${f.peer ?? f.remote?.replace(/:\d+$/, '') ?? '?'}`;
    const last = this.lastLoggedAt.get(source);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    remember(this.lastLoggedAt, source, now);
    const message =
      f.what === 'refused'
        ? `${f.peer} refused our hello: ${f.reason}`
        : `${f.channel} ${f.what} ${f.peer ? `from ${f.peer}` : `from ${f.remote ?? 'an unknown sender'}`} dropped: ${f.reason}`;
    this.log.event('peer-auth-failed', message, { channel: f.channel, what: f.what, peer: f.peer, remote: f.remote ?? null });
  }

  view(): PeerAuthView {
    const now = this.nowMs();
    const ring = this.ring();
    const recent = (m: Map<string, number>): string[] => [...m].filter(([, at]) => now - at <= RECENT_MS).map(([p]) => p).sort();
    const refusedBy = recent(this.lastRefusedBy);
    const rejectedFrom = recent(this.lastRejectedFrom);
    const isCutOff = now - this.lastAcceptedAtMs > RECENT_MS;
    let problem: string | null = null;
    if (isCutOff && (refusedBy.length > 0 || rejectedFrom.length > 0)) {
      const who = [...new Set([...refusedBy, ...rejectedFrom])].sort().join(', ');
      problem =
        `this node's cluster key is not the cluster's: ${who} ${refusedBy.length > 0 ? 'refuse its hello' : 'send traffic it cannot authenticate'}, ` +
        `and nothing from any peer has authenticated for ${RECENT_MS / 1000} s (check ${this.selfId}'s keyring: ccm keyring list)`;
    } else if (rejectedFrom.length > 0 || refusedBy.length > 0) {
      const who = [...new Set([...refusedBy, ...rejectedFrom])].sort();
      problem = `${who.join(', ')} ${refusedBy.length > 0 ? `refuse${who.length === 1 ? 's' : ''} this node's hello` : 'send traffic that fails authentication here'} while other peers accept it: ${who.length === 1 ? 'its' : 'their'} cluster key is not this cluster's`;
    }
    return {
      encryption: ring ? 'aes-256-gcm' : 'off',
      keyring: ring ? ring.view() : null,
      rejected: { total: this.total, byPeer: Object.fromEntries(this.byPeer), unattributed: this.unattributed },
      refusedBy,
      problem,
    };
  }
}

function remember(map: Map<string, number>, key: string, at: number): void {
  map.delete(key);
  map.set(key, at);
  if (map.size > MAX_SOURCES) map.delete(map.keys().next().value as string);
}
