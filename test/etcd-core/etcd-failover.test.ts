import { expect } from 'chai';
import { status as grpcStatus } from '@grpc/grpc-js';
import { CcmError } from '../../src/errors/ccm-error.js';
import { EtcdRpc, isNeverSent } from '../../src/etcd-core/etcd-rpc.js';
import { etcdMissingReason, startLocalEtcd, type LocalEtcdCluster } from '../../src/etcd-core/local-etcd.js';
import { systemScheduler } from '../../src/time/scheduler.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Which failed calls certainly never reached etcd (grpc-js's own wording): the only writes sent again. */
describe('EtcdRpc: which failed writes never left', () => {
  const err = (code: number, details: string) => Object.assign(new Error(`${code} X: ${details}`), { code, details });
  it('no connection, or a stream refused before it was read: never sent', () => {
    expect(isNeverSent(err(grpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1'))).to.equal(true);
    expect(isNeverSent(err(grpcStatus.UNAVAILABLE, 'Stream refused by server'))).to.equal(true);
  });
  it('a connection dropped under the call, a deadline, a cancel: maybe sent', () => {
    expect(isNeverSent(err(grpcStatus.UNAVAILABLE, 'Connection dropped'))).to.equal(false);
    expect(isNeverSent(err(grpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'))).to.equal(false);
    expect(isNeverSent(err(grpcStatus.CANCELLED, 'Call cancelled'))).to.equal(false);
    expect(isNeverSent(err(grpcStatus.UNAVAILABLE, 'etcdserver: request timed out'))).to.equal(false);
  });
});

/**
 * A paused member (SIGSTOP: its sockets stay open, nothing answers) under a client connected to it: a read goes to
 * another member within its deadline; a write sent to it fails with `timeout`, its outcome unknown (the keep-alive
 * drops the connection under it: "Connection dropped"), and the next write goes elsewhere.
 */
describe('EtcdRpc with a paused member (real etcd processes)', function () {
  this.timeout(90_000);
  let cluster: LocalEtcdCluster | null = null;
  const rpcs: EtcdRpc[] = [];
  const connected = async (endpoints: string[]): Promise<EtcdRpc> => {
    const rpc = new EtcdRpc(endpoints, systemScheduler);
    rpcs.push(rpc);
    await rpc.call('KV', 'Put', { key: b64('/ccm/test/warm'), value: b64('1') }, systemScheduler.now() + 20_000, false);
    return rpc;
  };

  before(async function () {
    const missing = etcdMissingReason();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    cluster = await startLocalEtcd({ size: 3 });
  });
  after(async () => {
    for (const r of rpcs) r.close();
    if (cluster) {
      for (const m of cluster.members) cluster.resume(m.name);
      await cluster.stop();
    }
  });

  it('a read moves on; a write in flight is timeout (outcome unknown); the next write goes to a live member', async () => {
    const reader = await connected(cluster!.endpoints);
    // The writer on the same member as the reader (the cluster is up now: its first endpoint answers at once).
    const first = cluster!.members.find((m) => m.clientUrl.endsWith(reader.currentTarget))!;
    const writer = await connected([first.clientUrl, ...cluster!.endpoints.filter((u) => u !== first.clientUrl)]);
    expect(writer.currentTarget).to.equal(reader.currentTarget);
    cluster!.pause(first.name);

    const read = await reader.call<{ kvs?: unknown[] }>('KV', 'Range', { key: b64('/ccm/test/warm') }, systemScheduler.now() + 20_000, true);
    expect(read.kvs ?? []).to.have.length(1);
    expect(first.clientUrl.endsWith(reader.currentTarget)).to.equal(false);

    // Long enough for the keep-alive (5 s + 2 s) to drop the paused member's connection under the call.
    const started = Date.now();
    const failed = await writer.call('KV', 'Put', { key: b64('/ccm/test/k'), value: b64('v') }, systemScheduler.now() + 30_000, false).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failed, 'the write to a paused member cannot succeed').to.be.instanceOf(CcmError);
    const e = failed as CcmError;
    expect(e.code, e.message).to.equal('timeout');
    expect(e.message).to.match(/may or may not have happened/);
    expect((e.details as { outcomeUnknown?: boolean } | undefined)?.outcomeUnknown).to.equal(true);
    console.log(`      the write failed after ${Date.now() - started} ms: ${e.message}`);

    await writer.call('KV', 'Put', { key: b64('/ccm/test/k'), value: b64('v2') }, systemScheduler.now() + 20_000, false);
    expect(first.clientUrl.endsWith(writer.currentTarget)).to.equal(false);
    cluster!.resume(first.name);
  });
});
