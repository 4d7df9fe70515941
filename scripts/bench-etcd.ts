/**
 * A real etcd cluster for the side-by-side bench: the local launcher of src/etcd-core (3 members of Debian's
 * etcd-server on loopback, default settings, data in a temp dir), plus Ctrl-C handling for a script: every member is
 * killed and the dir removed by stop(), on Ctrl-C, and when this process exits.
 */
import { ETCD_BINARY, etcdVersion, startLocalEtcd, type LocalEtcdCluster, type LocalEtcdMember } from '../src/etcd-core/local-etcd.js';

export { ETCD_BINARY, etcdVersion };
export type EtcdMember = LocalEtcdMember;
export type EtcdCluster = LocalEtcdCluster;

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const cluster = await startLocalEtcd({ size });
  // Ctrl-C: the members go at once; the process exits here unless another handler (the ccm cluster's) will.
  const onInterrupt = (): void => {
    void cluster.stop().finally(() => {
      if (process.listenerCount('SIGINT') === 0) process.exit(130);
    });
  };
  process.once('SIGINT', onInterrupt);
  const stop = cluster.stop;
  return {
    ...cluster,
    async stop() {
      process.off('SIGINT', onInterrupt);
      await stop();
    },
  };
}
