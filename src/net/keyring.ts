import { createHash, randomBytes } from 'node:crypto';
import { CcmError } from '../errors/ccm-error.js';

/**
 * The cluster's peer keys (memberlist's keyring): every installed key opens a message, the primary one seals
 * what this node sends. Rotation without downtime is install (everyone accepts the new key), use (everyone
 * sends with it), remove (the old one stops opening anything). Keys are 256-bit: AES-256-GCM.
 */
export const KEY_BYTES = 32;
/** Keys a ring holds at most: each inbound message may be tried against every one. */
export const MAX_KEYS = 8;

/** The ring as it is stored and sent over the admin API: base64 keys, the primary first. */
export interface KeyringData {
  /** Bumped by every change, so a node starting up takes the newest of the copies it finds. */
  version: number;
  primary: string;
  keys: string[];
}

/** A fresh random key, base64 (what `ccm keyring generate` prints). */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Parses a base64 key of exactly 32 bytes, or says clearly what is wrong with it. */
export function parseKey(text: unknown): Buffer {
  if (typeof text !== 'string' || text.length === 0) throw new CcmError('invalid_argument', 'a key is base64 text of 32 bytes (make one with: ccm keyring generate)');
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new CcmError('invalid_argument', 'the key is not base64 (make one with: ccm keyring generate)');
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) throw new CcmError('invalid_argument', `the key is ${key.length} bytes; a cluster key is ${KEY_BYTES} bytes (256-bit), base64`);
  return key;
}

/** A short public name for a key (the first 8 bytes of its SHA-256, hex): safe to print, log and compare. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export class Keyring {
  private keys: Buffer[];
  private primaryKey: Buffer;
  private currentVersion: number;

  constructor(data: KeyringData) {
    const problem = keyringProblem(data);
    if (problem) throw new CcmError('invalid_argument', `invalid keyring: ${problem}`);
    this.primaryKey = parseKey(data.primary);
    this.keys = dedupe([this.primaryKey, ...data.keys.map(parseKey)]);
    this.currentVersion = data.version;
  }

  static fresh(): Keyring {
    const key = generateKey();
    return new Keyring({ version: 1, primary: key, keys: [key] });
  }

  get version(): number {
    return this.currentVersion;
  }

  primary(): Buffer {
    return this.primaryKey;
  }

  /** Every key, the primary first (the order an inbound message tries them in). */
  all(): readonly Buffer[] {
    return this.keys;
  }

  has(key: Buffer): boolean {
    return this.keys.some((k) => k.equals(key));
  }

  /** Adds a key that opens messages (not yet used to send). Installing one already there changes nothing. */
  install(key: Buffer): boolean {
    if (this.has(key)) return false;
    if (this.keys.length >= MAX_KEYS) throw new CcmError('failed_precondition', `the keyring already holds ${MAX_KEYS} keys; remove one first`);
    this.keys = [...this.keys, key];
    this.currentVersion++;
    return true;
  }

  /** Makes an installed key the primary one (what this node sends with). */
  use(key: Buffer): boolean {
    if (!this.has(key)) throw new CcmError('failed_precondition', `key ${keyFingerprint(key)} is not installed; install it first (ccm keyring install <key>)`);
    if (this.primaryKey.equals(key)) return false;
    this.primaryKey = key;
    this.keys = [key, ...this.keys.filter((k) => !k.equals(key))];
    this.currentVersion++;
    return true;
  }

  /** Removes a key; the primary one cannot be removed (use another first). */
  remove(key: Buffer): boolean {
    if (this.primaryKey.equals(key)) throw new CcmError('failed_precondition', `key ${keyFingerprint(key)} is the primary key; make another key primary first (ccm keyring use <key>)`);
    if (!this.has(key)) return false;
    this.keys = this.keys.filter((k) => !k.equals(key));
    this.currentVersion++;
    return true;
  }

  toData(): KeyringData {
    return { version: this.currentVersion, primary: this.primaryKey.toString('base64'), keys: this.keys.map((k) => k.toString('base64')) };
  }

  /** What may be shown: fingerprints, never keys. */
  view(): { version: number; primary: string; keys: string[] } {
    return { version: this.currentVersion, primary: keyFingerprint(this.primaryKey), keys: this.keys.map(keyFingerprint) };
  }
}

/** Why a stored or received keyring is unusable, or null. */
export function keyringProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'expected an object {version, primary, keys}';
  const d = value as Record<string, unknown>;
  if (typeof d.version !== 'number' || !Number.isSafeInteger(d.version) || d.version < 1) return '"version" must be a whole number >= 1';
  if (typeof d.primary !== 'string') return '"primary" must be a base64 key';
  if (!Array.isArray(d.keys) || d.keys.length === 0 || d.keys.length > MAX_KEYS) return `"keys" must list 1-${MAX_KEYS} base64 keys`;
  try {
    parseKey(d.primary);
    for (const k of d.keys) parseKey(k);
  } catch (err) {
    return (err as Error).message;
  }
  if (!d.keys.includes(d.primary)) return 'the primary key must be one of "keys"';
  return null;
}

function dedupe(keys: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const k of keys) if (!out.some((o) => o.equals(k))) out.push(k);
  return out;
}
