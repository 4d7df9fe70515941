/**
 * Bundles the node program (dist/src/node/main.js and everything it imports, prom-client included) into one
 * file, dist/node-main.js. Node 20 loads ~90 ES modules one file at a time; one file starts in ~0.13 s of CPU
 * instead of ~0.2 s, which is what `ccm up --nodes 50` on two cores is made of. better-sqlite3 stays outside:
 * it loads a native addon from its own folder.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outfile = path.join(root, 'dist', 'node-main.js');
const shared = {
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: 'node20',
  external: ['better-sqlite3'],
  // The CommonJS packages inside (prom-client, grpc-js) call require for Node's built-ins.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  logLevel: 'warning' as const,
};
/**
 * The etcd API's gRPC side (grpc-js, protobufjs, etcd's services) is its own file, dist/etcd-grpc.js, loaded by a
 * node only when a client first connects to its etcd port (src/etcd/etcd-server.ts imports './etcd-grpc.js', which
 * is this file beside node-main.js, and the tsc output beside etcd-server.js): ~0.1 s of CPU less per node start.
 */
const etcdGrpcApart: Plugin = {
  name: 'etcd-grpc-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/etcd-grpc\.js$/ }, (args) => (args.importer.endsWith(path.join('etcd', 'etcd-server.js')) ? { path: './etcd-grpc.js', external: true } : undefined));
  },
};
await build({ ...shared, entryPoints: [path.join(root, 'dist', 'src', 'node', 'main.js')], outfile, plugins: [etcdGrpcApart] });
const etcdGrpcFile = path.join(root, 'dist', 'etcd-grpc.js');
await build({ ...shared, entryPoints: [path.join(root, 'dist', 'src', 'etcd', 'etcd-grpc.js')], outfile: etcdGrpcFile });
process.stdout.write(`${path.relative(root, outfile)}: the node program in one file (and ${path.relative(root, etcdGrpcFile)}, loaded on demand)\n`);

// ccm's own node for the exercise checks (SWIM + the emergent-leader rule as a Maelstrom node): five start per check.
const exerciseNode = path.join(root, 'dist', 'exercise-node.js');
await build({ ...shared, entryPoints: [path.join(root, 'dist', 'src', 'exercise', 'baseline', 'ccm-node-main.js')], outfile: exerciseNode });
process.stdout.write(`${path.relative(root, exerciseNode)}: ccm's exercise node in one file\n`);
