import { Command } from '@oclif/core';
import { fishCompletionScript } from '../../src/cli/fish-completion.js';

export default class AutocompleteFish extends Command {
  static override summary = 'Print a fish completion script (bash, zsh and PowerShell: ccm autocomplete <shell>).';
  static override description =
    'Completes commands word by word, with their summaries, and the flags of the command typed so far. Save it where fish looks for completions; it is generated from the installed commands, so write it again after an upgrade.';
  static override examples = ['<%= config.bin %> autocomplete fish > ~/.config/fish/completions/<%= config.bin %>.fish'];

  async run(): Promise<void> {
    process.stdout.write(fishCompletionScript(this.config.bin, this.config.commands, this.config.topics));
  }
}
