import { Args } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { explainLease } from '../../src/explain/explain-lease.js';
import { renderExplanation, type Explanation } from '../../src/explain/explanation.js';

export default class ExplainLease extends CcmCommand<typeof ExplainLease> {
  static override summary = 'Who holds a resource and since when, who waits, why requests were refused, and the fencing token history.';
  static override description =
    'The resource\'s lock as the core holds it, its queue, the requests refused and why (held, too many waiters, stale token), and every grant\'s fencing token in order.';
  static override examples = ['<%= config.bin %> explain lease db-migration', '<%= config.bin %> explain lease db-migration --json'];
  static override args = { resource: Args.string({ required: true, description: 'the resource' }) };

  async run(): Promise<Explanation> {
    const e = await explainLease(this.clusterPaths(), this.args.resource);
    this.log(renderExplanation(e));
    return e;
  }
}
