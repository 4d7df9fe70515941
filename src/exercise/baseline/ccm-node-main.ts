/**
 * ccm's own implementation as a Maelstrom node, so that a learner's node and ccm's are measured the same way by
 * `ccm exercise check gossip | failure-detection | election`. It runs the same pure cores a ccm node runs:
 * SWIM + Lifeguard (src/swim) with the settings of a ccm cluster (probe every 200 ms), and the emergent-leader
 * rule (src/leader). The driver is the gossip driver's, with the harness's messages in place of UDP and TCP:
 * - a SWIM datagram is a message `{"type":"swim","packet":…}`; a push-pull is `{"type":"swim_pp","state":…}`
 *   answered by `{"type":"swim_pp_ok","state":…}`;
 * - facts (gossip) spread the way ccm spreads user key/values: in the member's meta (`meta.facts`, the facts
 *   broadcast to it), carried by SWIM's piggybacked gossip and push-pull; a read is every fact in every member's meta;
 * - suspects (failure detection) are the members its SWIM view holds dead (suspect is SWIM's question, not its verdict:
 *   a suspect that answers is alive again);
 * - the leader (election) is the emergent leader of its view: the oldest member it holds alive.
 */
import readline from 'node:readline';
import { emergentLeader } from '../../leader/emergent-leader.js';
import { SeededRandom } from '../../random/random.js';
import { localConfig } from '../../swim/swim-config.js';
import { SwimNode } from '../../swim/swim-node.js';
import { SystemClock } from '../../time/clock.js';

type Body = { type: string; msg_id?: number; in_reply_to?: number; [k: string]: unknown };
type Message = { src: string; dest: string; body: Body };

const clock = new SystemClock();
const random = new SeededRandom(Number(process.env.CCM_EXERCISE_SEED ?? Date.now()) ^ process.pid);
/** ccm's cluster settings (gossip-driver.ts gossipConfig at the default 200 ms probe), with room for facts in meta. */
const config = { ...localConfig(), probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 100, maxMetaBytes: 60_000, maxPacketBytes: 65_000 };
/** A member we hold dead that speaks to us gets a push-pull, at most this often (the gossip driver's revenant rule). */
const REVENANT_EXCHANGE_INTERVAL_MS = 1000;

let selfId = '';
let swim: SwimNode | null = null;
let timer: NodeJS.Timeout | null = null;
let nextMsgId = 1;
const facts = new Set<number>();
const pushPulls = new Map<number, string>();
const revenants = new Map<string, number>();

function send(dest: string, body: Body): void {
  process.stdout.write(JSON.stringify({ src: selfId, dest, body }) + '\n');
}

function reply(request: Message, body: Body): void {
  send(request.src, { ...body, in_reply_to: request.body.msg_id });
}

function pump(): void {
  if (!swim) return;
  swim.tick();
  const ready = swim.drain();
  for (const p of ready.packets) send(p.to, { type: 'swim', packet: p.packet });
  for (const pp of ready.pushPulls) {
    const msgId = nextMsgId++;
    pushPulls.set(msgId, pp.to);
    if (pushPulls.size > 1000) pushPulls.delete(pushPulls.keys().next().value as number);
    send(pp.to, { type: 'swim_pp', msg_id: msgId, state: pp.state });
  }
  if (timer) clearTimeout(timer);
  const due = swim.nextDeadlineMs();
  timer = Number.isFinite(due) ? setTimeout(pump, Math.max(1, Math.ceil(due - clock.monotonicMs()))) : null;
}

function allFacts(): number[] {
  const out = new Set<number>(facts);
  for (const m of swim?.members() ?? []) {
    const theirs = m.meta.facts;
    if (Array.isArray(theirs)) for (const v of theirs) if (Number.isInteger(v)) out.add(v as number);
  }
  return [...out].sort((a, b) => a - b);
}

function handle(msg: Message): void {
  const body = msg.body;
  switch (body.type) {
    case 'init': {
      selfId = String(body.node_id);
      const ids = (body.node_ids as string[]).map(String);
      swim = new SwimNode({ id: selfId, address: selfId, meta: { joinedAtMs: clock.nowMs(), tags: {} }, config, clock, random });
      swim.join(ids.filter((id) => id !== selfId).map((id) => ({ id, address: id })));
      reply(msg, { type: 'init_ok' });
      pump();
      return;
    }
    case 'topology':
      reply(msg, { type: 'topology_ok' });
      return;
    case 'broadcast': {
      const value = body.message;
      if (Number.isInteger(value) && !facts.has(value as number)) {
        facts.add(value as number);
        swim?.setMeta({ facts: [...facts] });
        pump();
      }
      reply(msg, { type: 'broadcast_ok' });
      return;
    }
    case 'read':
      reply(msg, { type: 'read_ok', messages: allFacts() });
      return;
    case 'suspects': {
      const suspects = (swim?.members() ?? []).filter((m) => m.id !== selfId && m.state === 'dead').map((m) => m.id);
      reply(msg, { type: 'suspects_ok', suspects });
      return;
    }
    case 'leader':
      reply(msg, { type: 'leader_ok', leader: swim ? (emergentLeader(swim.members()) ?? null) : null });
      return;
    case 'swim': {
      if (!swim) return;
      if (swim.receivePacket(msg.src, body.packet) && swim.member(msg.src)?.state === 'dead') {
        const now = clock.monotonicMs();
        if (now - (revenants.get(msg.src) ?? -Infinity) > REVENANT_EXCHANGE_INTERVAL_MS) {
          revenants.set(msg.src, now);
          swim.join([{ id: msg.src, address: msg.src }]);
        }
      }
      pump();
      return;
    }
    case 'swim_pp':
      if (!swim) return;
      reply(msg, { type: 'swim_pp_ok', state: swim.receivePushPull(msg.src, body.state) });
      pump();
      return;
    case 'swim_pp_ok': {
      if (!swim || body.in_reply_to === undefined || !pushPulls.delete(body.in_reply_to)) return;
      swim.receivePushPullReply(msg.src, body.state);
      pump();
      return;
    }
    default:
      if (body.msg_id !== undefined) reply(msg, { type: 'error', code: 10, text: `not supported: ${body.type}` });
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let msg: Message;
  try {
    msg = JSON.parse(line) as Message;
  } catch {
    process.stderr.write(`not JSON: ${line.slice(0, 200)}\n`);
    return;
  }
  handle(msg);
});
lines.on('close', () => process.exit(0));
