/**
 * Exercise 4, spontaneous leader election: a starting point (TypeScript, Node.js built-ins only).
 *
 * The harness is your network: it starts several copies of this program, sends each an `init`, and asks each
 * `leader` several times a second while it splits the nodes into two halves for a while and later stops the leader.
 * Answer with the node you follow (yourself included), or null: never two leaders at once, one agreed leader soon after every heal.
 * See docs/exercises/node-protocol.md.
 *
 * Compile it (npx tsc --outDir out my-election.ts) and check it:
 *   ccm exercise check election -- node out/my-election.js
 */
import readline from 'node:readline';

type Body = { type: string; msg_id?: number; in_reply_to?: number; [field: string]: unknown };
type Message = { src: string; dest: string; body: Body };

let nodeId = '';
let peers: string[] = [];

function send(dest: string, body: Body): void {
  process.stdout.write(JSON.stringify({ src: nodeId, dest, body }) + '\n');
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line) as Message;
  const body = msg.body;
  if (body.type === 'init') {
    nodeId = String(body.node_id);
    peers = (body.node_ids as string[]).filter((n) => n !== nodeId);
    // TODO: learn who is there, and keep learning.
    send(msg.src, { type: 'init_ok', in_reply_to: body.msg_id });
  } else if (body.type === 'leader') {
    // TODO: pick a leader every node agrees on, without a coordinator.
    send(msg.src, { type: 'leader_ok', leader: nodeId, in_reply_to: body.msg_id });
  }
  // TODO: handle the messages your nodes send each other.
}).on('close', () => process.exit(0));
void peers;
