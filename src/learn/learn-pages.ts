/**
 * The pages of the learning path (docs/learn/*.md, index first), found by number, by name, or by a word of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';

export interface LearnPage {
  /** 0 for the index, then 1.. in file order. */
  number: number;
  /** The file name without .md: `02-lease-manager`. */
  name: string;
  file: string;
  title: string;
  /** The page's first paragraph, in a line. */
  summary: string;
}

export function learnDir(root: string): string {
  return path.join(root, 'docs', 'learn');
}

export function listPages(root: string): LearnPage[] {
  const dir = learnDir(root);
  if (!fs.existsSync(dir)) throw new CcmError('not_found', `no learning pages in ${dir}`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort((a, b) => (a === 'index.md' ? -1 : b === 'index.md' ? 1 : a.localeCompare(b)));
  return files.map((file, i) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const title = /^#\s+(.+)$/m.exec(text)?.[1].trim() ?? file;
    const afterTitle = text.slice(text.indexOf(title) + title.length).split(/\n\s*\n/).map((p) => p.trim()).find((p) => p !== '' && !p.startsWith('#') && !p.startsWith('```') && !p.startsWith('|') && !p.startsWith('<'));
    const summary = (afterTitle ?? '').replace(/\s+/g, ' ').replace(/[*`]/g, '').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
    return { number: i, name: file.replace(/\.md$/, ''), file: path.join(dir, file), title, summary: summary.length > 160 ? `${summary.slice(0, 157)}...` : summary };
  });
}

/** A page by number (`2`), by name (`02-lease-manager`), or by a word in its name (`lease`). */
export function findPage(root: string, which: string): LearnPage {
  const pages = listPages(root);
  const byNumber = /^\d+$/.test(which) ? pages.find((p) => p.number === Number(which)) : undefined;
  const found = byNumber ?? pages.find((p) => p.name === which || p.name === which.replace(/\.md$/, '')) ?? pages.filter((p) => p.name.includes(which.toLowerCase()))[0];
  if (!found) throw new CcmError('not_found', `no page "${which}"; the pages: ${pages.map((p) => `${p.number} ${p.name}`).join(', ')}`);
  return found;
}
