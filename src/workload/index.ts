/**
 * The workloads `ccm chaos run --workload` offers, by name.
 */
import { CcmError } from '../errors/ccm-error.js';
import { ConfigWorkload } from './config-workload.js';
import { LeaseWorkload } from './lease-workload.js';
import { EtcdRegisterTransport } from './etcd-register.js';
import { RegisterWorkload } from './register-workload.js';
import { RegistryWorkload } from './registry-workload.js';
import type { Workload } from './workload.js';

export const WORKLOAD_NAMES = ['register', 'lease', 'config', 'registry', 'etcd'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** What each workload does, in a line (for --help). */
export const WORKLOAD_SUMMARIES: Record<WorkloadName, string> = {
  register: 'clients read, write and compare-and-set a few keys; checked for linearizability and lost writes',
  lease: 'clients contend for a few locks, write through the core with their fencing tokens (and once more after releasing), and release; checked for two holders, token order and any stale token accepted',
  config: 'clients write config keys while watchers stream them; every watcher must see every version in order, none lost',
  registry: 'instances register, renew and die; lookups must not return an instance gone longer than a margin',
  etcd: 'the register workload through the etcd v3 API with an etcd client (get, put, txn); checked for linearizability and lost writes',
};

export function parseWorkloadName(text: string): WorkloadName {
  if (!(WORKLOAD_NAMES as readonly string[]).includes(text)) {
    throw new CcmError('invalid_argument', `unknown workload "${text}"; choose one of ${WORKLOAD_NAMES.join(', ')}`);
  }
  return text as WorkloadName;
}

export function createWorkload(name: WorkloadName): Workload {
  switch (name) {
    case 'register':
      return new RegisterWorkload();
    case 'config':
      return new ConfigWorkload();
    case 'lease':
      return new LeaseWorkload();
    case 'registry':
      return new RegistryWorkload();
    case 'etcd':
      return new RegisterWorkload({}, new EtcdRegisterTransport());
  }
}
