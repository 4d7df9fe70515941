import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The node program as launched: dist/node-main.js, the bundle of src/node/main.ts that `npm run build` writes
 * (scripts/bundle-node.ts), so that a node starts from one file.
 */
export const NODE_PROGRAM = fileURLToPath(new URL('../../node-main.js', import.meta.url));

/** Whether a process's command line runs the node program (a pid reused by another program does not). */
export function runsNodeProgram(args: readonly string[]): boolean {
  // By name, not full path: the same cluster may be driven from another checkout of ccm.
  return args.some((a) => path.basename(a) === path.basename(NODE_PROGRAM));
}
