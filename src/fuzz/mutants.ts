import { fileURLToPath } from 'node:url';
import type { FuzzPort } from './fuzz-run.js';

/**
 * Mutants of the node program: each takes one guard out of dist/node-main.js (the bundle a node runs), the way a
 * careless change would, so the fuzz suite can show that it notices (test/fuzz/fuzz-mutants.test.ts; `npm run fuzz
 * -- --mutants`). A mutant is applied in memory when a node loads its program (mutant-loader.ts); nothing on disk
 * changes, and production code carries no switch for it.
 *
 * Edits are exact texts of the bundle (esbuild keeps the code as written): when the code changes, `mutantProblem`
 * says which edit no longer matches, and the edit is updated with it.
 */
export interface Mutant {
  name: string;
  /** The port whose fuzzing must notice it. */
  port: FuzzPort;
  /** The guard it takes out. */
  what: string;
  edits: { find: string; replace: string }[];
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'http-url-parsed-before-try',
    port: 'http',
    what: "issue 11's first crash put back: the request target parsed with new URL() outside every try",
    edits: [
      {
        find: 'this.dispatch(req, res).catch((err) => this.failUnexpectedly(err, req, res));',
        replace: 'new URL(req.url ?? "/", "http://node");\n        this.dispatch(req, res).catch((err) => this.failUnexpectedly(err, req, res));',
      },
    ],
  },
  {
    name: 'http-route-schemas-off',
    port: 'http',
    what: "HTTP bodies and queries handed to the routes' handlers unchecked",
    edits: [{ find: 'const schemas = this.options.unsafeSkipSchemas ? {} : found.route.schemas;', replace: 'const schemas = {};' }],
  },
  {
    name: 'peer-rpc-params-unchecked',
    port: 'peer',
    what: "peer RPC requests' params handed to their methods unchecked",
    edits: [{ find: 'const paramsProblem = this.options.unsafeSkipChecks ? void 0 : entry.method.params.problem(req.params);', replace: 'const paramsProblem = void 0;' }],
  },
  {
    name: 'gossip-packet-schema-off',
    port: 'gossip',
    what: "a SWIM packet's schema check skipped (its limits still read it)",
    edits: [{ find: 'const shape = swimPacketCheck.problem(value);', replace: 'const shape = void 0;' }],
  },
  {
    name: 'peer-raft-schema-off',
    port: 'peer',
    what: 'Raft messages handed to the Raft driver unchecked',
    edits: [{ find: 'var BODY_PROBLEMS = {\n  raft: raftBodyProblem,', replace: 'var BODY_PROBLEMS = {\n  raft: () => void 0,' }],
  },
];

/** The file a node imports first (`node --import`) to run a mutant: mutant-loader.ts. */
export const MUTANT_LOADER = fileURLToPath(new URL('./mutant-loader.js', import.meta.url));

export function mutantNamed(name: string): Mutant | undefined {
  return MUTANTS.find((m) => m.name === name);
}

/** Why the mutant cannot be applied to `source` (an edit that does not match exactly once), or undefined. */
export function mutantProblem(source: string, mutant: Mutant): string | undefined {
  for (const { find } of mutant.edits) {
    const first = source.indexOf(find);
    if (first < 0) return `mutant ${mutant.name}: the node program no longer contains ${JSON.stringify(find)} (update the mutant)`;
    if (source.indexOf(find, first + 1) >= 0) return `mutant ${mutant.name}: ${JSON.stringify(find)} occurs more than once in the node program`;
  }
  return undefined;
}

export function applyMutant(source: string, mutant: Mutant): string {
  const problem = mutantProblem(source, mutant);
  if (problem !== undefined) throw new Error(problem);
  return mutant.edits.reduce((text, { find, replace }) => text.replace(find, () => replace), source);
}
