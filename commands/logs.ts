import { Args, Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import { findNode, readClusterFile } from '../src/cluster/cluster-file.js';
import { followLog, readLogLines, type LogLine } from '../src/cluster/node-logs.js';

export default class Logs extends CcmCommand<typeof Logs> {
  static override summary = "Show a node's log (JSON lines in node.log, printed readably).";
  static override description =
    'Each node writes JSON lines to nodes/<id>/node.log: its own log and its events (elections, membership changes, faults). This prints the last lines readably; -f follows the file as it grows, like tail -f.';
  static override examples = ['<%= config.bin %> logs n1', '<%= config.bin %> logs n2 -n 200', '<%= config.bin %> logs n3 --follow'];
  static override args = { id: Args.string({ description: 'node id, e.g. n3', required: true }) };
  static override flags = {
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new lines until Ctrl-C.', default: false }),
    lines: Flags.integer({ char: 'n', summary: 'How many of the last lines to show.', default: 50 }),
  };

  async run(): Promise<LogLine[]> {
    const paths = this.clusterPaths();
    findNode(readClusterFile(paths), this.args.id);
    const lines = readLogLines(paths, this.args.id, this.flags.lines);
    if (!this.jsonEnabled()) for (const l of lines) this.log(l.text);
    if (this.flags.follow) {
      await followLog(paths, this.args.id, (line) => (this.jsonEnabled() ? process.stdout.write(JSON.stringify(line.entry ?? line.text) + '\n') : this.log(line.text)));
    }
    return lines;
  }
}
