import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';
import { Keyring, keyFingerprint, keyringProblem, parseKey, type KeyringData } from '../net/keyring.js';
import { writeSecretFile } from './cluster-secrets.js';

/** The cluster keyring's files: the cluster's copy (secrets/) and each node's own copy in its data dir. */

/** The node's own copy of its keyring, in its data dir, so a restart keeps a rotation it took part in. */
export function nodeKeyringPath(dataDir: string): string {
  return path.join(dataDir, 'keyring.json');
}

/**
 * The keyring a node starts with: the newer (by version) of its own copy and the cluster's file. The cluster's
 * file is written by `ccm up` and by every `ccm keyring` change, so a node that was down during a rotation still
 * starts with the cluster's keys; its own copy covers a change the CLI could not record.
 */
export function loadNodeKeyring(clusterKeyringFile: string, dataDir: string): Keyring {
  const own = readKeyringFile(nodeKeyringPath(dataDir));
  const cluster = readKeyringFile(clusterKeyringFile);
  const newest = [own, cluster].filter((d) => d !== null).sort((a, b) => b!.version - a!.version)[0];
  if (!newest) throw new Error(`no keyring: neither ${clusterKeyringFile} nor ${nodeKeyringPath(dataDir)} exists (ccm up creates it)`);
  return new Keyring(newest);
}

export function writeKeyringFile(file: string, data: KeyringData): void {
  writeSecretFile(file, JSON.stringify(data, null, 2) + '\n');
}

/** Reads a keyring file; null if there is none; a clear error if it is damaged. */
export function readKeyringFile(file: string): KeyringData | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CcmError('failed_precondition', `cannot read the keyring ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CcmError('failed_precondition', `the keyring ${file} is not valid JSON`);
  }
  const problem = keyringProblem(value);
  if (problem) throw new CcmError('failed_precondition', `the keyring ${file} is damaged: ${problem}`);
  return value as KeyringData;
}

export type KeyringAction = 'install' | 'use' | 'remove';

/** The fingerprint of a key given as text; a clear error if it is not a key. */
export function fingerprintOfKey(keyText: unknown): string {
  return keyFingerprint(parseKey(keyText));
}

/** One change on a stored ring (the cluster's file), checked as a node would check it. */
export function changeKeyringData(data: KeyringData, action: KeyringAction, keyText: unknown): { data: KeyringData; view: ReturnType<Keyring['view']> } {
  const ring = new Keyring(data);
  const key = parseKey(keyText);
  if (action === 'install') ring.install(key);
  else if (action === 'use') ring.use(key);
  else ring.remove(key);
  return { data: ring.toData(), view: ring.view() };
}

export function keyringDataView(data: KeyringData): ReturnType<Keyring['view']> {
  return new Keyring(data).view();
}

/** Applies one `ccm keyring` change to the node's ring and keeps it in the data dir. */
export function changeNodeKeyring(ring: Keyring, dataDir: string, action: KeyringAction, keyText: unknown): boolean {
  const key = parseKey(keyText);
  const changed = action === 'install' ? ring.install(key) : action === 'use' ? ring.use(key) : ring.remove(key);
  if (changed) writeKeyringFile(nodeKeyringPath(dataDir), ring.toData());
  return changed;
}
