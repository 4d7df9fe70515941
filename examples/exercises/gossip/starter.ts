/**
 * Exercise 3, gossip: a starting point (TypeScript, Node.js built-ins only).
 *
 * The harness is your network: it starts several copies of this program, sends each an `init`, then
 * `topology`, `broadcast` and `read` requests, and routes the messages your nodes send each other (losing,
 * delaying and duplicating some, and partitioning them for a while). See docs/exercises/node-protocol.md.
 *
 * This node answers every request, but does not gossip yet: each node only knows the facts broadcast to it.
 * Make every node learn every fact. Compile it (npx tsc --outDir out my-gossip.ts) and check it:
 *   ccm exercise check gossip -- node out/my-gossip.js
 */
import readline from 'node:readline';

type Body = { type: string; msg_id?: number; in_reply_to?: number; [field: string]: unknown };
type Message = { src: string; dest: string; body: Body };

let nodeId = '';
let neighbours: string[] = [];
const facts = new Set<number>();
let nextMsgId = 0;

function send(dest: string, body: Body): void {
  process.stdout.write(JSON.stringify({ src: nodeId, dest, body: { msg_id: ++nextMsgId, ...body } }) + '\n');
}

function reply(request: Message, body: Body): void {
  send(request.src, { ...body, in_reply_to: request.body.msg_id });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line) as Message;
  const body = msg.body;
  switch (body.type) {
    case 'init':
      nodeId = String(body.node_id);
      reply(msg, { type: 'init_ok' });
      break;
    case 'topology':
      neighbours = (body.topology as Record<string, string[]>)[nodeId] ?? [];
      reply(msg, { type: 'topology_ok' });
      break;
    case 'broadcast':
      facts.add(body.message as number);
      // TODO: tell the other nodes, and keep telling them until they have it.
      reply(msg, { type: 'broadcast_ok' });
      break;
    case 'read':
      reply(msg, { type: 'read_ok', messages: [...facts].sort((a, b) => a - b) });
      break;
    // TODO: handle the messages your nodes send each other.
  }
}).on('close', () => process.exit(0));
void neighbours;
