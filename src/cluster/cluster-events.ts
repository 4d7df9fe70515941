import fs from 'node:fs';
import type { ClusterEvent } from '../api/api-types.js';
import type { ClusterPaths } from './cluster-dir.js';
import { EVENTS_LOG_MAX_BYTES, rotateSharedLogIfLarge } from './log-rotation.js';

/** Appends one event to the cluster's own timeline (events.log): what the CLI and the supervisor did. */
export function appendClusterEvent(paths: ClusterPaths, source: string, type: string, message: string, fields: Record<string, unknown> = {}): void {
  const e: ClusterEvent = { ts: Date.now(), source, type, message, ...fields };
  try {
    rotateSharedLogIfLarge(paths.eventsLog, EVENTS_LOG_MAX_BYTES);
    fs.appendFileSync(paths.eventsLog, JSON.stringify(e) + '\n');
  } catch {
    // The cluster dir may be gone (down --purge); an event we cannot record is not worth failing a command for.
  }
}
