/**
 * The commands of the SWIM golden transcripts (test/golden/swim/*.txt), over the real SwimNode with a ManualClock
 * and seeded randomness. Nothing moves unless a command says so: `tick` advances time (each node does what falls
 * due and its datagrams wait in flight), `deliver` hands datagrams over, and `run` does both every millisecond on
 * a zero-latency network for the long stretches (suspicion timeouts), printing only membership events.
 *
 * The preset is `local` (probe every 200 ms, timeout 100 ms, gossip every 100 ms) with periodic push-pull and
 * reconnect off, so what spreads, spreads by probes and gossip; push-pull happens on join only.
 */
import { SeededRandom } from '../../src/random/random.js';
import { localConfig, type SwimConfig } from '../../src/swim/swim-config.js';
import type { MemberEvent } from '../../src/swim/swim-node.js';
import { SwimNode } from '../../src/swim/swim-node.js';
import type { SwimMessage, SwimPacket } from '../../src/swim/messages.js';
import { ManualClock } from '../../src/time/clock.js';
import { arg, intOpt, type Command } from './datadriven.js';

export const SWIM_COMMANDS = [
  'add a b c [seed=1]                  start nodes (alone: each knows only itself)',
  'join b a                            b joins through a: a push-pull both ways now, b\'s alive queued for gossip',
  'tick <ms> | next                    advance time 1 ms at a time | to the next thing due; datagrams sent wait in flight',
  'deliver [b …]                       hand every datagram in flight (to those nodes) over',
  'run <ms> [until=a>c]                tick and deliver every ms (zero latency), printing events only [stop when a pings c]',
  'partition c | cut a c | heal        drop c\'s datagrams both ways | only between a and c | undo both',
  'kill c | pause c | resume c         c stops (no ticks; datagrams to it are lost): a crash | a stall | it goes on',
  'set-tags a k=v … | leave a          change a\'s tags (gossiped) | leave gracefully',
  'members [a …] | suspicions a        each node\'s view | running suspicion timers',
];

interface Datagram {
  from: string;
  to: string;
  packet: SwimPacket;
}

export class SwimEnv {
  private readonly clock = new ManualClock(0);
  private readonly nodes = new Map<string, SwimNode>();
  private readonly killed = new Set<string>();
  private readonly partitioned = new Set<string>();
  /** Links cut both ways (linkKey). */
  private readonly cutLinks = new Set<string>();
  private inFlight: Datagram[] = [];
  private random = new SeededRandom(1);
  private readonly config: SwimConfig = { ...localConfig(), pushPullIntervalMs: 0, reconnectIntervalMs: 0 };

  run(cmd: Command): string[] {
    switch (cmd.name) {
      case 'add':
        return this.add(cmd);
      case 'join': {
        const usage = 'join <node> <seed>';
        const seed = arg(cmd, 1, usage);
        this.node(arg(cmd, 0, usage)).join([{ id: seed, address: seed }]);
        return this.collect(true);
      }
      case 'tick':
        return this.tick(Number(arg(cmd, 0, 'tick <ms>')), false);
      case 'deliver':
        return this.deliver(cmd.args.length > 0 ? cmd.args : [...this.nodes.keys()]);
      case 'run': {
        const until = cmd.opts.get('until')?.split('>');
        return this.tick(Number(arg(cmd, 0, 'run <ms>')), true, until === undefined ? undefined : { from: until[0], to: until[1] });
      }
      case 'next':
        return this.next();
      case 'partition':
        for (const id of cmd.args) this.partitioned.add(id);
        return [];
      case 'cut': {
        const usage = 'cut <a> <b>';
        this.cutLinks.add(linkKey(arg(cmd, 0, usage), arg(cmd, 1, usage)));
        return [];
      }
      case 'heal':
        this.partitioned.clear();
        this.cutLinks.clear();
        return [];
      case 'kill':
      case 'pause':
        for (const id of cmd.args) this.killed.add(id);
        return [];
      case 'resume':
        for (const id of cmd.args) this.killed.delete(id);
        return [];
      case 'set-tags': {
        const id = arg(cmd, 0, 'set-tags <node> k=v …');
        this.node(id).setTags(Object.fromEntries(cmd.opts));
        return this.collect(true);
      }
      case 'leave':
        this.node(arg(cmd, 0, 'leave <node>')).leave();
        return this.collect(true);
      case 'members':
        return (cmd.args.length > 0 ? cmd.args : [...this.nodes.keys()]).map((id) => this.members(id));
      case 'suspicions': {
        const id = arg(cmd, 0, 'suspicions <node>');
        const s = this.node(id).suspicions();
        if (s.length === 0) return [`${id}: none`];
        return s.map(
          (v) =>
            `${id}: ${v.memberId}@${v.incarnation} accused by ${v.accusers.join(',')} confirmations ${v.confirmations}/${v.confirmationsWanted} ` +
            `timeout ${v.timeoutMinMs}..${v.timeoutMaxMs} ms, dead at t=${Math.round(v.deadlineMs)}`,
        );
      }
      default:
        throw new Error(`unknown command "${cmd.name}"; commands:\n${SWIM_COMMANDS.join('\n')}`);
    }
  }

  private add(cmd: Command): string[] {
    if (cmd.opts.has('seed')) this.random = new SeededRandom(intOpt(cmd, 'seed', 1));
    for (const id of cmd.args) {
      const node = new SwimNode({
        id,
        address: id,
        meta: { joinedAtMs: this.clock.nowMs(), tags: {} },
        config: this.config,
        clock: this.clock,
        random: this.random.fork(),
      });
      this.nodes.set(id, node);
    }
    return cmd.args.map((id) => this.members(id));
  }

  private node(id: string): SwimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private now(): number {
    return this.clock.monotonicMs();
  }

  /**
   * Drains every node: datagrams go in flight, push-pulls are exchanged at once (TCP, in the real node) and print
   * as one line, events print as they come. Repeats while a push-pull produced more.
   */
  private collect(showSends = false): string[] {
    const out: string[] = [];
    for (let round = 0; round < 100; round++) {
      let more = false;
      for (const [id, node] of this.nodes) {
        const ready = node.drain();
        if (this.killed.has(id)) continue;
        for (const p of ready.packets) {
          this.inFlight.push({ from: id, to: p.to, packet: p.packet });
          if (showSends) out.push(`t=${this.now()} ${id} -> ${p.to} sent: ${p.packet.msgs.map(formatMessage).join(' + ')}`);
        }
        for (const e of ready.events) out.push(`t=${this.now()} ${id}: ${formatEvent(e)}`);
        for (const pp of ready.pushPulls) {
          more = true;
          const peer = this.nodes.get(pp.to);
          if (peer === undefined || this.killed.has(pp.to) || this.cut(id, pp.to)) {
            out.push(`t=${this.now()} ${id}->${pp.to} push-pull failed`);
            continue;
          }
          const reply = peer.receivePushPull(id, pp.state);
          node.receivePushPullReply(pp.to, reply);
          out.push(`t=${this.now()} ${id}<->${pp.to} push-pull${pp.state.join ? ' (join)' : ''}: sent ${pp.state.members.length} member(s), got ${reply.members.length}`);
        }
      }
      if (!more) return out;
    }
    throw new Error('push-pulls did not settle');
  }

  private cut(a: string, b: string): boolean {
    return this.partitioned.has(a) || this.partitioned.has(b) || this.cutLinks.has(linkKey(a, b));
  }

  /**
   * Advances time to now+ms, one millisecond at a time, ticking each node when something of its is due. Without
   * `deliver`, datagrams wait in flight and each send prints; with it, every datagram (and what it provokes) is
   * delivered within the same ms, and only events print. `until` (with deliver) stops right after the ms in which
   * that node sends a ping to that target, before it is delivered.
   */
  private tick(ms: number, deliver: boolean, until?: { from: string; to: string }): string[] {
    if (!Number.isInteger(ms) || ms <= 0) throw new Error('the time must be a positive whole number of ms');
    const out: string[] = [];
    const end = this.now() + ms;
    while (this.now() < end) {
      this.clock.advance(1);
      this.tickDue();
      const before = this.inFlight.length;
      out.push(...this.collect(!deliver));
      if (until !== undefined && this.inFlight.slice(before).some((d) => d.from === until.from && d.to === until.to && d.packet.msgs[0]?.type === 'ping')) {
        out.push(`t=${this.now()}: ${until.from} pings ${until.to}; stopped before delivering`);
        return out;
      }
      // Zero latency: what a delivery provokes (an ack, a relayed ping) is delivered within the same ms.
      if (deliver) for (let hop = 0; hop < 10 && this.inFlight.length > 0; hop++) out.push(...this.deliver([...this.nodes.keys()], false));
    }
    if (until !== undefined) throw new Error(`${until.from} sent no ping to ${until.to} within ${ms} ms`);
    return out;
  }

  /** Advances to the next moment something falls due on any node (as a driver sleeping until nextDeadlineMs). */
  private next(): string[] {
    let due = Infinity;
    for (const [id, node] of this.nodes) if (!this.killed.has(id)) due = Math.min(due, node.nextDeadlineMs());
    if (!Number.isFinite(due)) throw new Error('nothing is due');
    this.clock.set(Math.max(this.now(), Math.ceil(due)));
    this.tickDue();
    return this.collect(true);
  }

  private tickDue(): void {
    for (const [id, node] of this.nodes) if (!this.killed.has(id) && node.nextDeadlineMs() <= this.now()) node.tick();
  }

  /** Delivers the datagrams in flight to `to` (in send order), then collects what the receivers produced. */
  private deliver(to: string[], showTraffic = true): string[] {
    const batch = this.inFlight.filter((d) => to.includes(d.to));
    this.inFlight = this.inFlight.filter((d) => !to.includes(d.to));
    const out: string[] = [];
    for (const d of batch) {
      const line = `${d.from} -> ${d.to} delivered: ${d.packet.msgs.map(formatMessage).join(' + ')}`;
      if (this.killed.has(d.to) || this.cut(d.from, d.to)) {
        if (showTraffic) out.push(`t=${this.now()} ${d.from} -> ${d.to} dropped (${this.killed.has(d.to) ? 'down' : 'cut'}): ${d.packet.msgs.map(formatMessage).join(' + ')}`);
        continue;
      }
      if (showTraffic) out.push(`t=${this.now()} ${line}`);
      this.nodes.get(d.to)?.receivePacket(d.from, JSON.parse(JSON.stringify(d.packet)) as unknown);
    }
    out.push(...this.collect(showTraffic));
    return out;
  }

  private members(id: string): string {
    const node = this.node(id);
    const view = node
      .members()
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((m) => `${m.id} ${m.state}@${m.incarnation}${formatTags(m.meta.tags)}`)
      .join(', ');
    return `${id}${this.killed.has(id) ? ' (down)' : ''}: ${view}`;
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function formatTags(tags: Record<string, string>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? '' : ` {${entries.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/** One message: probes by sequence number, broadcasts as member@incarnation. */
export function formatMessage(m: SwimMessage): string {
  switch (m.type) {
    case 'ping':
      return `ping ${m.target} #${m.seq}`;
    case 'ack':
      return `ack #${m.seq}`;
    case 'nack':
      return `nack #${m.seq}`;
    case 'ping-req':
      return `ping-req ${m.target} #${m.seq}${m.wantsNack ? ' (wants nack)' : ''}`;
    case 'alive':
      return `alive ${m.member}@${m.incarnation}${formatTags(m.meta.tags)}`;
    case 'suspect':
      return `suspect ${m.member}@${m.incarnation} by ${m.from}`;
    case 'dead':
      return m.from === m.member ? `leave ${m.member}@${m.incarnation}` : `dead ${m.member}@${m.incarnation} by ${m.from}`;
  }
}

/** One membership event as the observer saw it. */
export function formatEvent(e: MemberEvent): string {
  const at = `${e.memberId}@${e.incarnation}`;
  switch (e.type) {
    case 'joined':
      return `${at} joined (via ${e.via})`;
    case 'alive':
      return `${at} alive again, was ${e.previousState} (via ${e.via})`;
    case 'suspect':
      return `${at} suspect, accused by ${e.accuser} (via ${e.via}); ${e.confirmationsWanted} confirmation(s) wanted, timeout ${e.timeoutMinMs}..${e.timeoutMaxMs} ms`;
    case 'suspect-confirmed':
      return `${at} suspicion confirmed by ${e.confirmer} (${e.confirmations}/${e.confirmationsWanted})`;
    case 'dead':
      return `${at} dead, declared by ${e.declaredBy} (${e.cause}${e.suspectedForMs !== undefined ? `, suspected for ${Math.round(e.suspectedForMs)} ms` : ''})`;
    case 'left':
      return `${at} left (via ${e.via})`;
    case 'updated-meta':
      return `${at} meta updated:${formatTags(e.meta.tags) || ' no tags'} (via ${e.via})`;
    case 'refuted':
      return `refuted ${e.accusation} of ${e.memberId}@${e.accusedIncarnation}${e.accuser !== undefined ? ` by ${e.accuser}` : ''}: now @${e.incarnation}`;
  }
}
