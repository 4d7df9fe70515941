import type { ClusterFile } from './cluster-file.js';

/**
 * What a shell needs to use a cluster, as `eval "$(ccm env)"` sets it: ccm's HTTP endpoints, and what etcdctl reads
 * (ETCDCTL_API, ETCDCTL_ENDPOINTS: every node's etcd port). The etcd endpoints carry no scheme: etcdctl 3.4 sends an
 * endpoint given with one as the HTTP/2 `:authority` of its per-endpoint calls (endpoint status), which a strict
 * HTTP/2 server such as Node's refuses; host:port works everywhere.
 */
export function clusterEnv(file: ClusterFile): Record<string, string> {
  const env: Record<string, string> = {
    CCM_ENDPOINTS: file.nodes.map((n) => `http://${file.host}:${n.ports.http}`).join(','),
    ETCDCTL_API: '3',
  };
  const etcd = file.nodes.filter((n) => n.ports.etcd !== undefined).map((n) => `${file.host}:${n.ports.etcd}`);
  if (etcd.length > 0) env.ETCDCTL_ENDPOINTS = etcd.join(',');
  return env;
}

/** `export NAME='value'` lines for a POSIX shell. */
export function shellExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
}
