/** The many-node gossip simulator: the shipping SwimNode on the simulation kernel (src/sim/kernel): virtual time and its simulated network. */
export { GossipSimulation, DEFAULT_LATENCY } from './gossip-simulation.js';
export type { GossipSimulationOptions, SimProcess, SimTotals } from './gossip-simulation.js';
export { NoLiveMemberDeclaredDead, isConverged, unconvergedPairs } from './swim-invariants.js';
export type { FalsePositive } from './swim-invariants.js';
export { serfInfected, serfCurve, serfRoundsTo } from './serf-model.js';
export { runDissemination, runFailureDetection, runPartitionHeal, runRestart, runStability, nodeIds, maxSuspicionMs } from './scenarios.js';
export type {
  ScenarioOptions,
  DisseminationOptions,
  DisseminationResult,
  DisseminationRound,
  FailureDetectionOptions,
  FailureDetectionResult,
  PartitionHealOptions,
  PartitionHealResult,
  RestartResult,
  StabilityOptions,
  StabilityResult,
} from './scenarios.js';
