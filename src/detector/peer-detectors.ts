import type { FailureDetector } from './failure-detector.js';

/** One peer's detector reading. */
export interface PeerReading {
  peer: string;
  phi: number;
  isAvailable: boolean;
  lastHeartbeatMs: number | undefined;
}

/**
 * A detector per peer, made on first heartbeat: the node feeds it every packet received from a peer, and
 * `ccm status` shows the readings. Bounded: beyond `maxPeers` the peer silent the longest is forgotten.
 */
export class PeerDetectors {
  private readonly detectors = new Map<string, FailureDetector>();

  constructor(private readonly create: () => FailureDetector, private readonly maxPeers = 10_000) {}

  heartbeat(peer: string, nowMs: number): void {
    let d = this.detectors.get(peer);
    if (d === undefined) {
      if (this.detectors.size >= this.maxPeers) this.evictStalest();
      d = this.create();
      this.detectors.set(peer, d);
    }
    d.heartbeat(nowMs);
  }

  /** phi for a peer; 0 for a peer never heard from. */
  phi(peer: string, nowMs: number): number {
    return this.detectors.get(peer)?.phi(nowMs) ?? 0;
  }

  isAvailable(peer: string, nowMs: number, threshold?: number): boolean {
    return this.detectors.get(peer)?.isAvailable(nowMs, threshold) ?? true;
  }

  remove(peer: string): void {
    this.detectors.delete(peer);
  }

  get size(): number {
    return this.detectors.size;
  }

  readings(nowMs: number, threshold?: number): PeerReading[] {
    return [...this.detectors.entries()]
      .map(([peer, d]) => ({ peer, phi: d.phi(nowMs), isAvailable: d.isAvailable(nowMs, threshold), lastHeartbeatMs: d.lastHeartbeatMs() }))
      .sort((a, b) => a.peer.localeCompare(b.peer));
  }

  private evictStalest(): void {
    let stalest: string | undefined;
    let oldest = Infinity;
    for (const [peer, d] of this.detectors) {
      const last = d.lastHeartbeatMs() ?? -Infinity;
      if (last < oldest) {
        oldest = last;
        stalest = peer;
      }
    }
    if (stalest !== undefined) this.detectors.delete(stalest);
  }
}
