/**
 * Exercise 5, failure detection: a starting point (TypeScript, Node.js built-ins only).
 *
 * The harness is your network: it starts several copies of this program, sends each an `init`, and asks each
 * `suspects` several times a second while it stops nodes one at a time and the links lose and delay messages.
 * Answer with the nodes you believe have failed: all the stopped ones, quickly, and (almost) never a running one.
 * See docs/exercises/node-protocol.md.
 *
 * Compile it (npx tsc --outDir out my-detector.ts) and check it:
 *   ccm exercise check failure-detection -- node out/my-detector.js
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
    // TODO: tell the others you are alive, regularly.
    send(msg.src, { type: 'init_ok', in_reply_to: body.msg_id });
  } else if (body.type === 'suspects') {
    // TODO: which peers have gone quiet for too long?
    send(msg.src, { type: 'suspects_ok', suspects: [], in_reply_to: body.msg_id });
  }
  // TODO: handle the messages your nodes send each other.
}).on('close', () => process.exit(0));
void peers;
