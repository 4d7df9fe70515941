/**
 * The node program: `node dist/node-main.js --dir <cluster dir> --id <node id>` (this file and its imports,
 * bundled by scripts/bundle-node.ts).
 * Reads its place in the cluster from cluster.json, starts, and shuts down cleanly on SIGTERM.
 */
import path from 'node:path';
import { clusterPaths } from '../cluster/cluster-dir.js';
import { readClusterFile } from '../cluster/cluster-file.js';
import { nodeConfigFromCluster } from './node-config.js';
import { NodeRuntime } from './node-runtime.js';
import { composeNode } from './compose.js';

function argValue(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) {
    process.stderr.write(`usage: node-main.js --dir <cluster dir> --id <node id> (missing ${name})\n`);
    process.exit(2);
  }
  return v;
}

function logLine(level: string, message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ ts: Date.now(), source: process.argv[process.argv.indexOf('--id') + 1], level, message, ...fields }) + '\n');
}

const dir = path.resolve(argValue('--dir'));
const id = argValue('--id');
let runtime: NodeRuntime | null = null;

/**
 * The node's own bugs end it, with a clear last line; input from outside never gets here (every handler of remote
 * input answers or counts its errors: ccm_rejected_inputs_total{reason="handler_error"}). A broken invariant says so.
 */
function fatal(err: unknown): never {
  const e = err as Error | undefined;
  const what = e?.name?.includes('Invariant') ? 'an internal invariant was violated (a bug in ccm)' : 'an error escaped every handler (a bug in ccm)';
  logLine('fatal', `crashed: ${e?.message ?? String(err)}`, { why: what, error: e?.name, stack: e?.stack });
  process.exit(70);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    const exitSoon = setTimeout(() => process.exit(0), 3000);
    exitSoon.unref();
    void (runtime?.stop(sig) ?? Promise.resolve()).finally(() => process.exit(0));
  });
}

try {
  const paths = clusterPaths(path.dirname(dir), path.basename(dir));
  const file = readClusterFile(paths);
  runtime = new NodeRuntime(nodeConfigFromCluster(paths, file, id));
  await runtime.start(composeNode);
} catch (err) {
  logLine('fatal', `failed to start: ${(err as Error).message}`);
  await runtime?.stop('start failed').catch(() => undefined);
  process.exit(1);
}
