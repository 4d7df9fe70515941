/** The many-node gossip simulator: the shipping SwimNode on virtual time and a simulated network. */
export { GossipSimulation } from './gossip-simulation.js';
export type { GossipSimulationOptions, SimProcess, SimTotals } from './gossip-simulation.js';
export { SimNetwork, DEFAULT_SIM_NETWORK } from './sim-network.js';
export type { SimNetworkOptions, PartitionPeriod } from './sim-network.js';
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
