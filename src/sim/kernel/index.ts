/** The one simulation kernel: virtual time, one agenda, one simulated network speaking `ccm chaos`'s faults. */
export { EventQueue } from './event-queue.js';
export { SimKernel } from './sim-kernel.js';
export { SimNetwork, type FaultPeriod, type Latency } from './sim-network.js';
export { faultsOnEveryLink, isCut, linkRuleOf, type LinkFault, type LinkRuleOf } from './link-faults.js';
