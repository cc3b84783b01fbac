// `netkube overlay show` (the CLI wiring calls this): lists Nodes and Pods
// once and renders the logical model and every node's compiled plan. It
// reads only the API, never a kernel, so it runs anywhere a kubeconfig does.
import type { Node, Pod } from '../kube/api/core.js';
import { Nodes, Pods, type KubeClient } from '../kube/client.js';
import { DEFAULT_COMPILE_OPTIONS, type CompileOptions } from './compile.js';
import { buildLogicalTopologyFromApi } from './logical-model.js';
import { renderOverlayShow } from './show-render.js';

export async function showOverlay(client: Pick<KubeClient, 'list'>, opts: Partial<CompileOptions> = {}): Promise<string> {
  const [nodes, pods] = await Promise.all([client.list<Node>(Nodes), client.list<Pod>(Pods)]);
  return renderOverlayShow(buildLogicalTopologyFromApi(nodes.items, pods.items), { ...DEFAULT_COMPILE_OPTIONS, ...opts });
}
