// `netkube status`: gathers process states from the pid files and the
// objects from the API server, then renders them (lab-status-render.ts).
import type { Node, Pod, Service } from '../kube/api/core.js';
import { KubeClient, Nodes, Pods, Services } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import type { LabState } from './lab-state.js';
import { hasLabMarker, isAlive, readPidFiles } from './lab-processes.js';
import { renderStatus, type ComponentState } from './lab-status-render.js';

export async function labStatus(state: LabState): Promise<string> {
  const cfg = state.config;
  const components: ComponentState[] = [];
  for (const e of await readPidFiles(cfg.paths)) {
    components.push({ name: e.name, pid: e.pid, running: (await isAlive(e.pid)) && (await hasLabMarker(e.pid, cfg.id)) });
  }
  const base = {
    lab: cfg.name,
    apiServerURL: cfg.apiServerURL,
    overlay: cfg.overlay ?? 'host-gw',
    kubeconfig: cfg.paths.kubeconfig,
    components,
    missing: state.components.missing,
    netnsOf: new Map(cfg.nodes.map((n) => [n.name, n.netns])),
  };
  let client: KubeClient | undefined;
  try {
    client = new KubeClient(await loadKubeconfig(cfg.paths.kubeconfig), { userAgent: 'netkube-status', requestTimeoutMs: 5000 });
    const [nodes, pods, services] = await Promise.all([
      client.list<Node>(Nodes),
      client.list<Pod>(Pods),
      client.list<Service>(Services),
    ]);
    return renderStatus({ ...base, nodes: nodes.items, pods: pods.items, services: services.items });
  } catch (e) {
    return renderStatus({ ...base, apiError: e instanceof Error ? e.message : String(e) });
  } finally {
    client?.close();
  }
}
