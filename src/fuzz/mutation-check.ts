import { FuzzCluster, firstFailure, type FuzzFailure } from './fuzz-run.js';
import { MUTANTS, type Mutant } from './mutants.js';

export interface MutantOutcome {
  mutant: Mutant;
  /** How the fuzz failed on it (null: it did not notice, within the budget). */
  failure: FuzzFailure | null;
  cases: number;
}

/**
 * The mutation check: the target node runs each mutant in turn (one cluster, the node restarted per mutant), and
 * its port is fuzzed from case 0 of `seed` until the node fails or `budgetMsPerMutant` is spent. The fuzz suite can
 * fail only if every mutant is found. Afterwards the node runs the program as built again and must serve.
 */
export async function checkMutants(seed: number, budgetMsPerMutant: number, say: (line: string) => void = () => undefined): Promise<{ outcomes: MutantOutcome[]; servesAfter: boolean }> {
  const outcomes: MutantOutcome[] = [];
  let cluster: FuzzCluster | undefined;
  try {
    for (const mutant of MUTANTS) {
      if (!cluster) cluster = await FuzzCluster.start(false, mutant.name);
      else if (!(await cluster.restartTarget(mutant.name))) throw new Error(`the node running mutant ${mutant.name} did not serve within 15 s`);
      const { failure, cases } = await firstFailure(cluster, mutant.port, seed, budgetMsPerMutant, mutant.name);
      outcomes.push({ mutant, failure, cases });
      say(
        failure
          ? `${mutant.name}: found after ${cases} ${mutant.port} cases (${failure.how}: ${failure.what})\n  replay: ${failure.replay}`
          : `${mutant.name}: NOT FOUND in ${cases} ${mutant.port} cases (${mutant.what})`,
      );
    }
    const servesAfter = cluster ? await cluster.restartTarget() : true;
    return { outcomes, servesAfter };
  } finally {
    await cluster?.stop();
  }
}
