// `netkube exec`: find the pod through the API, find its runtime state on
// the node (the contract in exec-plan.ts), and run the command there with the
// terminal attached. Returns the command's exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../kube/api/core.js';
import { isApiError, KubeClient, Pods } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { agentPodDir, readAgentPodState } from './agent-pod-state.js';
import { planExec, parseEnviron, type ExecPlan, type ExecTarget, type PodRuntimeFiles } from './exec-plan.js';
import type { LabConfig } from './lab-config.js';
import { listNetns, netnsPath } from './lab-network.js';
import { isAlive } from './lab-processes.js';
import { run } from './run-command.js';

export interface ExecRequest {
  namespace?: string;
  pod: string;
  container?: string;
  command: string[];
}

/** A pod netns of this lab whose interfaces carry `ip`: the fallback when the agent left no per-pod files. */
async function netnsWithAddress(cfg: LabConfig, ip: string): Promise<string | undefined> {
  const nodeNetns = new Set([cfg.underlayNetns, ...cfg.nodes.map((n) => n.netns)]);
  for (const ns of await listNetns()) {
    if (!ns.startsWith(cfg.objectPrefix) || nodeNetns.has(ns)) continue;
    const out = await run(['ip', '-n', ns, '-j', 'addr', 'show']).catch(() => '[]');
    const links = JSON.parse(out || '[]') as { addr_info?: { local: string }[] }[];
    if (links.some((l) => l.addr_info?.some((a) => a.local === ip))) return netnsPath(ns);
  }
  return undefined;
}

export async function resolveExecTarget(cfg: LabConfig, pod: Pod, container: string, warn: (l: string) => void): Promise<ExecTarget> {
  const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw new Error(`pod "${key}" is not scheduled to a node yet`);
  const node = cfg.nodes.find((n) => n.name === nodeName);
  if (!node) throw new Error(`pod "${key}" runs on node "${nodeName}", which is not one of lab "${cfg.name}"'s nodes`);
  const podDir = agentPodDir(node.rootDir, pod.metadata.uid ?? '');
  const state = await readAgentPodState(node.rootDir, pod.metadata.uid ?? '');
  const pid = state?.containers[container]?.pid;
  if (pid !== undefined && pid > 1 && (await isAlive(pid))) {
    const env = parseEnviron(await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => ''));
    return { kind: 'container', pid, ...(Object.keys(env).length ? { env } : {}) };
  }
  if (pod.spec?.hostNetwork) return { kind: 'netns', netns: netnsPath(node.netns) };
  const netns = state?.netns ? netnsPath(state.netns) : undefined;
  if (netns && existsSync(netns)) {
    const files: PodRuntimeFiles & { netns: string } = { netns };
    for (const [k, f] of [['resolvConf', 'resolv.conf'], ['hosts', 'hosts'], ['hostname', 'hostname']] as const) {
      if (existsSync(join(podDir, f))) files[k] = join(podDir, f);
    }
    return { kind: 'pod', files };
  }
  const ip = pod.status?.podIP;
  const found = ip ? await netnsWithAddress(cfg, ip) : undefined;
  if (found) {
    warn(`netkube exec: no per-pod state from the node agent under ${podDir}; running in the pod's network namespace only`);
    return { kind: 'netns', netns: found };
  }
  throw new Error(`pod "${key}" has no network namespace yet (phase ${pod.status?.phase ?? 'Pending'})`);
}

/** How to run `req.command` inside the pod's container (joins its namespaces), as argv + environment. */
export async function planPodExec(cfg: LabConfig, req: ExecRequest): Promise<ExecPlan> {
  const client = new KubeClient(await loadKubeconfig(cfg.paths.kubeconfig), { userAgent: 'netkube-exec', requestTimeoutMs: 10_000 });
  const namespace = req.namespace ?? client.namespace ?? 'default';
  let pod: Pod;
  try {
    pod = await client.get<Pod>(Pods, req.pod, { namespace });
  } catch (e) {
    if (isApiError(e, 404)) throw new Error(`pod "${namespace}/${req.pod}" not found`);
    throw e;
  } finally {
    client.close();
  }
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = req.container ?? pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ?? names[0];
  if (!container || !names.includes(container)) {
    throw new Error(`container "${req.container ?? ''}" not found in pod "${namespace}/${req.pod}"; choose one of: ${names.join(', ')}`);
  }
  const target = await resolveExecTarget(cfg, pod, container, (l) => process.stderr.write(`${l}\n`));
  return planExec(target, req.command);
}

export async function labExec(cfg: LabConfig, req: ExecRequest): Promise<number> {
  const plan = await planPodExec(cfg, req);
  return new Promise((resolve, reject) => {
    const child = spawn(plan.argv[0]!, plan.argv.slice(1), { stdio: 'inherit', env: plan.env ?? process.env });
    child.once('error', (e) => reject(new Error(`exec: ${e.message}`)));
    // A command killed by a signal exits 128+N, as in a shell.
    child.once('exit', (code, sig) => resolve(code ?? 128 + (sig ? constants.signals[sig] : 0)));
  });
}
