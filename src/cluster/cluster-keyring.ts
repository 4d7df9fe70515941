import { CcmError } from '../errors/ccm-error.js';
import { requestJson } from '../client/http-json.js';
import { changeKeyringData, fingerprintOfKey, keyringDataView, readKeyringFile, writeKeyringFile, type KeyringAction } from './keyring-file.js';
import type { ClusterPaths } from './cluster-dir.js';
import { readClusterFile, withClusterLock, type ClusterFile } from './cluster-file.js';
import { secretPaths } from './cluster-secrets.js';
import { endpointOf } from './cluster-status.js';
import { byNodeId } from './launcher.js';
import { processState } from './process-table.js';

export type { KeyringAction };

interface RingView {
  version: number;
  primary: string;
  keys: string[];
}

/** `ccm keyring list`: each key (by fingerprint), which nodes hold it and which use it to send. */
export interface KeyringListView {
  keys: { fingerprint: string; nodes: string[]; primaryOn: string[]; inClusterFile: boolean; isClusterPrimary: boolean }[];
  /** The ring a node starting now would take (secrets/keyring.json). */
  clusterFile: RingView;
  nodes: { node: string; keyring: RingView | null; error?: string }[];
}

export interface KeyringChangeResult {
  action: KeyringAction;
  fingerprint: string;
  /** Nodes that took the change (or had it already). */
  applied: string[];
  /** Running nodes that could not be reached: they pick the change up from secrets/keyring.json when restarted. */
  unreachable: string[];
  clusterFile: RingView;
}

const ADMIN_TIMEOUT_MS = 3000;

async function nodeRings(file: ClusterFile): Promise<KeyringListView['nodes']> {
  const out = await Promise.all(
    file.nodes.map(async (n): Promise<KeyringListView['nodes'][number]> => {
      if (processState(n.pid, n.id) !== 'running') return { node: n.id, keyring: null, error: 'not running' };
      try {
        const r = await requestJson<{ keyring: RingView | null }>(endpointOf(file, n.id), 'GET', '/admin/keyring', undefined, { timeoutMs: ADMIN_TIMEOUT_MS });
        return { node: n.id, keyring: r.keyring };
      } catch (err) {
        return { node: n.id, keyring: null, error: (err as Error).message };
      }
    }),
  );
  return out.sort((a, b) => byNodeId(a.node, b.node));
}

function clusterRing(paths: ClusterPaths): NonNullable<ReturnType<typeof readKeyringFile>> {
  const data = readKeyringFile(secretPaths(paths).keyring);
  if (!data) throw new CcmError('failed_precondition', `cluster "${paths.name}" has no keyring (${secretPaths(paths).keyring}); ccm up creates it`);
  return data;
}

export async function listKeyring(paths: ClusterPaths): Promise<KeyringListView> {
  const file = readClusterFile(paths);
  const ring = keyringDataView(clusterRing(paths));
  const nodes = await nodeRings(file);
  const fingerprints = [...new Set([...ring.keys, ...nodes.flatMap((n) => n.keyring?.keys ?? [])])];
  return {
    keys: fingerprints.map((fp) => ({
      fingerprint: fp,
      nodes: nodes.filter((n) => n.keyring?.keys.includes(fp)).map((n) => n.node),
      primaryOn: nodes.filter((n) => n.keyring?.primary === fp).map((n) => n.node),
      inClusterFile: ring.keys.includes(fp),
      isClusterPrimary: ring.primary === fp,
    })),
    clusterFile: ring,
    nodes,
  };
}

/**
 * `ccm keyring install|use|remove <key>`: the change goes to every running node over its admin API (each keeps it
 * in its data dir), then into secrets/keyring.json (what a node starting later takes). A rotation without downtime
 * is install (everyone accepts the new key), use (everyone sends with it), remove (the old one opens nothing).
 * `use` is refused unless every running node has the key (a node without it could not open what the others send);
 * `remove` of a key that any node sends with is refused.
 */
export async function changeKeyring(paths: ClusterPaths, action: KeyringAction, keyText: string): Promise<KeyringChangeResult> {
  const fingerprint = fingerprintOfKey(keyText);
  return withClusterLock(paths, async () => {
    const file = readClusterFile(paths);
    const stored = clusterRing(paths);
    const ring = keyringDataView(stored);
    const before = await nodeRings(file);
    const running = before.filter((n) => n.keyring !== null);
    if (action === 'use') {
      const lacking = running.filter((n) => !n.keyring!.keys.includes(fingerprint)).map((n) => n.node);
      const isInFile = ring.keys.includes(fingerprint);
      if (lacking.length > 0 || !isInFile) {
        throw new CcmError('failed_precondition', `key ${fingerprint} is not installed on ${[...lacking, ...(isInFile ? [] : ['the cluster file'])].join(', ')}; install it first: ccm keyring install <key>`);
      }
    }
    if (action === 'remove') {
      const sending = running.filter((n) => n.keyring!.primary === fingerprint).map((n) => n.node);
      if (sending.length > 0 || ring.primary === fingerprint) {
        throw new CcmError('failed_precondition', `key ${fingerprint} is the primary key${sending.length ? ` of ${sending.join(', ')}` : ''}; make another key primary first: ccm keyring use <key>`);
      }
    }
    // Check the change on the cluster's ring first: a refusal (a full ring) changes nothing anywhere.
    const next = changeKeyringData(stored, action, keyText);
    const applied: string[] = [];
    const unreachable: string[] = before.filter((n) => n.keyring === null && n.error !== 'not running').map((n) => n.node);
    await Promise.all(
      running.map(async (n) => {
        try {
          await requestJson(endpointOf(file, n.node), 'POST', '/admin/keyring', { action, key: keyText.trim() }, { timeoutMs: ADMIN_TIMEOUT_MS });
          applied.push(n.node);
        } catch (err) {
          if (err instanceof CcmError && err.code === 'failed_precondition') throw new CcmError('failed_precondition', `${n.node} refused: ${err.message}`);
          unreachable.push(n.node);
        }
      }),
    );
    writeKeyringFile(secretPaths(paths).keyring, next.data);
    return { action, fingerprint, applied: applied.sort(byNodeId), unreachable: unreachable.sort(byNodeId), clusterFile: next.view };
  });
}
