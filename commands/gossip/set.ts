import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { NodeTagsResult } from '../../src/api/api-types.js';
import { setNodeTags } from '../../src/cluster/cluster-gossip.js';
import { parseTagAssignment } from '../../src/api/gossip-tags.js';

export default class GossipSet extends CcmCommand<typeof GossipSet> {
  static override summary = "Set tags on a node (key=value); every node's view shows them within a few gossip rounds.";
  static override description =
    'Tags live in the node\'s gossip meta: a change bumps its incarnation and spreads by piggybacking on probes, reaching every node in O(log n) rounds. Watch the spread in ccm top (the gossip panel).';
  static override examples = ['<%= config.bin %> gossip set n2 zone=eu-west', '<%= config.bin %> gossip set n2 zone=eu-west rack=r7'];
  static override strict = false;
  static override args = {
    node: Args.string({ description: 'node id, e.g. n2', required: true }),
    tags: Args.string({ description: 'one or more key=value (key: 1-64 of a-z A-Z 0-9 _ . -; value: up to 256 characters)' }),
  };

  async run(): Promise<NodeTagsResult> {
    const [node, ...assignments] = this.positional;
    if (assignments.length === 0) throw new CcmError('invalid_argument', 'give at least one key=value, e.g. ccm gossip set n2 zone=eu-west');
    const set: Record<string, string> = {};
    for (const a of assignments) {
      const [k, v] = parseTagAssignment(a);
      set[k] = v;
    }
    const result = await setNodeTags(this.clusterPaths(), node, { set, remove: [] });
    this.log(`${result.node}: ${formatTags(result.tags)}${result.changed ? ` (incarnation ${result.incarnation})` : ' (unchanged)'}`);
    return result;
  }
}

export function formatTags(tags: Record<string, string>): string {
  const text = Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return text || '(no tags)';
}
