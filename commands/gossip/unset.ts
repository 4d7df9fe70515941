import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { NodeTagsResult } from '../../src/api/api-types.js';
import { setNodeTags } from '../../src/cluster/cluster-gossip.js';
import { formatTags } from './set.js';

export default class GossipUnset extends CcmCommand<typeof GossipUnset> {
  static override summary = 'Remove tags from a node.';
  static override description =
    'Like set, the change spreads by gossip; the keys disappear from every node\'s view within a few rounds.';
  static override examples = ['<%= config.bin %> gossip unset n2 zone'];
  static override strict = false;
  static override args = {
    node: Args.string({ description: 'node id, e.g. n2', required: true }),
    keys: Args.string({ description: 'one or more tag keys' }),
  };

  async run(): Promise<NodeTagsResult> {
    const [node, ...keys] = this.positional;
    if (keys.length === 0) throw new CcmError('invalid_argument', 'give at least one tag key, e.g. ccm gossip unset n2 zone');
    const result = await setNodeTags(this.clusterPaths(), node, { set: {}, remove: keys });
    this.log(`${result.node}: ${formatTags(result.tags)}${result.changed ? ` (incarnation ${result.incarnation})` : ' (unchanged)'}`);
    return result;
  }
}
