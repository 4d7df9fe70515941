/**
 * The layers of src/, bottom to top (DESIGN.md, "Layers"). A folder may import only folders of a LOWER rank: never
 * one beside it or above it. So there can be no import cycle between folders, and the pure protocol cores cannot
 * reach I/O. Type-only imports count. `npm test` and `npm run test:unit` run this check (npm run check:deps).
 */
const LAYERS = [
  ['errors', 'time', 'random', 'schema'], // base: every layer may use them
  ['raft', 'swim', 'detector', 'core', 'check'], // pure protocol cores and history checkers: no I/O
  ['leader', 'replica'], // the emergent leader, on SWIM's membership; the replica loop over Raft's Ready (pure)
  ['storage', 'net'], // SQLite and sockets
  ['faults'], // the chaos vocabulary, as link-filter rules
  ['api'], // the HTTP API's contract: views, access policy, input rules
  ['services', 'etcd'], // coordination services on the core port; etcd's API on the core
  ['client', 'sim', 'etcd-core'], // the HTTP client and its recipes; deterministic simulations; the core port on a real etcd
  ['cluster', 'workload'], // a cluster directory and its processes; workloads that drive a cluster
  ['node'], // one node process: composition of all the above
  ['chaos', 'fuzz', 'explain', 'learn', 'cli'], // tools over a running cluster
  ['exercise', 'tui'], // the learning path and the live view
];

const rank = new Map(LAYERS.flatMap((folders, r) => folders.map((f) => [f, r])));
const folders = [...rank.keys()];

const layerRules = folders.map((folder) => {
  const notBelow = folders.filter((other) => other !== folder && rank.get(other) >= rank.get(folder));
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} (layer ${rank.get(folder)}) may import only lower layers; not ${notBelow.join(', ')}`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${notBelow.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'unlisted-folder',
      comment: 'every folder of src/ has a place in LAYERS (add a new one there, and to DESIGN.md)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: `^src/(${folders.join('|')})/` },
    },
    {
      name: 'src-imports-tools',
      comment: 'src/ never imports the CLI commands, scripts or tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(commands|scripts|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
