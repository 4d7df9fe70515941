import { expect } from 'chai';
import { MAX_IMPORT_ENTRIES, parseImportDocument, resolveImportEntry } from '../../src/services/config-import.js';
import { entryView, MAX_CONFIG_TEXT_BYTES, parseConfigText, textOfTypedValue, validateConfigName, validateConfigPrefix, validateConfigType, type ConfigRecord } from '../../src/services/config-values.js';
import { configKey, historyKey, historyPrefix } from '../../src/services/config-manager.js';
import { rejectsInvalid } from '../fixtures/invalid-argument.js';


describe('config values: types, validation and canonical text', () => {
  it('int: whole numbers within the safe range, stored canonically, read back as numbers', () => {
    expect(parseConfigText('a', 'int', '10')).to.deep.equal({ text: '10', value: 10 });
    expect(parseConfigText('a', 'int', ' +007 ')).to.deep.equal({ text: '7', value: 7 });
    expect(parseConfigText('a', 'int', '-0')).to.deep.equal({ text: '0', value: 0 });
    expect(parseConfigText('a', 'int', '-42').value).to.equal(-42);
    rejectsInvalid(() => parseConfigText('app.timeout', 'int', 'notanumber'), /^app\.timeout: "notanumber" is not an int/);
    rejectsInvalid(() => parseConfigText('a', 'int', '1.5'), /not an int/);
    rejectsInvalid(() => parseConfigText('a', 'int', '1e3'), /not an int/);
    rejectsInvalid(() => parseConfigText('a', 'int', ''), /not an int/);
    rejectsInvalid(() => parseConfigText('a', 'int', '9007199254740993'), /in range/);
  });

  it('bool: true or false only (any case), read back as booleans', () => {
    expect(parseConfigText('a', 'bool', 'TRUE')).to.deep.equal({ text: 'true', value: true });
    expect(parseConfigText('a', 'bool', 'false').value).to.equal(false);
    for (const bad of ['yes', '1', '', 'truthy']) rejectsInvalid(() => parseConfigText('a', 'bool', bad), /is not a bool \(true or false\)/);
  });

  it('duration: the CLI duration syntax, never negative; keeps the text and gives the length', () => {
    expect(parseConfigText('a', 'duration', '30s')).to.deep.equal({ text: '30s', value: '30s', durationMs: 30_000 });
    expect(parseConfigText('a', 'duration', ' 1.5 m ')).to.deep.equal({ text: '1.5m', value: '1.5m', durationMs: 90_000 });
    expect(parseConfigText('a', 'duration', '0ms').durationMs).to.equal(0);
    rejectsInvalid(() => parseConfigText('a', 'duration', '30'), /not a duration/);
    rejectsInvalid(() => parseConfigText('a', 'duration', 'soon'), /not a duration/);
    rejectsInvalid(() => parseConfigText('a', 'duration', '-5s'), /not a duration >= 0/);
  });

  it('json: any JSON document, stored compact, read back parsed', () => {
    expect(parseConfigText('a', 'json', '{ "x": [1, 2], "y": null }')).to.deep.equal({ text: '{"x":[1,2],"y":null}', value: { x: [1, 2], y: null } });
    expect(parseConfigText('a', 'json', '3').value).to.equal(3);
    rejectsInvalid(() => parseConfigText('a', 'json', '{x: 1}'), /is not JSON/);
    rejectsInvalid(() => parseConfigText('a', 'json', ''), /is not JSON/);
  });

  it('string: any text up to the size limit; not text, ill-formed or too large is refused', () => {
    expect(parseConfigText('a', 'string', '  spaced  ')).to.deep.equal({ text: '  spaced  ', value: '  spaced  ' });
    rejectsInvalid(() => parseConfigText('a', 'string', 5 as unknown as string), /must be text/);
    rejectsInvalid(() => parseConfigText('a', 'string', '\uD800'), /not valid UTF-8/);
    rejectsInvalid(() => parseConfigText('a', 'string', 'x'.repeat(MAX_CONFIG_TEXT_BYTES + 1)), /the limit is/);
  });

  it('names, prefixes and types are validated, with the rule in the message', () => {
    for (const ok of ['payments.timeout', 'a', '_x', 'svc:db-1.pool_size']) expect(validateConfigName(ok)).to.equal(ok);
    for (const bad of ['', 'a/b', '.hidden', 'sp ace', 'x'.repeat(201), 7]) rejectsInvalid(() => validateConfigName(bad), /config name .* is invalid/);
    expect(validateConfigPrefix(undefined)).to.equal('');
    expect(validateConfigPrefix('payments.')).to.equal('payments.');
    rejectsInvalid(() => validateConfigPrefix('a/'), /prefix/);
    expect(validateConfigType('duration')).to.equal('duration');
    rejectsInvalid(() => validateConfigType('float'), /not one of string, int, bool, duration, json/);
  });

  it('typed JSON values become text for their type (import entries, HTTP bodies)', () => {
    expect(textOfTypedValue('a', 'int', 10)).to.equal('10');
    expect(textOfTypedValue('a', 'bool', false)).to.equal('false');
    expect(textOfTypedValue('a', 'json', { k: [1] })).to.equal('{"k":[1]}');
    expect(textOfTypedValue('a', 'string', 'x')).to.equal('x');
    rejectsInvalid(() => textOfTypedValue('a', 'int', { n: 1 }), /must be given as text or a number/);
  });

  it('history keys sort by version and a name cannot reach into another name\'s history', () => {
    expect(configKey('a.b')).to.equal('/ccm/config/a.b');
    expect(historyKey('a', 2) < historyKey('a', 10)).to.equal(true);
    expect(historyKey('a', 3).startsWith(historyPrefix('a'))).to.equal(true);
    expect(historyKey('ab', 3).startsWith(historyPrefix('a'))).to.equal(false);
  });

  it('a record reads back as its typed view; a delete has a null value', () => {
    const rec: ConfigRecord = { name: 'app.timeout', type: 'int', text: '10', version: 3, kind: 'rollback', rollbackOf: 1, by: 'me@host', node: 'n1', atMs: 5 };
    expect(entryView(rec, 42)).to.deep.include({ name: 'app.timeout', value: 10, type: 'int', version: 3, revision: 42, kind: 'rollback', rollbackOf: 1, updatedBy: 'me@host' });
    expect(entryView({ ...rec, type: 'duration', text: '2s', kind: 'set', rollbackOf: undefined }, 1)).to.deep.include({ value: '2s', durationMs: 2000 });
    expect(entryView({ ...rec, kind: 'delete', text: '' }, 43).value).to.equal(null);
  });
});

describe('config import documents', () => {
  it('takes the export shape and the shorthand, and infers or keeps types', () => {
    const entries = parseImportDocument({ 'a.int': { type: 'int', value: 10 }, 'a.text': 'hi', 'a.num': 5, 'a.flag': true, 'a.doc': { type: 'json', value: { k: 1 } } });
    expect(entries.map((e) => e.name)).to.deep.equal(['a.int', 'a.text', 'a.num', 'a.flag', 'a.doc']);
    const resolved = entries.map((e) => resolveImportEntry(e, undefined));
    expect(resolved.map((r) => [r.type, r.parsed.text])).to.deep.equal([
      ['int', '10'],
      ['string', 'hi'],
      ['int', '5'],
      ['bool', 'true'],
      ['json', '{"k":1}'],
    ]);
    // A shorthand value keeps the entry's current type (like a set without --type) and must fit it.
    expect(resolveImportEntry({ name: 'p.timeout', value: '45s' }, 'duration').parsed.durationMs).to.equal(45_000);
    rejectsInvalid(() => resolveImportEntry({ name: 'p.timeout', value: 'later' }, 'duration'), /p\.timeout: "later" is not a duration/);
    rejectsInvalid(() => resolveImportEntry({ name: 'x', value: 1.5 }, undefined), /not a whole number; give it as \{"type": "json"/);
  });

  it('refuses what is not a document, bad names, ambiguous objects and too many entries', () => {
    rejectsInvalid(() => parseImportDocument([1]), /an import is a JSON object/);
    rejectsInvalid(() => parseImportDocument(null), /an import is a JSON object/);
    rejectsInvalid(() => parseImportDocument({}), /no entries/);
    rejectsInvalid(() => parseImportDocument({ 'bad/name': 1 }), /config name/);
    rejectsInvalid(() => parseImportDocument({ a: { k: 1 } }), /for an object, array or null use \{"type": "json"/);
    rejectsInvalid(() => parseImportDocument({ a: null }), /use \{"type": "json"/);
    rejectsInvalid(() => parseImportDocument({ a: { type: 'float', value: 1 } }), /not one of/);
    const big = Object.fromEntries(Array.from({ length: MAX_IMPORT_ENTRIES + 1 }, (_, i) => [`k${i}`, i]));
    rejectsInvalid(() => parseImportDocument(big), /at most 1000 go in one/);
  });
});
