import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../errors/ccm-error.js';

/**
 * The etcd server a local etcd backend runs (`ccm up --core etcd`): Debian's etcd-server package installs it at
 * /usr/bin/etcd. CCM_ETCD_BINARY names another (a test names a missing one to see the refusal).
 */
export function etcdBinary(): string {
  return process.env.CCM_ETCD_BINARY ?? '/usr/bin/etcd';
}

/** Local etcd members are e1, e2, … (their etcd --name), apart from the nodes' n1, n2, …. */
export const ETCD_MEMBER_ID_PATTERN = /^e[1-9]$/;

export function isEtcdMemberId(id: string): boolean {
  return ETCD_MEMBER_ID_PATTERN.test(id);
}

/** Refuses, naming the package, when there is no etcd server to run; nothing has been started when this throws. */
export function requireEtcdBinary(): string {
  const binary = etcdBinary();
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new CcmError(
      'failed_precondition',
      `--core etcd runs a local etcd cluster, but there is no etcd server at ${binary}: install Debian's etcd-server package (sudo apt-get install etcd-server), or use an etcd cluster of your own with --etcd-endpoints URL,…`,
    );
  }
  return binary;
}

/** Whether a process's command line runs etcd as member `id` (a pid reused by another program does not). */
export function runsEtcdMember(args: readonly string[], id: string): boolean {
  const at = args.indexOf('--name');
  return path.basename(args[0] ?? '') === path.basename(etcdBinary()) && at >= 0 && args[at + 1] === id;
}
