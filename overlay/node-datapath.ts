// What `netkube node --overlay <mode>` runs beside the pods, in the node's
// own network namespace: the egress masquerade (pod traffic leaving the
// cluster CIDR takes the node's address; pod-to-pod keeps pod sources), then
// the pod-to-pod datapath between nodes, compiled from the overlay's logical
// model: VXLAN (runOverlayAgent) or host-gw routes (runHostGwAgent).
import type { KubeClient } from '../kube/client.js';
import { hostGwMasqueradeJump, renderHostGwMasquerade } from '../lab/host-gw-routes.js';
import { run, tryRun } from '../lab/run-command.js';
import { podMtuFor } from './compile.js';
import { applyHostGwRoutes, runHostGwAgent } from './host-gw-agent.js';
import { observeUnderlayMtu } from './netlink.js';
import { runOverlayAgent } from './reconciler.js';

/** `--overlay`: kube-proxy's --proxy-mode style. `none`: something else connects the nodes' pods. */
export const OVERLAY_MODES = ['vxlan', 'host-gw', 'none'] as const;
export type OverlayMode = (typeof OVERLAY_MODES)[number];

export function isOverlayMode(s: string): s is OverlayMode {
  return (OVERLAY_MODES as readonly string[]).includes(s);
}

export interface NodeDatapathOptions {
  readonly mode: OverlayMode;
  readonly client: Pick<KubeClient, 'list' | 'watch' | 'patch'>;
  readonly nodeName: string;
  /** Masquerade pod traffic leaving these ranges; no masquerade without a cluster CIDR. */
  readonly clusterCIDR?: string;
  readonly serviceCIDR?: string;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/** Idempotent: declaring the chain in iptables-restore flushes it; the POSTROUTING jump is added once. */
export async function applyEgressMasquerade(clusterCIDR: string, serviceCIDR: string): Promise<void> {
  await run(['iptables-restore', '--noflush', '-w', '5'], { input: renderHostGwMasquerade(clusterCIDR, serviceCIDR) });
  const jump = hostGwMasqueradeJump(clusterCIDR);
  if ((await tryRun(['iptables', '-w', '5', '-t', 'nat', '-C', 'POSTROUTING', ...jump])) === undefined) {
    await run(['iptables', '-w', '5', '-t', 'nat', '-A', 'POSTROUTING', ...jump]);
  }
}

/** The pod MTU a mode needs on an underlay holding `nodeIP`: VXLAN takes 50 bytes of it. */
export async function podMtuForMode(mode: OverlayMode, nodeIP: string): Promise<number> {
  if (mode !== 'vxlan') return 1500;
  const underlay = await observeUnderlayMtu(nodeIP).catch(() => undefined);
  return podMtuFor(underlay ?? 1500);
}

/** Runs until `signal` aborts; never rejects for kernel or API errors once started. */
export async function runNodeDatapath(o: NodeDatapathOptions): Promise<void> {
  if (o.mode === 'none') return;
  if (o.clusterCIDR) {
    await applyEgressMasquerade(o.clusterCIDR, o.serviceCIDR ?? o.clusterCIDR).then(
      () => o.log(`masquerade: pod traffic from ${o.clusterCIDR} to outside ${o.clusterCIDR}${o.serviceCIDR ? ` and ${o.serviceCIDR}` : ''} leaves with the node address`),
      (e: unknown) => o.log(`masquerade: ${(e as Error).message}`),
    );
  }
  if (o.mode === 'vxlan') {
    // Routes of an earlier host-gw run would shadow nothing (the overlay replaces them) but would outlive a node's removal.
    for (const l of await applyHostGwRoutes([]).catch((e: unknown) => [`clearing host-gw routes: ${(e as Error).message}`])) o.log(`host-gw: ${l}`);
    await runOverlayAgent({ client: o.client, nodeName: o.nodeName, signal: o.signal, log: (l) => o.log(`overlay: ${l}`) });
  } else await runHostGwAgent({ client: o.client, nodeName: o.nodeName, signal: o.signal, log: (l) => o.log(`host-gw: ${l}`) });
}
