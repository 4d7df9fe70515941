/**
 * Exercise 3, gossip: a plausible but broken solution (TypeScript).
 *
 * It forwards each new fact to its neighbours once and never again: no acknowledgement, no retransmission.
 * On a perfect network every node gets every fact; when a message is lost, or a partition cuts a neighbour off,
 * the fact never reaches the nodes behind it.
 *
 * Watch it fail: ccm exercise check gossip --solution broken --language ts
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

function spread(value: number, skip?: string): void {
  if (facts.has(value)) return;
  facts.add(value);
  for (const n of neighbours) if (n !== skip) send(n, { type: 'gossip', message: value }); // fire and forget
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line) as Message;
  const body = msg.body;
  if (body.type === 'init') {
    nodeId = String(body.node_id);
    neighbours = (body.node_ids as string[]).filter((n) => n !== nodeId);
    reply(msg, { type: 'init_ok' });
  } else if (body.type === 'topology') {
    neighbours = (body.topology as Record<string, string[]>)[nodeId] ?? neighbours;
    reply(msg, { type: 'topology_ok' });
  } else if (body.type === 'broadcast') {
    spread(body.message as number);
    reply(msg, { type: 'broadcast_ok' });
  } else if (body.type === 'gossip') {
    spread(body.message as number, msg.src);
  } else if (body.type === 'read') {
    reply(msg, { type: 'read_ok', messages: [...facts].sort((a, b) => a - b) });
  }
}).on('close', () => process.exit(0));
