import fs from 'node:fs';
import { CcmError } from '../errors/ccm-error.js';
import type { ConfigType } from '../api/api-types.js';
import { parseConfigText, textOfTypedValue, validateConfigName, validateConfigType, type ParsedConfigValue } from './config-values.js';

/**
 * The import document: what `ccm config export` writes, `{ "<name>": { "type": "<type>", "value": <typed value> } }`,
 * or the shorthand `{ "<name>": <string | number | boolean> }` (the type is then the entry's current one, else
 * inferred: string, int for a whole number, bool). A JSON object, array or null must say `"type": "json"`.
 */

/** Entries per import. An import is one transaction (all or nothing) of three compares-or-puts per entry. */
export const MAX_IMPORT_ENTRIES = 1000;

export interface ImportEntry {
  name: string;
  /** Given explicitly in the document. */
  type?: ConfigType;
  value: unknown;
}

export function parseImportDocument(doc: unknown): ImportEntry[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CcmError('invalid_argument', 'an import is a JSON object: { "<name>": { "type": "int", "value": 10 }, "<name>": "text", ... }');
  }
  const names = Object.keys(doc);
  if (names.length === 0) throw new CcmError('invalid_argument', 'the import has no entries');
  if (names.length > MAX_IMPORT_ENTRIES) throw new CcmError('invalid_argument', `the import has ${names.length} entries; at most ${MAX_IMPORT_ENTRIES} go in one (atomic) import`);
  return names.map((name) => {
    validateConfigName(name);
    const raw = (doc as Record<string, unknown>)[name];
    if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return { name, value: raw };
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const keys = Object.keys(raw).sort();
      if (keys.length === 2 && keys[0] === 'type' && keys[1] === 'value') {
        const entry = raw as { type: unknown; value: unknown };
        return { name, type: validateConfigType(entry.type), value: entry.value };
      }
    }
    throw new CcmError('invalid_argument', `${name}: an entry is a string, number or boolean, or {"type": ..., "value": ...} (for an object, array or null use {"type": "json", "value": ...})`);
  });
}

/** The type and canonical value an entry gets, given the entry's current type (undefined if it has none). */
export function resolveImportEntry(entry: ImportEntry, currentType: ConfigType | undefined): { type: ConfigType; parsed: ParsedConfigValue } {
  const type = entry.type ?? currentType ?? inferType(entry);
  return { type, parsed: parseConfigText(entry.name, type, textOfTypedValue(entry.name, type, entry.value)) };
}

function inferType(entry: ImportEntry): ConfigType {
  if (typeof entry.value === 'boolean') return 'bool';
  if (typeof entry.value === 'number') {
    if (!Number.isSafeInteger(entry.value)) throw new CcmError('invalid_argument', `${entry.name}: ${entry.value} is not a whole number; give it as {"type": "json", "value": ${entry.value}} or as text`);
    return 'int';
  }
  return 'string';
}

/** Reads an import document from a file ('-': standard input); a missing file or bad JSON is invalid_argument. */
export function readImportFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CcmError('invalid_argument', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CcmError('invalid_argument', `${file} is not JSON: ${(err as Error).message}`);
  }
}
