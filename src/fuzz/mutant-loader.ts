import { register } from 'node:module';

/**
 * TEST-ONLY. Loaded into a node with `--import` (the fuzz cluster puts it in CCM_NODE_FLAGS with CCM_FUZZ_MUTANT
 * naming a mutant of mutants.ts): registers the load hook below, which applies the mutant to the node program's
 * source as it is loaded. Nothing on disk changes; a node started without the flag runs the program as built.
 */
const mutant = process.env.CCM_FUZZ_MUTANT;
if (mutant) register('./mutant-hooks.js', import.meta.url, { data: { mutant } });
