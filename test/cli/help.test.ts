import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface ManifestCommand {
  id: string;
  summary?: string;
  description?: string;
  examples?: unknown[];
  hidden?: boolean;
  flags: Record<string, { summary?: string; description?: string; hidden?: boolean }>;
}

/** Every command the build found (oclif.manifest.json, written by npm run build), whoever added it. */
function manifestCommands(): ManifestCommand[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, ManifestCommand> };
  return Object.values(manifest.commands).filter((c) => !c.hidden);
}

describe('help: every command explains itself', () => {
  const commands = manifestCommands();

  it('the manifest lists the commands (a build ran)', () => {
    expect(commands.length).to.be.greaterThan(50);
  });

  it('every command has a summary, a description and at least one example', () => {
    const missing: string[] = [];
    for (const c of commands) {
      const name = c.id.replace(/:/g, ' ');
      if (!c.summary?.trim()) missing.push(`${name}: no summary`);
      if (!c.description?.trim()) missing.push(`${name}: no description`);
      if (!Array.isArray(c.examples) || c.examples.length === 0) missing.push(`${name}: no example`);
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('every visible flag says what it does', () => {
    const missing: string[] = [];
    for (const c of commands) {
      for (const [flag, f] of Object.entries(c.flags)) {
        if (!f.hidden && !(f.summary ?? f.description)?.trim()) missing.push(`${c.id.replace(/:/g, ' ')} --${flag}`);
      }
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('every topic has its own description in package.json (not one of its commands\' text)', () => {
    const pjson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { oclif: { topics?: Record<string, { description?: string }> } };
    const topics = pjson.oclif.topics ?? {};
    const needed = new Set<string>();
    for (const c of commands) {
      const parts = c.id.split(':');
      for (let i = 1; i < parts.length; i++) needed.add(parts.slice(0, i).join(':'));
    }
    const missing = [...needed].filter((t) => !topics[t]?.description?.trim()).sort();
    expect(missing, `topics without a description: ${missing.join(', ')}`).to.deep.equal([]);
  });

  it('examples invoke the command they belong to', () => {
    const wrong: string[] = [];
    for (const c of commands) {
      const words = c.id.split(':').join(' ');
      for (const e of c.examples ?? []) {
        const text = typeof e === 'string' ? e : (e as { command?: string }).command ?? '';
        if (!text.replace('<%= config.bin %>', 'ccm').includes(`ccm ${words}`)) wrong.push(`${words}: ${text}`);
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });
});
