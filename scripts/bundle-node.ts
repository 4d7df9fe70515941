/**
 * Bundles the node program (dist/src/node/main.js and everything it imports, prom-client included) into one
 * file, dist/node-main.js. Node 20 loads ~90 ES modules one file at a time; one file starts in ~0.13 s of CPU
 * instead of ~0.2 s, which is what `ccm up --nodes 50` on two cores is made of. better-sqlite3 stays outside:
 * it loads a native addon from its own folder.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outfile = path.join(root, 'dist', 'node-main.js');
await build({
  entryPoints: [path.join(root, 'dist', 'src', 'node', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  // The CommonJS packages inside (prom-client) call require for Node's built-ins.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  logLevel: 'warning',
});
process.stdout.write(`${path.relative(root, outfile)}: the node program in one file\n`);

// ccm's own node for the exercise checks (SWIM + the emergent-leader rule as a Maelstrom node): five start per check.
const exerciseNode = path.join(root, 'dist', 'exercise-node.js');
await build({
  entryPoints: [path.join(root, 'dist', 'src', 'exercise', 'baseline', 'ccm-node-main.js')],
  outfile: exerciseNode,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
process.stdout.write(`${path.relative(root, exerciseNode)}: ccm's exercise node in one file\n`);
