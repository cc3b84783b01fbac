// The lab side of bench/overlay: `netkube up`/`down` as a user runs them,
// three echo pods pinned to nodes (a source and a same-node peer on node-1, a
// remote peer on node-2), a Service whose sole backend is the remote pod, and
// each pod's network namespace from the node agent's state file.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod, Service } from '../kube/api/core.js';
import { readAgentPodState } from '../lab/agent-pod-state.js';
import { describeDown, labDown as downLab } from '../lab/lab-down.js';
import { readLabState } from '../lab/lab-state.js';
import { run, tryRun } from '../lab/run-command.js';

export interface BenchLab {
  name: string;
  prefix: string;
  home: string;
  kubeconfig: string;
  /** The value of NETKUBE_LAB in lab processes: servers we start in pods carry it so `down` reaps them. */
  id: string;
}

export interface LabPod {
  name: string;
  node: string;
  ip: string;
  netns: string;
}

export interface LabTargets {
  src: LabPod;
  local: LabPod;
  remote: LabPod;
  clusterIP: string;
  /** Network namespace of each node, by Node name. */
  nodeNetns: Record<string, string>;
}

/** bin/netkube.js of this checkout, from dist/bench/overlay-lab.js. */
export function netkubeBin(): string {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'netkube.js');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run from a built checkout (npm run build)`);
  return bin;
}

// run() passes this process's environment on: NETKUBE_HOME must be the lab's home.
function netkube(lab: Pick<BenchLab, 'home'>, args: string[], timeoutMs: number): Promise<string> {
  if (process.env['NETKUBE_HOME'] !== lab.home) throw new Error(`set NETKUBE_HOME=${lab.home} before driving the lab`);
  return run([process.execPath, netkubeBin(), ...args], { timeoutMs });
}

/** Whether this checkout's `netkube up` has the --overlay flag (added with the VXLAN overlay). */
export async function upHasOverlayFlag(): Promise<boolean> {
  const help = (await tryRun([process.execPath, netkubeBin(), 'up', '--help'])) ?? '';
  return help.includes('--overlay');
}

export async function labUp(lab: BenchLab, flags: string[]): Promise<void> {
  await netkube(lab, ['up', '--name', lab.name, '--prefix', lab.prefix, ...flags], 180_000);
}

/**
 * `netkube down`, in this process from lab.json when it exists: the CLI loads
 * every command's modules, and a half-rebuilt dist/ (another build under way)
 * must not strand a lab. The CLI is the fallback (it finds objects by prefix).
 */
export async function labDown(lab: BenchLab): Promise<string> {
  const state = await readLabState(lab.home, lab.name).catch(() => undefined);
  if (state) return describeDown(lab.name, await downLab(state.config));
  return netkube(lab, ['down', '--name', lab.name, '--prefix', lab.prefix], 120_000);
}

const PODS = [
  { name: 'ovb-src', node: 'node-1' },
  { name: 'ovb-local', node: 'node-1' },
  { name: 'ovb-remote', node: 'node-2' },
] as const;
export const ECHO_TCP_PORT = 9000;

function manifest(): string {
  const pods = PODS.map(
    (p) => `apiVersion: v1
kind: Pod
metadata: {name: ${p.name}, namespace: default, labels: {app: ${p.name}}}
spec:
  nodeName: ${p.node}
  terminationGracePeriodSeconds: 1
  containers: [{name: echo, image: netkube/echo}]
`,
  );
  const svc = `apiVersion: v1
kind: Service
metadata: {name: ovb-remote, namespace: default}
spec:
  selector: {app: ovb-remote}
  ports: [{name: tcp, port: ${ECHO_TCP_PORT}, targetPort: ${ECHO_TCP_PORT}}]
`;
  return [...pods, svc].join('---\n');
}

function kubectl(lab: BenchLab, args: string[], input?: string): Promise<string> {
  return run(['kubectl', '--kubeconfig', lab.kubeconfig, ...args], { timeoutMs: 90_000, ...(input !== undefined ? { input } : {}) });
}

/** Creates the pods and the Service, waits for the pods, and finds their namespaces. */
export async function deployTargets(lab: BenchLab): Promise<LabTargets> {
  await kubectl(lab, ['apply', '-f', '-'], manifest());
  await kubectl(lab, ['wait', '--for=condition=Ready', '--timeout=60s', ...PODS.map((p) => `pod/${p.name}`)]);
  const state = await readLabState(lab.home, lab.name);
  if (!state) throw new Error(`no lab.json under ${lab.home}/${lab.name}`);
  const byName = new Map<string, Pod>();
  const list = JSON.parse(await kubectl(lab, ['get', 'pods', '-n', 'default', '-o', 'json'])) as { items: Pod[] };
  for (const p of list.items) if (p.metadata?.name) byName.set(p.metadata.name, p);
  const find = async (name: string): Promise<LabPod> => {
    const p = byName.get(name);
    const node = p?.spec?.nodeName;
    const uid = p?.metadata?.uid;
    const ip = p?.status?.podIP;
    if (!p || !node || !uid || !ip) throw new Error(`pod ${name} has no node, uid or IP yet`);
    const n = state.config.nodes.find((x) => x.name === node);
    if (!n) throw new Error(`pod ${name} is on ${node}, which the lab does not know`);
    const s = await readAgentPodState(n.rootDir, uid);
    if (!s?.netns) throw new Error(`the agent on ${node} recorded no network namespace for pod ${name}`);
    return { name, node, ip, netns: s.netns };
  };
  const svc = JSON.parse(await kubectl(lab, ['get', 'service', 'ovb-remote', '-n', 'default', '-o', 'json'])) as Service;
  const clusterIP = svc.spec?.clusterIP;
  if (!clusterIP) throw new Error('Service ovb-remote has no ClusterIP');
  return {
    src: await find('ovb-src'),
    local: await find('ovb-local'),
    remote: await find('ovb-remote'),
    clusterIP,
    nodeNetns: Object.fromEntries(state.config.nodes.map((n) => [n.name, n.netns])),
  };
}
