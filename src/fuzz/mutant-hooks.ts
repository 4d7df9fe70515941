import { applyMutant, mutantNamed, type Mutant } from './mutants.js';

/** TEST-ONLY module hooks (registered by mutant-loader.ts): the node program (node-main.js) is loaded with one mutant applied. */
let mutant: Mutant | undefined;

export function initialize(data: { mutant: string }): void {
  mutant = mutantNamed(data.mutant);
  if (!mutant) throw new Error(`no mutant named ${data.mutant}`);
}

interface LoadResult {
  format?: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}

export async function load(url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<LoadResult>): Promise<LoadResult> {
  const loaded = await nextLoad(url, context);
  if (!mutant || !url.endsWith('/node-main.js') || loaded.source === undefined) return loaded;
  const source = typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source as Uint8Array).toString('utf8');
  return { ...loaded, source: applyMutant(source, mutant), shortCircuit: true };
}
