import { expect } from 'chai';
import { killAllLearnerProcesses } from '../../src/exercise/learner-process.js';
import { NodeNetwork, type NodeProblem } from '../../src/exercise/protocol/node-network.js';
import { waitFor } from '../fixtures/cluster-fixture.js';

/**
 * A Maelstrom node as a Node one-liner: answers init, and runs `onMessage(msg, send)` for everything else.
 * `send(dest, body)` writes a message from this node.
 */
function node(onMessage: string): string[] {
  return [
    process.execPath,
    '-e',
    `let id = ''; const send = (dest, body) => process.stdout.write(JSON.stringify({ src: id, dest, body }) + '\\n');
     require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
       const msg = JSON.parse(line);
       if (msg.body.type === 'init') { id = msg.body.node_id; send(msg.src, { type: 'init_ok', in_reply_to: msg.body.msg_id }); return; }
       ${onMessage}
     });`,
  ];
}

describe('the harness as the network: Maelstrom messages, faults, and garbage', function () {
  this.timeout(30_000);
  let network: NodeNetwork | null = null;
  afterEach(async () => {
    await network?.stop();
    network = null;
    killAllLearnerProcesses();
  });

  it('routes messages between nodes through the link filters: a partition drops them, a heal lets them through', async () => {
    // n0..n2 relay a "ping" to the node named in it, which answers the client
    const delivered: string[] = [];
    network = new NodeNetwork({
      command: node(`if (msg.body.type === 'relay') send(msg.body.to, { type: 'ping', origin: msg.body.msg_id }); if (msg.body.type === 'ping') send('c1', { type: 'pong', in_reply_to: msg.body.origin });`),
      nodeCount: 3,
      seed: 1,
      onDeliver: (from, to) => delivered.push(`${from}>${to}`),
    });
    await network.start();
    expect(network.problems).to.deep.equal([]);
    const pong = await network.request('n0', { type: 'relay', to: 'n1' }, 3000);
    expect(pong?.type).to.equal('pong');
    expect(delivered).to.deep.equal(['n0>n1']);
    network.setFaults([{ kind: 'partition', groups: [['n0'], ['n1', 'n2']] }]);
    expect(network.canReach('n0', 'n1')).to.equal(false);
    expect(await network.request('n0', { type: 'relay', to: 'n1' }, 500)).to.equal(null);
    expect(network.traffic.n0.dropped).to.equal(1);
    network.setFaults([]);
    expect((await network.request('n0', { type: 'relay', to: 'n2' }, 3000))?.type).to.equal('pong');
  });

  it('a line that is not a message stops the run, and is shown', async () => {
    let fatal: NodeProblem | null = null;
    network = new NodeNetwork({ command: node(`process.stdout.write('this is not json\\n');`), nodeCount: 2, seed: 2, onFatal: (p) => (fatal = p) });
    await network.start();
    await network.request('n1', { type: 'read' }, 500);
    await waitFor('the garbage reported', () => fatal !== null);
    expect(fatal!).to.include({ kind: 'garbage', node: 'n1', line: 'this is not json' });
    expect(fatal!.message).to.include('not JSON');
  });

  it('a node that lies about its sender, or writes to a node that does not exist, is refused', async () => {
    let fatal: NodeProblem | null = null;
    network = new NodeNetwork({ command: node(`process.stdout.write(JSON.stringify({ src: 'n7', dest: 'c1', body: { type: 'x' } }) + '\\n');`), nodeCount: 2, seed: 3, onFatal: (p) => (fatal = p) });
    await network.start();
    await network.request('n0', { type: 'read' }, 500);
    await waitFor('the lie reported', () => fatal !== null);
    expect(fatal!.message).to.include(`"src" is "n7", but this is n0's output`);
  });

  it('a node that exits is reported with its exit status and stderr; one that ignores init fails init', async () => {
    let fatal: NodeProblem | null = null;
    network = new NodeNetwork({ command: node(`process.stderr.write('boom: ' + msg.body.type + '\\n'); process.exit(3);`), nodeCount: 2, seed: 4, onFatal: (p) => (fatal = p) });
    await network.start();
    await network.request('n0', { type: 'read' }, 500);
    await waitFor('the crash reported', () => fatal !== null);
    expect(fatal!).to.include({ kind: 'crashed', node: 'n0' });
    expect(fatal!.message).to.include('exit status 3');
    expect(fatal!.stderr).to.deep.equal(['boom: read']);
    await network.stop();

    let silent: NodeProblem | null = null;
    network = new NodeNetwork({ command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], nodeCount: 1, seed: 5, initTimeoutMs: 1000, onFatal: (p) => (silent = p) });
    await network.start();
    expect(silent!).to.include({ kind: 'no-init', node: 'n0' });
  });
});
