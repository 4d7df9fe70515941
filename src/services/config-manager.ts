import { CcmError } from '../errors/ccm-error.js';
import type { ConfigEntryView, ConfigExportDocument, ConfigHistoryView, ConfigImportResult, ConfigListView, ConfigType } from '../api/api-types.js';
import { validateValue, type Compare, type TxnOp } from '../core/commands.js';
import type { KeyValue } from '../core/kv-types.js';
import { backoffMs } from '../time/backoff.js';
import type { CallOptions, ServiceContext } from './core-port.js';
import { parseImportDocument, resolveImportEntry } from './config-import.js';
import {
  decodeRecord,
  encodeRecord,
  entryView,
  parseConfigText,
  textOfTypedValue,
  validateAuthor,
  validateConfigName,
  validateConfigPrefix,
  validateConfigType,
  validateConfigVersion,
  type ConfigRecord,
} from './config-values.js';

/**
 * Key layout. `/ccm/config/<name>` holds the current version's record (a delete leaves a tombstone record, so
 * version numbers go on from where they were); `/ccm/config-history/<name>/<version, 10 digits>` holds every
 * version ever written, kept forever: they are keys, not watch events, so compacting the watch history does not
 * touch them. Both are written by one transaction per change, at one revision.
 */
export const CONFIG_PREFIX = '/ccm/config/';
export const CONFIG_HISTORY_PREFIX = '/ccm/config-history/';

export function configKey(name: string): string {
  return CONFIG_PREFIX + name;
}

export function historyPrefix(name: string): string {
  return `${CONFIG_HISTORY_PREFIX}${name}/`;
}

export function historyKey(name: string, version: number): string {
  return historyPrefix(name) + String(version).padStart(10, '0');
}

/** Tries of one change before giving up with `conflict`: each failed try means someone else's change committed. */
const MAX_CAS_ATTEMPTS = 64;

/** What a change writes, decided from the current record (undefined: the name was never set). */
type Decide = (current: ConfigRecord | undefined) => { type: ConfigType; text: string; kind: ConfigRecord['kind']; rollbackOf?: number };

/**
 * The configuration manager: typed, versioned entries with history and rollback, on the consistent core. Every
 * change is a compare-and-set on the entry's current record (its mod revision), so concurrent changes each get
 * their own version and none is lost: a loser reads the winner's record and tries again on top of it.
 */
export class ConfigManager {
  constructor(private readonly ctx: ServiceContext) {}

  async get(nameRaw: unknown, opts: CallOptions): Promise<ConfigEntryView> {
    const name = validateConfigName(nameRaw);
    const kv = await this.readKey(configKey(name), opts);
    if (!kv) throw new CcmError('not_found', `config ${name} is not set`);
    const record = decodeRecord(kv.value);
    if (record.kind === 'delete') throw new CcmError('not_found', `config ${name} was deleted at version ${record.version} (its history is kept: ccm config history ${name})`);
    return entryView(record, kv.modRevision);
  }

  async list(prefixRaw: unknown, opts: CallOptions): Promise<ConfigListView> {
    const prefix = validateConfigPrefix(prefixRaw);
    const r = await this.range(CONFIG_PREFIX + prefix, true, opts);
    let configRevision = 0;
    const entries: ConfigEntryView[] = [];
    for (const kv of r.kvs) {
      configRevision = Math.max(configRevision, kv.modRevision);
      const record = decodeRecord(kv.value);
      if (record.kind !== 'delete') entries.push(entryView(record, kv.modRevision));
    }
    return { entries, configRevision, revision: r.revision };
  }

  /**
   * Sets a value. Without a type the entry keeps its current type (string for a new one); the value is validated
   * against the type before anything is written. With `ifVersion`, only if the entry is at that version now.
   */
  async set(req: { name: unknown; value: unknown; type?: unknown; by?: unknown; ifVersion?: unknown }, opts: CallOptions & { defaultBy?: string }): Promise<ConfigEntryView> {
    const name = validateConfigName(req.name);
    const explicitType = req.type === undefined || req.type === null ? undefined : validateConfigType(req.type);
    const by = validateAuthor(req.by, opts.defaultBy ?? 'api');
    const ifVersion = req.ifVersion === undefined || req.ifVersion === null ? undefined : validateConfigVersion(req.ifVersion, 'ifVersion');
    if (req.value === undefined) throw new CcmError('invalid_argument', `${name}: a value is required`);
    // Fail fast on a value that is bad whatever the current type would be (an explicit type decides alone).
    if (explicitType) parseConfigText(name, explicitType, typeof req.value === 'string' ? req.value : textOfTypedValue(name, explicitType, req.value));
    return this.change(name, by, opts, (current) => {
      checkVersion(name, current, ifVersion);
      const type = explicitType ?? current?.type ?? 'string';
      const parsed = parseConfigText(name, type, typeof req.value === 'string' ? req.value : textOfTypedValue(name, type, req.value));
      return { type, text: parsed.text, kind: 'set' };
    });
  }

  /** Deletes an entry: a new version that is a tombstone; its history stays, and a later set goes on numbering. */
  async delete(req: { name: unknown; by?: unknown; ifVersion?: unknown }, opts: CallOptions & { defaultBy?: string }): Promise<ConfigEntryView> {
    const name = validateConfigName(req.name);
    const by = validateAuthor(req.by, opts.defaultBy ?? 'api');
    const ifVersion = req.ifVersion === undefined || req.ifVersion === null ? undefined : validateConfigVersion(req.ifVersion, 'ifVersion');
    return this.change(name, by, opts, (current) => {
      if (!current || current.kind === 'delete') throw new CcmError('not_found', `config ${name} is not set`);
      checkVersion(name, current, ifVersion);
      return { type: current.type, text: '', kind: 'delete' };
    });
  }

  async history(nameRaw: unknown, opts: CallOptions): Promise<ConfigHistoryView> {
    const name = validateConfigName(nameRaw);
    const r = await this.range(historyPrefix(name), true, opts);
    if (r.kvs.length === 0) throw new CcmError('not_found', `config ${name} has no history (it was never set)`);
    return { name, versions: r.kvs.map((kv) => entryView(decodeRecord(kv.value), kv.createRevision)) };
  }

  /** A rollback is a new version with an old version's type and value, recorded as a rollback of that version. */
  async rollback(req: { name: unknown; toVersion: unknown; by?: unknown }, opts: CallOptions & { defaultBy?: string }): Promise<ConfigEntryView> {
    const name = validateConfigName(req.name);
    const toVersion = validateConfigVersion(req.toVersion, 'toVersion');
    const by = validateAuthor(req.by, opts.defaultBy ?? 'api');
    const kv = await this.readKey(historyKey(name, toVersion), opts);
    if (!kv) {
      const current = await this.readKey(configKey(name), opts);
      if (!current) throw new CcmError('not_found', `config ${name} is not set, so it has no version ${toVersion}`);
      throw new CcmError('not_found', `config ${name} has no version ${toVersion} (its versions are 1 to ${decodeRecord(current.value).version})`);
    }
    const target = decodeRecord(kv.value);
    if (target.kind === 'delete') throw new CcmError('invalid_argument', `version ${toVersion} of ${name} is a delete: it has no value to restore; pick another version`);
    return this.change(name, by, opts, () => ({ type: target.type, text: target.text, kind: 'rollback', rollbackOf: toVersion }));
  }

  /**
   * Imports many entries atomically: one transaction that compares every imported entry's current record and
   * writes a new version of each that differs (entries already as imported get no version). Anything invalid
   * fails the whole import before anything is written; a concurrent change to one of the entries retries it.
   */
  async import(req: { entries: unknown; by?: unknown }, opts: CallOptions & { defaultBy?: string }): Promise<ConfigImportResult> {
    const entries = parseImportDocument(req.entries);
    const by = validateAuthor(req.by, opts.defaultBy ?? 'api');
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = new Map((await this.range(CONFIG_PREFIX, true, opts)).kvs.map((kv) => [kv.key, kv]));
      const compare: Compare[] = [];
      const success: TxnOp[] = [];
      const records: ConfigRecord[] = [];
      const unchanged: string[] = [];
      const atMs = this.ctx.clock.nowMs();
      for (const entry of entries) {
        const key = configKey(entry.name);
        const kv = current.get(key);
        const record = kv ? decodeRecord(kv.value) : undefined;
        const { type, parsed } = resolveImportEntry(entry, record?.type);
        compare.push({ key, target: 'mod', op: '=', value: kv?.modRevision ?? 0 });
        if (record && record.kind !== 'delete' && record.type === type && record.text === parsed.text) {
          unchanged.push(entry.name);
          continue;
        }
        const next: ConfigRecord = { name: entry.name, type, text: parsed.text, version: (record?.version ?? 0) + 1, kind: 'import', by, node: this.ctx.nodeId, atMs };
        const value = validateValue(encodeRecord(next));
        compare.push({ key: historyKey(next.name, next.version), target: 'create', op: '=', value: 0 });
        success.push({ op: 'put', key, value }, { op: 'put', key: historyKey(next.name, next.version), value });
        records.push(next);
      }
      if (records.length === 0) return { changed: [], unchanged, revision: 0 };
      const r = await this.ctx.core.write({ op: 'txn', compare, success, failure: [] }, opts);
      if (r.succeeded) return { changed: records.map((rec) => entryView(rec, r.revision)), unchanged, revision: r.revision };
      await this.backoff(attempt);
    }
    throw new CcmError('conflict', `the imported entries kept changing under the import (${MAX_CAS_ATTEMPTS} tries); nothing was imported`);
  }

  /** Every live entry under the prefix as an import document. */
  async export(prefixRaw: unknown, opts: CallOptions): Promise<ConfigExportDocument> {
    const list = await this.list(prefixRaw, opts);
    const doc: ConfigExportDocument = {};
    for (const e of list.entries) doc[e.name] = { type: e.type, value: e.value };
    return doc;
  }

  /** One change: read, decide, compare-and-set the entry and its history key; on a lost race, decide again on the winner's record. */
  private async change(name: string, by: string, opts: CallOptions, decide: Decide): Promise<ConfigEntryView> {
    const key = configKey(name);
    let kv = await this.readKey(key, opts);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = kv ? decodeRecord(kv.value) : undefined;
      const next = decide(current);
      const record: ConfigRecord = {
        name,
        type: next.type,
        text: next.text,
        version: (current?.version ?? 0) + 1,
        kind: next.kind,
        ...(next.rollbackOf !== undefined ? { rollbackOf: next.rollbackOf } : {}),
        by,
        node: this.ctx.nodeId,
        atMs: this.ctx.clock.nowMs(),
      };
      const value = validateValue(encodeRecord(record));
      const hKey = historyKey(name, record.version);
      const r = await this.ctx.core.write(
        {
          op: 'txn',
          compare: [
            { key, target: 'mod', op: '=', value: kv?.modRevision ?? 0 },
            { key: hKey, target: 'create', op: '=', value: 0 },
          ],
          success: [
            { op: 'put', key, value },
            { op: 'put', key: hKey, value },
          ],
          failure: [{ op: 'get', key }],
        },
        opts,
      );
      if (r.succeeded) return entryView(record, r.revision);
      const seen = r.results[0]?.op === 'get' ? r.results[0].kvs[0] : undefined;
      // The entry did not move but its next history key exists: the two keys disagree, which no change can fix.
      if (seen?.modRevision === kv?.modRevision) throw new CcmError('internal', `config ${name}: history key ${hKey} exists while the entry is at version ${current?.version ?? 0}`);
      kv = seen;
      await this.backoff(attempt);
    }
    throw new CcmError('conflict', `config ${name} changed ${MAX_CAS_ATTEMPTS} times while this change was trying to apply; nothing was written by it`);
  }

  private async readKey(key: string, opts: CallOptions): Promise<KeyValue | undefined> {
    return (await this.range(key, false, opts)).kvs[0];
  }

  private async range(key: string, prefix: boolean, opts: CallOptions): Promise<{ kvs: KeyValue[]; revision: number }> {
    const r = await this.ctx.core.read({ kind: 'range', key, prefix }, false, opts);
    return r;
  }

  /** After a few lost races in a row, spread the contenders out a little. */
  private async backoff(attempt: number): Promise<void> {
    if (attempt >= 2) await this.ctx.scheduler.sleep(backoffMs(attempt, { firstMs: 5, maxMs: 100, jitter: 'full' }, this.ctx.random));
  }
}

function checkVersion(name: string, current: ConfigRecord | undefined, ifVersion: number | undefined): void {
  if (ifVersion === undefined) return;
  const at = current?.version ?? 0;
  if (at !== ifVersion) throw new CcmError('failed_precondition', `config ${name} is at version ${at}, not ${ifVersion}; nothing changed`, { version: at });
}
