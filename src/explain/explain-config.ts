/**
 * `ccm explain config <name>`: which version of a config entry each node has applied and since when (each node's
 * own copy, fed by a watch: GET /v1/config/:name?local=true), against the current version in the core, and the
 * entry's history.
 */
import { CcmError } from '../errors/ccm-error.js';
import type { ConfigEntryView, ConfigHistoryView, ConfigMirrorView } from '../api/api-types.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { clientForCluster } from '../cluster/cluster-client.js';
import { validateConfigName } from '../services/config-values.js';
import { askEveryNode, clock, isErrorAnswer, list, type Explanation } from './explanation.js';

export async function explainConfig(paths: ClusterPaths, nameText: string): Promise<Explanation> {
  const name = validateConfigName(nameText);
  const { client, file } = clientForCluster(paths);
  const current = await client.getConfig(name).catch((err: unknown) => {
    if (err instanceof CcmError && err.code === 'not_found') return null;
    throw err;
  });
  const history: ConfigHistoryView | null = await client.configHistory(name).catch(() => null);
  const copies = await askEveryNode<ConfigEntryView>(file, `/v1/config/${encodeURIComponent(name)}?local=true`);
  const mirrors = await askEveryNode<ConfigMirrorView>(file, '/v1/config-mirror');
  const because: string[] = [];
  const answer = current
    ? `${name} is at version ${current.version} (${JSON.stringify(current.value)}, ${current.kind} by ${current.updatedBy} at ${clock(current.updatedAtMs)}, core revision ${current.revision}).`
    : history && history.versions.length > 0
      ? `${name} is deleted (version ${history.versions.at(-1)!.version}).`
      : `${name} was never set.`;
  const byVersion = new Map<string, string[]>();
  for (const [node, copy] of copies) {
    let label: string;
    if (isErrorAnswer(copy)) label = copy.code === 'not_found' ? 'has no copy' : `not asked (${copy.error})`;
    else label = `version ${copy.version}`;
    const since = !isErrorAnswer(copy) && copy.appliedHereAtMs !== undefined ? ` since ${clock(copy.appliedHereAtMs)}` : '';
    byVersion.set(label, [...(byVersion.get(label) ?? []), `${node}${since}`]);
  }
  for (const [label, nodes] of byVersion) {
    const isCurrent = current !== null && label === `version ${current.version}`;
    because.push(`${list(nodes)} ${label.startsWith('not asked') ? `were ${label}` : label.startsWith('has no') ? `${nodes.length === 1 ? 'has' : 'have'} no copy of it` : `${nodes.length === 1 ? 'has' : 'have'} applied ${label}`}${isCurrent ? ' (current)' : ''}.`);
  }
  if (current) {
    const behind = [...mirrors.entries()].flatMap(([node, m]) => (!isErrorAnswer(m) && m.configRevision < current.revision ? [`${node} (at config revision ${m.configRevision})`] : []));
    if (behind.length > 0) {
      because.push(`${list(behind)} ${behind.length === 1 ? 'has' : 'have'} not caught up with revision ${current.revision}: each node follows the config with a watch, so a node cut off from the core (partitioned, paused) keeps the last version it saw until it reconnects, then replays what it missed.`);
    }
  }
  if (history && history.versions.length > 0) {
    const versions = history.versions.slice(-6).map((v) => `${v.version} ${v.kind === 'delete' ? 'deleted' : JSON.stringify(v.value)}${v.kind === 'rollback' ? ` (rollback to ${v.rollbackOf})` : ''} at ${clock(v.updatedAtMs)}`);
    because.push(`History: ${versions.join('; ')}.`);
  }
  return { subject: `config ${name}`, answer, because, facts: { current, copies: Object.fromEntries(copies), history: history?.versions ?? [] } };
}
