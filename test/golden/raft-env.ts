/**
 * The commands of the Raft golden transcripts (test/golden/raft/*.txt), over the real RawNode and MemoryStorage
 * through test/raft's TestCluster (etcd-io/raft's InteractionEnv). Nothing moves unless a command says so: ticks,
 * Ready handling and message delivery are separate steps, and every message and Ready is printed.
 *
 * Log positions print as index/term (entry 3/1: index 3, term 1), as in the core's events.
 * Nodes are named 1, 2, 3…; randomized election timeouts draw the minimum (= election ticks), so ticks are exact.
 */
import {
  describeRaftEvent,
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
  type Ready,
} from '../../src/raft/index.js';
import { TestCluster, sentBy } from '../raft/raft-test-cluster.js';
import { arg, boolOpt, intOpt, type Command } from './datadriven.js';

/** The commands, one line each, for the usage error and the file headers. */
export const RAFT_COMMANDS = [
  'init 1 2 3 [learners=4] [election=10] [heartbeat=1] [prevote=true] [checkquorum=true] [bootstrap=false]',
  '                                    start voters: log empty, term 0, configuration in storage; bootstrap=true puts it',
  '                                    in log entries 1..n instead, as a real cluster does (a joiner replays it)',
  'add-node 4                          a fresh node with empty storage (a joiner)',
  'campaign 1 | tick 1 [2 …] [n=1]     start an election | advance logical time',
  'elect 1                             campaign and stabilize quietly (setup), then print the status',
  'propose 1 v1 | conf-change 1 add-learner|add-voter|remove-node 4 | read-index 1 ctx | transfer-leader 1 2',
  'process-ready 1 [2 …]               run the Ready loop once: persist, send, apply, advance (prints the Ready)',
  'deliver-msgs [2 …] [from=1] [type=app]   step the messages in flight to those nodes (all by default)',
  'drop-msgs [from=1] [to=2] [type=app]   lose messages in flight',
  'partition 1 | heal                  cut a node off (its messages are dropped on delivery) | reconnect all',
  'stabilize [1 …]                     Ready and deliver until nothing moves',
  'compact 1 [index]                   snapshot the applied state and compact the log',
  'status [1 …] | log 1                role, term, commit, leader progress | the log',
];

export class RaftEnv {
  private cluster: TestCluster | undefined;

  run(cmd: Command): string[] {
    switch (cmd.name) {
      case 'init':
        return this.init(cmd);
      case 'add-node':
        this.c.addNode(arg(cmd, 0, 'add-node <id>'));
        return [];
      case 'campaign':
        this.c.raw(arg(cmd, 0, 'campaign <id>')).campaign();
        return [];
      case 'elect': {
        // Setup, not the point of the scenario: campaign and stabilize without printing the traffic.
        const id = arg(cmd, 0, 'elect <id>');
        this.c.raw(id).campaign();
        this.stabilize([...this.c.nodes.keys()]);
        return this.ids({ ...cmd, args: [] }).flatMap((n) => this.status(n));
      }
      case 'tick':
        for (const id of this.ids(cmd)) this.c.tick(id, intOpt(cmd, 'n', 1));
        return [];
      case 'propose': {
        const { index, term } = this.c.raw(arg(cmd, 0, 'propose <id> <data>')).propose(arg(cmd, 1, 'propose <id> <data>'));
        return [`proposed at ${index}/${term}`];
      }
      case 'conf-change': {
        const usage = 'conf-change <id> add-learner|add-voter|remove-node <node>';
        const cc = { type: arg(cmd, 1, usage), nodeId: arg(cmd, 2, usage) } as ConfChange;
        const { index, term } = this.c.raw(arg(cmd, 0, usage)).proposeConfChange(cc);
        return [`proposed at ${index}/${term}`];
      }
      case 'read-index':
        this.c.raw(arg(cmd, 0, 'read-index <id> <ctx>')).readIndex(arg(cmd, 1, 'read-index <id> <ctx>'));
        return [];
      case 'transfer-leader':
        this.c.raw(arg(cmd, 0, 'transfer-leader <from> <to>')).transferLeader(arg(cmd, 1, 'transfer-leader <from> <to>'));
        return [];
      case 'process-ready':
        return this.ids(cmd).flatMap((id) => this.processReady(id));
      case 'deliver-msgs':
        return this.deliver(this.ids(cmd), (m) => this.matches(m, cmd));
      case 'drop-msgs':
        return this.c
          .take((m) => this.matches(m, cmd))
          .map((m) => `dropped: ${formatMessage(m)}`);
      case 'partition':
        for (const id of cmd.args) this.c.isolated.add(id);
        return [];
      case 'heal':
        this.c.isolated.clear();
        return [];
      case 'stabilize':
        return this.stabilize(this.ids(cmd));
      case 'compact': {
        const id = arg(cmd, 0, 'compact <id> [index]');
        this.c.snapshotAndCompact(id, cmd.args[1] === undefined ? undefined : Number(cmd.args[1]));
        const s = this.c.node(id).storage;
        return [`${id}: snapshot at ${s.snapshot().meta.index}/${s.snapshot().meta.term}, log now ${s.firstIndex()}..${s.lastIndex()}`];
      }
      case 'status':
        return this.ids(cmd).flatMap((id) => this.status(id));
      case 'log':
        return this.log(arg(cmd, 0, 'log <id>'));
      default:
        throw new Error(`unknown command "${cmd.name}"; commands:\n${RAFT_COMMANDS.join('\n')}`);
    }
  }

  private get c(): TestCluster {
    if (this.cluster === undefined) throw new Error('run init first');
    return this.cluster;
  }

  private init(cmd: Command): string[] {
    const learners = cmd.opts.get('learners')?.split(',') ?? [];
    this.cluster = new TestCluster([...cmd.args, ...learners], {
      voters: cmd.args,
      learners,
      bootstrap: boolOpt(cmd, 'bootstrap', false),
      config: {
        electionTicks: intOpt(cmd, 'election', 10),
        heartbeatTicks: intOpt(cmd, 'heartbeat', 1),
        preVote: boolOpt(cmd, 'prevote', true),
        checkQuorum: boolOpt(cmd, 'checkquorum', true),
      },
    });
    return this.ids({ ...cmd, args: [] }).flatMap((id) => this.status(id));
  }

  /** The nodes named by the command, or all of them. */
  private ids(cmd: Command): NodeId[] {
    return cmd.args.length > 0 ? cmd.args : [...this.c.nodes.keys()];
  }

  private processReady(id: NodeId): string[] {
    const rd = this.c.processReady(id);
    return rd === undefined ? [] : formatReady(id, rd);
  }

  /** Steps every in-flight message to `to` (that `filter` accepts); a partitioned end drops it. */
  private deliver(to: NodeId[], filter: (m: Message) => boolean = () => true): string[] {
    const msgs = this.c.take((m) => to.includes(m.to) && filter(m));
    return msgs.map((m) => {
      const cut = this.c.isolated.has(m.from) || this.c.isolated.has(m.to);
      if (!cut) this.c.stepOne(m);
      return `${cut ? 'dropped (partition)' : 'delivered'}: ${formatMessage(m)}`;
    });
  }

  private stabilize(ids: NodeId[]): string[] {
    const out: string[] = [];
    for (let round = 0; round < 100; round++) {
      let moved = false;
      for (const id of ids) {
        const lines = this.processReady(id);
        if (lines.length > 0) moved = true;
        out.push(...lines);
      }
      const delivered = this.deliver(ids);
      if (delivered.length > 0) moved = true;
      out.push(...delivered);
      if (!moved) return out;
    }
    throw new Error('stabilize did not settle in 100 rounds');
  }

  private matches(m: Message, cmd: Command): boolean {
    const from = cmd.opts.get('from');
    const to = cmd.opts.get('to');
    const type = cmd.opts.get('type');
    return (from === undefined || m.from === from) && (to === undefined || m.to === to) && (type === undefined || m.type === type);
  }

  private status(id: NodeId): string[] {
    const st = this.c.raw(id).status();
    const cs = st.confState;
    const lines = [
      `${id}: ${st.role} term=${st.term} vote=${st.vote ?? '-'} lead=${st.leaderId ?? '-'} commit=${st.commit} applied=${st.applied} ` +
        `log=${st.firstIndex}..${st.lastIndex} voters=[${cs.voters.join(',')}]${cs.learners.length > 0 ? ` learners=[${cs.learners.join(',')}]` : ''}` +
        (this.c.isolated.has(id) ? ' (partitioned)' : ''),
    ];
    for (const [peer, pr] of Object.entries(st.progress).sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(
        `  ${peer}: ${pr.state} match=${pr.match} next=${pr.next}${pr.isLearner ? ' learner' : ''}` +
          `${pr.inflight > 0 ? ` inflight=${pr.inflight}` : ''}${pr.pendingSnapshot > 0 ? ` pending-snapshot=${pr.pendingSnapshot}` : ''}`,
      );
    }
    return lines;
  }

  private log(id: NodeId): string[] {
    const raw = this.c.raw(id);
    const st = raw.basicStatus();
    const entries = st.lastIndex >= st.firstIndex ? raw.logEntries(st.firstIndex, st.lastIndex + 1) : [];
    return [`${id}: ${entries.length === 0 ? 'empty' : entries.map(formatEntry).join(', ')}`];
  }
}

/** One Ready, in contract order, one line per item (empty parts left out). */
function formatReady(id: NodeId, rd: Ready): string[] {
  const lines = [`> ${id} handling Ready`];
  const part = (label: string, items: string[]): void => {
    for (const it of items) lines.push(`  ${label} ${it}`);
  };
  if (rd.softState !== undefined) lines.push(`  soft: ${rd.softState.role} lead=${rd.softState.leaderId ?? '-'}`);
  if (rd.hardState !== undefined) lines.push(`  hard: term=${rd.hardState.term} vote=${rd.hardState.vote ?? '-'} commit=${rd.hardState.commit}`);
  if (rd.snapshot !== undefined) {
    const m = rd.snapshot.meta;
    lines.push(`  snapshot: ${m.index}/${m.term} voters=[${m.confState.voters.join(',')}] learners=[${m.confState.learners.join(',')}]`);
  }
  if (rd.entries.length > 0) lines.push(`  append: ${rd.entries.map(formatEntry).join(', ')}`);
  if (rd.committedEntries.length > 0) lines.push(`  apply: ${rd.committedEntries.map(formatEntry).join(', ')}`);
  part('send now:', rd.immediateMessages.map(formatMessage));
  part('send after persist:', rd.messagesAfterPersist.map(formatMessage));
  part('read:', rd.readStates.map((r) => `${r.requestCtx} at index ${r.index}`));
  part('event:', rd.events.map(describeRaftEvent));
  if (sentBy(rd).length === 0 && lines.length === 1) lines.push('  (empty)');
  return lines;
}

/** index/term (as the core's events write positions) then the data: "v1" quoted, the leader's empty entry as no-op, a conf change by its words. */
export function formatEntry(e: Entry): string {
  if (e.kind === 'conf-change') {
    const cc = JSON.parse(e.data) as ConfChange;
    return `${e.index}/${e.term} ${cc.type} ${cc.nodeId}`;
  }
  return `${e.index}/${e.term} ${e.data === '' ? 'no-op' : JSON.stringify(e.data)}`;
}

/** One message on one line: sender->receiver, type, term and the fields that matter for its type. */
export function formatMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} prev=${m.index}/${m.logTerm} commit=${m.commit}${m.entries.length > 0 ? ` entries=[${m.entries.map(formatEntry).join(', ')}]` : ''}`;
    case 'app-resp':
      return m.reject ? `${head} reject index=${m.index} hint=${m.rejectHint}/${m.logTerm}` : `${head} index=${m.index}`;
    case 'vote':
    case 'pre-vote':
      return `${head} last=${m.index}/${m.logTerm}${m.isLeaderTransfer ? ' (leader transfer)' : ''}`;
    case 'vote-resp':
    case 'pre-vote-resp':
      return `${head} ${m.reject ? 'rejected' : 'granted'}`;
    case 'snap': {
      const s = m.snapshot.meta;
      return `${head} snapshot=${s.index}/${s.term} voters=[${s.confState.voters.join(',')}] learners=[${s.confState.learners.join(',')}]`;
    }
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context !== '' ? ` ctx=${m.context}` : ''}`;
    case 'heartbeat-resp':
      return `${head}${m.context !== '' ? ` ctx=${m.context}` : ''}`;
    case 'timeout-now':
      return head;
  }
}
