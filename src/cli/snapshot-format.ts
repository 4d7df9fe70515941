import type { SnapshotHeader } from '../cluster/snapshot-file.js';

/** `1.2 MiB` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** What a snapshot holds, as `snapshot save` and `snapshot status` print it. */
export function snapshotLines(h: SnapshotHeader): string[] {
  return [
    `  cluster ${h.cluster}, taken from ${h.node} at ${new Date(h.takenAtMs).toISOString()} (raft index ${h.index}, term ${h.term})`,
    `  revision ${h.revision} (history kept from ${h.compactRevision}), ${h.keys} keys, ${h.leases} leases`,
    `  sha256 ${h.sha256}`,
  ];
}
