import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { explainMember } from '../../src/explain/explain-member.js';
import { renderExplanation, type Explanation } from '../../src/explain/explanation.js';

export default class ExplainMember extends CcmCommand<typeof ExplainMember> {
  static override summary = "Why a node's view holds a member alive, suspect or dead: phi, who accused and confirmed, the timers, the events.";
  static override description =
    'From one node\'s failure detector: the member\'s phi and its threshold, the probes that failed, who suspected it and who confirmed, the suspicion timer, and the events in order.';
  static override examples = ['<%= config.bin %> explain member n3', '<%= config.bin %> explain member n3 --from n1'];
  static override args = { member: Args.string({ required: true, description: 'the member (node id)' }) };
  static override flags = { from: Flags.string({ summary: "Whose view to explain (default: the first running node other than the member)." }) };

  async run(): Promise<Explanation> {
    const e = await explainMember(this.clusterPaths(), this.args.member, this.flags.from);
    this.log(renderExplanation(e));
    return e;
  }
}
