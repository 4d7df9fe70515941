import type { ClusterFile } from './cluster-file.js';

/** The user name clients give etcd's Authenticate (any name is accepted: the password, a cluster token, is what counts). */
export const ETCD_USER = 'ccm';

/**
 * What etcdctl reads to reach a cluster (ETCDCTL_API, ETCDCTL_ENDPOINTS: every node's etcd port; ETCDCTL_USER, read as
 * `--user`: the token as the password, which the nodes' etcd API requires), for `ccm env`. The
 * endpoints carry no scheme: etcdctl 3.4 sends an endpoint given with one as the HTTP/2 `:authority` of its
 * per-endpoint calls (endpoint status), which a strict HTTP/2 server such as Node's refuses; host:port works everywhere.
 */
export function etcdctlEnv(file: ClusterFile, token: string): { ETCDCTL_API?: string; ETCDCTL_ENDPOINTS?: string; ETCDCTL_USER?: string } {
  // On the etcd backend etcdctl talks to that etcd itself (the nodes serve no etcd API of their own there).
  if (file.etcd) return { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: file.etcd.endpoints.map((u) => u.replace(/^https?:\/\//, '')).join(',') };
  const etcd = file.nodes.filter((n) => n.ports.etcd !== undefined).map((n) => `${file.host}:${n.ports.etcd}`);
  return etcd.length > 0 ? { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcd.join(','), ETCDCTL_USER: `${ETCD_USER}:${token}` } : {};
}

