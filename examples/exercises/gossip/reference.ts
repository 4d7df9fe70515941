/**
 * Exercise 3, gossip: a reference solution (TypeScript, Node.js built-ins only).
 *
 * A Maelstrom broadcast node. Every fact a node learns is sent to each neighbour until that neighbour
 * acknowledges it, so a lost message, a duplicate or a partition only delays a fact, never loses it:
 *   broadcast {message}  -> store it, answer broadcast_ok, queue it for the neighbours
 *   gossip {messages}    -> store the new ones, queue them for the other neighbours, answer gossip_ok {messages}
 *   gossip_ok {messages} -> the neighbour has them: stop resending
 *   every 100 ms         -> send each neighbour the facts it has not acknowledged
 *
 * Built with the project (npm run build): ccm exercise check gossip -- node dist/examples/exercises/gossip/reference.js
 */
import readline from 'node:readline';

type Body = { type: string; msg_id?: number; in_reply_to?: number; [field: string]: unknown };
type Message = { src: string; dest: string; body: Body };

let nodeId = '';
let neighbours: string[] = [];
const facts = new Set<number>();
const unacked = new Map<string, Set<number>>();
let nextMsgId = 0;

function send(dest: string, body: Body): void {
  process.stdout.write(JSON.stringify({ src: nodeId, dest, body: { msg_id: ++nextMsgId, ...body } }) + '\n');
}

function reply(request: Message, body: Body): void {
  send(request.src, { ...body, in_reply_to: request.body.msg_id });
}

/** Stores new facts and queues them for every neighbour but `skip`. */
function learn(values: number[], skip?: string): void {
  const fresh = values.filter((v) => !facts.has(v));
  for (const v of fresh) facts.add(v);
  for (const n of neighbours) if (n !== skip) for (const v of fresh) unacked.get(n)!.add(v);
}

function handle(msg: Message): void {
  const body = msg.body;
  switch (body.type) {
    case 'init':
      nodeId = String(body.node_id);
      neighbours = (body.node_ids as string[]).filter((n) => n !== nodeId);
      for (const n of neighbours) unacked.set(n, new Set());
      setInterval(() => {
        for (const [n, values] of unacked) if (values.size > 0) send(n, { type: 'gossip', messages: [...values].slice(0, 2000) });
      }, 100);
      reply(msg, { type: 'init_ok' });
      break;
    case 'topology':
      neighbours = ((body.topology as Record<string, string[]>)[nodeId] ?? neighbours).slice();
      for (const n of neighbours) if (!unacked.has(n)) unacked.set(n, new Set());
      reply(msg, { type: 'topology_ok' });
      break;
    case 'broadcast':
      learn([body.message as number]);
      reply(msg, { type: 'broadcast_ok' });
      break;
    case 'read':
      reply(msg, { type: 'read_ok', messages: [...facts].sort((a, b) => a - b) });
      break;
    case 'gossip':
      learn(body.messages as number[], msg.src);
      reply(msg, { type: 'gossip_ok', messages: body.messages });
      break;
    case 'gossip_ok':
      for (const v of body.messages as number[]) unacked.get(msg.src)?.delete(v);
      break;
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim()) handle(JSON.parse(line) as Message);
}).on('close', () => process.exit(0));
