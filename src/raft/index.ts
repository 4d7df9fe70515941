/** The public surface of the Raft core. */
export * from './messages.js';
export * from './errors.js';
export * from './raft-config.js';
export * from './storage.js';
export * from './ready.js';
export { RawNode } from './raft-node.js';
export type { ProgressState } from './progress.js';
