/**
 * `ccm explain leader`: why the emergent leader is who it is. Every node applies one rule to its own gossip view
 * (src/leader/emergent-leader.ts: the oldest member it holds alive), so the answer is each view's ranking, and where
 * views differ, the members one view passes over (suspect or dead in it) and the events that made them so.
 */
import type { LeaderView } from '../api/api-types.js';
import type { ClusterPaths } from '../cluster/cluster-dir.js';
import { readRunningCluster } from '../cluster/cluster-file.js';
import { ago, askEveryNode, clock, isErrorAnswer, list, recentEvents, type Explanation } from './explanation.js';

export async function explainLeader(paths: ClusterPaths): Promise<Explanation> {
  const file = readRunningCluster(paths);
  const answers = await askEveryNode<LeaderView>(file, '/v1/leader');
  const views = [...answers.entries()].flatMap(([node, a]) => (isErrorAnswer(a) ? [] : [{ node, view: a }]));
  const silent = [...answers.entries()].flatMap(([node, a]) => (isErrorAnswer(a) ? [`${node} (${a.error})`] : []));
  const groups = new Map<string, string[]>();
  for (const { node, view } of views) groups.set(view.leader ?? 'nobody', [...(groups.get(view.leader ?? 'nobody') ?? []), node]);
  const because: string[] = [
    "The rule (ccm's emergent leader, like Akka's singleton-on-oldest): among the members a node's own gossip view holds alive, " +
      'the one whose process started first leads. There is no election round: every node applies the rule to its own view, so the nodes agree exactly when their views do.',
  ];
  let answer: string;
  if (views.length === 0) {
    answer = `No node answered (${list(silent)}): nothing to explain.`;
  } else if (groups.size === 1) {
    const leader = [...groups.keys()][0];
    answer = leader === 'nobody' ? 'No node names a leader: every view holds no member alive.' : `${views.length === file.nodes.length ? `All ${views.length}` : `The ${views.length} answering`} nodes name ${leader} as the emergent leader.`;
    const ranking = views[0].view.ranking;
    if (ranking.length > 0) {
      const first = ranking[0];
      const after = ranking.slice(1, 5).map((r) => `${r.id} (+${ago(r.joinedAtMs - first.joinedAtMs)})`);
      because.push(`${first.id} started at ${clock(first.joinedAtMs)}, before every other member held alive${after.length ? `: ${list(after)}` : ''}.`);
    }
  } else {
    answer = `The views differ: ${[...groups.entries()].map(([leader, nodes]) => `${list(nodes)} name${nodes.length === 1 ? 's' : ''} ${leader}`).join('; ')}.`;
    because.push('Under a partition, or while gossip has not spread a failure yet, each side ranks only the members it holds alive, and each may name its own leader (a split brain the rule cannot prevent: what must be exclusive goes through the core\'s leases).');
  }
  // what each view passes over, and why
  const passedOver = new Map<string, { by: string[]; state: string }>();
  for (const { node, view } of views) {
    for (const p of view.passedOver) {
      const entry = passedOver.get(p.id) ?? { by: [], state: p.state };
      entry.by.push(node);
      passedOver.set(p.id, entry);
    }
  }
  if (passedOver.size > 0) {
    const events = recentEvents(paths, { types: ['member-suspect', 'member-dead', 'member-left'] }, 500);
    for (const [id, { by, state }] of passedOver) {
      const cause = [...events].reverse().find((e) => e.member === id && by.includes(e.source));
      because.push(
        `${list(by)} pass${by.length === 1 ? 'es' : ''} over ${id}, which started earlier, because ${by.length === 1 ? 'its view holds' : 'their views hold'} it ${state}` +
          (cause ? `: at ${clock(cause.ts)} ${cause.source} recorded "${cause.message}"` : '') +
          '.',
      );
    }
  }
  if (silent.length > 0) because.push(`Not asked: ${list(silent)}.`);
  return { subject: 'leader', answer, because, facts: { views: views.map((v) => v.view), silent, groups: Object.fromEntries(groups) } };
}
