/**
 * Starting an agent (`ccm agent`): every check that can be made before anything changes, then the node, in this
 * process (foreground) or as a detached process (--detach), which this waits for until it has joined.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcmError } from '../../errors/ccm-error.js';
import { requestJson } from '../../client/http-json.js';
import {
  agentPidPath,
  agentPorts,
  checkAgentSpec,
  readAgentSecrets,
  resolveSeeds,
  runningAgentPid,
  writeAgentFiles,
  type AgentSecretSources,
  type AgentSpec,
  type SeedView,
} from '../../cluster/agent-config.js';
import { isPortFree } from '../../cluster/port-allocator.js';
import { spawnDetached } from '../../cluster/detached-process.js';
import { NODE_PROGRAM } from '../../cluster/node-program.js';
import { isPidAlive } from '../../cluster/process-table.js';
import type { MembersView } from '../../api/api-types.js';
import { agentNodeConfig } from '../node-config.js';
import { runNodeProcess } from '../node-process.js';

export interface AgentPlan {
  dir: string;
  spec: AgentSpec;
  /** The seed that answered (none for the first agent). */
  seed: SeedView | null;
  token: string;
  /** The CA to trust when the agents serve HTTPS. */
  ca?: string;
}

/**
 * Checks an agent before it starts, changing nothing: its settings, its bind address (one of this host's), its
 * secrets, its directory (no agent runs there), its ports (free), and a seed (answers, takes the token, and has
 * no live member with this id). Then writes agent.json and the secrets into the directory.
 */
export async function prepareAgent(dir: string, spec: AgentSpec, sources: AgentSecretSources): Promise<AgentPlan> {
  checkAgentSpec(spec);
  const secrets = await readAgentSecrets(sources);
  const abs = path.resolve(dir);
  const running = runningAgentPid(abs);
  if (running !== null) throw new CcmError('failed_precondition', `an agent already runs in ${abs} (pid ${running}); stop it first, or use another --dir`);
  const ports = agentPorts(spec.basePort);
  for (const [kind, port] of Object.entries(ports)) {
    if (!(await isPortFree(spec.bind, port, kind === 'gossip'))) {
      throw new CcmError('failed_precondition', `port ${port} (${kind}) on ${spec.bind} is already in use: another agent or program holds it; pick another --base-port`);
    }
  }
  if (spec.tls !== (secrets.tls !== undefined)) throw new CcmError('internal', 'tls in the agent settings and its files disagree');
  const seed = spec.join.length > 0 ? await resolveSeeds(spec, secrets.token, spec.joinTimeoutMs, secrets.tls?.ca) : null;
  writeAgentFiles(abs, spec, secrets);
  return { dir: abs, spec, seed, token: secrets.token, ...(secrets.tls ? { ca: secrets.tls.ca } : {}) };
}

/** Runs the agent's node in this process until SIGTERM (graceful leave) or until it cannot go on. */
export async function runAgentInForeground(plan: AgentPlan): Promise<void> {
  fs.writeFileSync(agentPidPath(plan.dir), `${process.pid}\n`);
  leaveWhenLauncherEnds();
  await runNodeProcess(plan.spec.id, () => agentNodeConfig(plan.dir, plan.spec), {
    onExit: () => fs.rmSync(agentPidPath(plan.dir), { force: true }),
    sayErrorsOnStderr: true,
  });
}

/** How often a foreground agent checks that whatever started it is still there. */
const LAUNCHER_CHECK_MS = 1000;

/**
 * A foreground agent belongs to what started it: when that process ends (`npx ccm agent` killed, its terminal gone,
 * the process re-parented), the agent leaves as on SIGTERM, instead of running on unseen. A detached agent
 * (--detach) is not tied to its launcher.
 */
function leaveWhenLauncherEnds(): void {
  const launcher = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, LAUNCHER_CHECK_MS);
  timer.unref();
}

export interface DetachedAgent {
  id: string;
  pid: number;
  log: string;
  http: string;
  alive: number;
}

/** Starts the agent's node as a detached process and waits until it answers and, with seeds, has joined. */
export async function startAgentDetached(plan: AgentPlan): Promise<DetachedAgent> {
  const log = path.join(plan.dir, 'node.log');
  const pid = spawnDetached(NODE_PROGRAM, ['--agent', plan.dir, '--id', plan.spec.id], log, `agent ${plan.spec.id}`);
  fs.writeFileSync(agentPidPath(plan.dir), `${pid}\n`);
  const endpoint = { host: plan.spec.bind, port: agentPorts(plan.spec.basePort).http, credentials: { token: plan.token, ...(plan.ca !== undefined ? { ca: plan.ca } : {}) } };
  const deadline = Date.now() + plan.spec.joinTimeoutMs + 5000;
  for (;;) {
    if (!isPidAlive(pid)) {
      fs.rmSync(agentPidPath(plan.dir), { force: true });
      throw new CcmError('unavailable', `agent ${plan.spec.id} exited: ${lastError(log)}`);
    }
    try {
      const view = await requestJson<MembersView>(endpoint, 'GET', '/v1/members', undefined, { timeoutMs: 1000 });
      const alive = view.members.filter((m) => m.state === 'alive').length;
      if (plan.spec.join.length === 0 || alive > 1) return { id: plan.spec.id, pid, log, http: `${endpoint.host}:${endpoint.port}`, alive };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      throw new CcmError('timeout', `agent ${plan.spec.id} did not join within ${Math.round((plan.spec.joinTimeoutMs + 5000) / 1000)} s; stopped it (log: ${log})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last error line of a node's log, for the message of an agent that exited. */
function lastError(log: string): string {
  try {
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').reverse();
    for (const line of lines) {
      if (line.startsWith('error: ')) return line.slice(7);
      try {
        const j = JSON.parse(line) as { level?: string; message?: string };
        if (j.level === 'fatal' || j.level === 'error') return j.message ?? line;
      } catch {
        // not JSON
      }
    }
  } catch {
    // no log
  }
  return `see ${log}`;
}
