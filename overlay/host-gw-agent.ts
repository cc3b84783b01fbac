// The host-gw option of one node (flannel's simplest backend): Nodes
// informer → the same logical model as VXLAN → compileHostGwRoutes → one
// route per remote node's pod CIDR via that node's underlay address, owned by
// proto 77 so only our own routes are ever replaced or removed. Needs every
// node on one L2 segment. Starting in host-gw removes a VXLAN device left by
// an earlier vxlan run, so the two never both route the same pod CIDRs.
import type { Node } from '../kube/api/core.js';
import { Nodes, type KubeClient } from '../kube/client.js';
import { createInformer, listWatchFor } from '../kube/informer.js';
import { diffHostGwRoutes, HOST_GW_ROUTE_PROTO, type HostGwRoute } from '../lab/host-gw-routes.js';
import { run, tryRun } from '../lab/run-command.js';
import { compileHostGwRoutes } from './compile-host-gw.js';
import { DEFAULT_DEVICE } from './compile.js';
import { buildLogicalTopology, toOverlayNode, type OverlayNode } from './logical-model.js';
import { createNodeNetwork } from './netlink.js';
import { removeOverlay } from './reconciler.js';
import { runSyncLoop } from './sync-loop.js';

export interface HostGwAgentOptions {
  readonly client: Pick<KubeClient, 'list' | 'watch'>;
  readonly nodeName: string;
  readonly signal: AbortSignal;
  /** Re-check the kernel's routes this often even without API events. Default 10 s. */
  readonly resyncMs?: number;
  readonly log?: (line: string) => void;
}

/** The routes this agent owns, as the kernel has them now. */
export async function observeHostGwRoutes(): Promise<HostGwRoute[]> {
  const out = await run(['ip', '-j', 'route', 'show', 'proto', String(HOST_GW_ROUTE_PROTO)]);
  const parsed = JSON.parse(out || '[]') as { dst: string; gateway?: string }[];
  return parsed.filter((r) => r.gateway).map((r) => ({ dst: r.dst, via: r.gateway! }));
}

/** Brings the kernel's proto-77 routes to `want`; returns one line per change. */
export async function applyHostGwRoutes(want: readonly HostGwRoute[]): Promise<string[]> {
  const done: string[] = [];
  for (const op of diffHostGwRoutes(want, await observeHostGwRoutes())) {
    if (op.op === 'delete') {
      await tryRun(['ip', 'route', 'del', op.dst, 'proto', String(HOST_GW_ROUTE_PROTO)]);
      done.push(`route del ${op.dst}`);
    } else {
      await run(['ip', 'route', 'replace', op.route.dst, 'via', op.route.via, 'proto', String(HOST_GW_ROUTE_PROTO)]);
      done.push(`route replace ${op.route.dst} via ${op.route.via}`);
    }
  }
  return done;
}

/** Runs until `signal` aborts; kernel and API errors are logged and retried on the next sync. */
export async function runHostGwAgent(o: HostGwAgentOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} host-gw node="${o.nodeName}" ${l}\n`));
  const removed = await removeOverlay(createNodeNetwork({ node: o.nodeName, device: DEFAULT_DEVICE })).catch(() => []);
  if (removed.length) log(`removed the VXLAN device ${DEFAULT_DEVICE} of an earlier vxlan run`);
  const nodes = createInformer<Node>(listWatchFor<Node>(o.client, Nodes), { name: 'nodes', onError: (e) => log(`nodes informer: ${(e as Error).message}`) });

  const reconcile = async (): Promise<void> => {
    const overlayNodes = nodes.list().map(toOverlayNode).filter((n): n is OverlayNode => n !== undefined);
    for (const line of await applyHostGwRoutes(compileHostGwRoutes(buildLogicalTopology(overlayNodes, []), o.nodeName))) log(line);
  };
  await runSyncLoop({
    informer: nodes,
    sync: reconcile,
    onError: (e) => log(`reconcile: ${(e as Error).message}`),
    signal: o.signal,
    resyncMs: o.resyncMs ?? 10_000,
  });
}
