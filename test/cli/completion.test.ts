import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa, execaSync } from 'execa';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const has = (shell: string): boolean => execaSync(shell, ['-c', 'exit 0'], { reject: false }).exitCode === 0;

/**
 * Shell completion as a user installs it (README): the scripts are generated, and each shell, given the script,
 * completes commands word by word and the flags of a command. bash is always here; fish and zsh only when installed.
 */
describe('shell completion (bash, zsh, fish)', function () {
  this.timeout(120_000);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ccm-completion-'));
  const env = { XDG_CACHE_HOME: cache, HOME: cache };
  after(() => fs.rmSync(cache, { recursive: true, force: true }));

  it('ccm autocomplete --refresh-cache writes the bash and zsh scripts; bash completes topics, commands and flags', async () => {
    const r = await execa(process.execPath, [BIN, 'autocomplete', '--refresh-cache'], { env, reject: false });
    expect(r.exitCode, r.stderr).to.equal(0);
    const bash = path.join(cache, 'ccm', 'autocomplete', 'functions', 'bash', 'ccm.bash');
    const zsh = path.join(cache, 'ccm', 'autocomplete', 'functions', 'zsh', '_ccm');
    expect(fs.existsSync(bash), bash).to.equal(true);
    expect(fs.existsSync(zsh), zsh).to.equal(true);
    const complete = async (...words: string[]): Promise<string[]> => {
      const script = `source ${bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ccm_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return String((await execa('bash', ['-c', script])).stdout).split('\n').filter(Boolean);
    };
    expect(await complete('ccm', 'kv', '')).to.include.members(['get', 'put', 'txn', 'compact']);
    expect(new Set(await complete('ccm', 'snap'))).to.deep.equal(new Set(['snapshot']));
    expect(await complete('ccm', 'kv', 'get', '--')).to.include.members(['--rev', '--prev', '--timeout']);
    expect(new Set(await complete('ccm', 'node', 'a'))).to.deep.equal(new Set(['add']));
  });

  it('zsh loads its script (skipped without zsh)', async function () {
    if (!has('zsh')) this.skip(); // skipped: zsh is not installed
    const zsh = path.join(cache, 'ccm', 'autocomplete', 'functions', 'zsh', '_ccm');
    const r = await execa('zsh', ['-n', zsh], { reject: false });
    expect(r.exitCode, r.stderr).to.equal(0);
  });

  it('ccm autocomplete fish prints a script fish accepts and completes with (skipped without fish)', async function () {
    const r = await execa(process.execPath, [BIN, 'autocomplete', 'fish'], { env, reject: false });
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.stdout).to.include("complete -c ccm -n '__ccm_words_are \\'kv\\'' -a 'txn'");
    if (!has('fish')) this.skip(); // skipped: fish is not installed
    const file = path.join(cache, 'ccm.fish');
    fs.writeFileSync(file, r.stdout);
    const lines = async (line: string): Promise<string[]> =>
      String((await execa('fish', ['--no-config', '-c', `source ${file}; complete -C'${line}'`])).stdout)
        .split('\n')
        .map((l) => l.split('\t')[0]);
    expect(await lines('ccm kv ')).to.include.members(['get', 'put', 'txn', 'compact']);
    expect(await lines('ccm kv get /x --')).to.include.members(['--rev', '--prev', '--timeout']);
    expect(await lines('ccm autocomplete ')).to.include.members(['fish', 'bash', 'zsh']);
  });
});
