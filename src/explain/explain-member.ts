/**
 * `ccm explain member n3 [--from n1]`: why one node's view holds a member alive, suspect or dead: its state and
 * phi now, the running suspicion (who accused, who confirmed, when it turns into a death), the membership events that
 * view recorded about it (accusations, confirmations, the death and its cause, refutations), and the other views.
 */
import { CcmError } from '../errors/ccm-error.js';
import type { MembersView } from '../api/api-types.js';
import { requestJson } from '../client/http-json.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { findNode, readRunningCluster } from '../cluster/cluster-file.js';
import { processState } from '../cluster/process-table.js';
import { ago, askEveryNode, clock, isErrorAnswer, list, recentEvents, type Explanation } from './explanation.js';

export async function explainMember(paths: ClusterPaths, member: string, from?: string): Promise<Explanation> {
  const file = readRunningCluster(paths);
  findNode(file, member);
  if (from !== undefined) findNode(file, from);
  // The view asked: --from, else the first running node other than the member itself.
  const viewer = from ?? file.nodes.find((n) => n.id !== member && processState(n.pid, n.id) === 'running')?.id;
  if (viewer === undefined) throw new CcmError('not_running', `no other node of cluster "${file.name}" is running to ask about ${member}`);
  const node = findNode(file, viewer);
  if (processState(node.pid, viewer) !== 'running') throw new CcmError('failed_precondition', `${viewer} is ${processState(node.pid, viewer)}: ask another node with --from`);
  const view = await requestJson<MembersView>({ host: file.host, port: node.ports.http }, 'GET', '/v1/members', undefined, { timeoutMs: 2000 });
  const row = view.members.find((m) => m.id === member);
  const suspicion = view.suspicions.find((s) => s.member === member);
  // state changes only (meta updates are news, not judgements)
  const types = ['member-joined', 'member-suspect', 'member-suspect-confirmed', 'member-dead', 'member-alive', 'member-refuted', 'member-left'];
  const events = recentEvents(paths, { nodes: [viewer], types }, 2000).filter((e) => e.member === member && e.source === viewer);
  const because: string[] = [];
  let answer: string;
  if (!row) {
    answer = `${viewer} does not know ${member} (never heard of it, or it was forgotten long after it died).`;
  } else if (row.isSelf) {
    answer = `${member} is ${viewer} itself: a node always holds itself alive (incarnation ${row.incarnation}).`;
  } else {
    answer = `${viewer} holds ${member} ${row.state} (incarnation ${row.incarnation}), for ${ago(row.stateForMs)}.`;
    because.push(
      `phi (the phi accrual detector's suspicion, from the gaps between datagrams heard from ${member}) is ${row.phi.toFixed(2)}: ` +
        (row.phi < 1 ? 'it was heard from recently, as often as usual' : row.phi < 8 ? 'later than usual, but under the threshold of 8' : `far longer than usual: at 8 the odds that the silence is normal are one in 10^8`) +
        '.',
    );
    if (suspicion) {
      because.push(
        `It is suspect: ${list(suspicion.accusers.slice(0, 1))} accused it${suspicion.accusers.length > 1 ? `, ${list(suspicion.accusers.slice(1))} confirmed` : ''} ` +
          `(${suspicion.confirmations} of ${suspicion.confirmationsWanted} confirmation${suspicion.confirmationsWanted === 1 ? '' : 's'} that shorten the timer, Lifeguard); ` +
          `${viewer} declares it dead in ${ago(suspicion.deadInMs)} unless ${member} refutes with a higher incarnation.`,
      );
    } else if (row.state === 'alive') {
      because.push(`No suspicion of it is running in ${viewer}'s view: its probes (direct, then through others) get answers.`);
    }
  }
  const shown = events.slice(-6);
  for (const e of shown) because.push(`At ${clock(e.ts)} ${viewer} recorded: ${e.message}.`);
  if (events.length === 0 && row && !row.isSelf) because.push(`${viewer}'s log holds no membership event about ${member} (it has been ${row.state} all along, as far as the log goes back).`);
  // the other views, in a sentence
  const others = await askEveryNode<MembersView>(file, '/v1/members');
  const byState = new Map<string, string[]>();
  for (const [id, a] of others) {
    if (id === viewer || id === member) continue;
    const state = isErrorAnswer(a) ? `not asked (${a.error})` : (a.members.find((m) => m.id === member)?.state ?? 'unknown');
    byState.set(state, [...(byState.get(state) ?? []), id]);
  }
  if (byState.size > 0) because.push(`Other views: ${[...byState.entries()].map(([state, ids]) => `${list(ids)} ${state.startsWith('not asked') ? 'were ' + state : `hold${ids.length === 1 ? 's' : ''} it ${state}`}`).join('; ')}.`);
  return { subject: `member ${member}`, answer, because, facts: { viewer, member: row ?? null, suspicion: suspicion ?? null, events: shown, otherViews: Object.fromEntries(byState) } };
}
