/**
 * The node program: `node dist/node-main.js --dir <cluster dir> --id <node id>` (this file and its imports,
 * bundled by scripts/bundle-node.ts), or `--agent <agent dir> --id <id>` for a detached `ccm agent`.
 * Reads its place in the cluster from cluster.json (or agent.json), starts, and shuts down cleanly on SIGTERM.
 */
import path from 'node:path';
import { clusterPaths } from '../cluster/cluster-dir.js';
import { readClusterFile } from '../cluster/cluster-file.js';
import { agentPidPath, readAgentSpec } from '../cluster/agent-config.js';
import { agentNodeConfig, nodeConfigFromCluster } from './node-config.js';
import { runNodeProcess } from './node-process.js';
import fs from 'node:fs';

function argValue(name: string, optional = false): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v && !optional) {
    process.stderr.write(`usage: node-main.js --dir <cluster dir> --id <node id> | --agent <agent dir> --id <id> (missing ${name})\n`);
    process.exit(2);
  }
  return v ?? '';
}

const id = argValue('--id');
const agentDir = argValue('--agent', true);
if (agentDir) {
  const dir = path.resolve(agentDir);
  await runNodeProcess(id, () => agentNodeConfig(dir, readAgentSpec(dir)), {
    onExit: () => fs.rmSync(agentPidPath(dir), { force: true }),
    sayErrorsOnStderr: true,
  });
} else {
  const dir = path.resolve(argValue('--dir'));
  await runNodeProcess(id, () => {
    const paths = clusterPaths(path.dirname(dir), path.basename(dir));
    return nodeConfigFromCluster(paths, readClusterFile(paths), id);
  });
}
