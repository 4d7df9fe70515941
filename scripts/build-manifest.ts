/**
 * Writes oclif.manifest.json after the build. Without it, oclif imports every command module at start-up to
 * learn their flags (the TUI's pull in ink and React): ~2.5 s per command instead of ~0.3 s.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = path.join(root, 'oclif.manifest.json');
fs.rmSync(target, { force: true });
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true });
await plugin.load();
fs.writeFileSync(target, JSON.stringify(plugin.manifest));
process.stdout.write(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands\n`);
