import { CcmError } from '../client/api-errors.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { appendClusterEvent } from '../cluster/cluster-events.js';
import { updateClusterFile } from '../cluster/cluster-file.js';
import { pushLinkFilters, readRunningCluster } from '../cluster/launcher.js';
import { describeFault, validateFault, type Fault } from './faults.js';

export interface FaultChange {
  /** Every fault active after the change, in words. */
  active: string[];
  /** Nodes whose link filter was updated now. */
  applied: string[];
  /** Nodes that were down or not answering; they load the faults from cluster.json when they start. */
  pending: string[];
}

/** Kinds of which only one can be active at a time: a new one replaces the old (as Jepsen's nemesis does). */
const REPLACING: ReadonlySet<Fault['kind']> = new Set(['partition']);

/** Adds a fault to the cluster and pushes the compiled link filters to every running node. */
export async function addFault(paths: ClusterPaths, fault: Fault): Promise<FaultChange> {
  readRunningCluster(paths);
  const file = await updateClusterFile(paths, (f) => {
    validateFault(fault, f.nodes.map((n) => n.id));
    f.faults = f.faults.filter((x) => !(REPLACING.has(x.kind) && x.kind === fault.kind));
    f.faults.push(fault);
  });
  const pushed = await pushLinkFilters(file);
  appendClusterEvent(paths, 'cli', 'fault-injected', describeFault(fault), { fault });
  return { active: file.faults.map(describeFault), applied: pushed.applied, pending: pushed.unreachable };
}

/** Removes every link fault and pushes clear filters everywhere. */
export async function healAll(paths: ClusterPaths): Promise<FaultChange & { removed: string[] }> {
  readRunningCluster(paths);
  let removed: string[] = [];
  const file = await updateClusterFile(paths, (f) => {
    removed = f.faults.map(describeFault);
    f.faults = [];
  });
  const pushed = await pushLinkFilters(file);
  appendClusterEvent(paths, 'cli', 'faults-healed', removed.length ? `healed: ${removed.join('; ')}` : 'heal: no faults were active', { removed });
  return { active: [], applied: pushed.applied, pending: pushed.unreachable, removed };
}

/** Parses `n1,n2 n3,n4,n5` into groups. */
export function parseGroups(args: string[]): string[][] {
  if (args.length < 2) throw new CcmError('invalid_argument', 'give at least two groups, e.g. ccm chaos partition n1,n2 n3,n4,n5');
  return args.map((a) => {
    const ids = a.split(',').map((x) => x.trim());
    if (ids.some((x) => x.length === 0)) throw new CcmError('invalid_argument', `group "${a}" has an empty node id`);
    return ids;
  });
}
