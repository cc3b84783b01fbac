// The overlay agent of one node: Nodes informer → logical model → compile
// this node's plan → observe the kernel → diff → apply. It runs on every
// change that matters to the overlay and every resyncMs (so a VXLAN device
// deleted by hand comes back), one sync at a time, coalescing the rest.
// Every sync starts from the observed kernel state, so running it again is
// always safe and a failed sync is simply retried by the next one.
// On first start it publishes this node's VTEP MAC in the Node annotation.
import { randomBytes } from 'node:crypto';
import type { Node } from '../kube/api/core.js';
import { Nodes, type KubeClient } from '../kube/client.js';
import { createInformer, listWatchFor, type Informer } from '../kube/informer.js';
import { compileNode, DEFAULT_DEVICE, DEFAULT_DST_PORT, DEFAULT_VNI, OverlayCompileError, type CompileOptions } from './compile.js';
import { diffPlan } from './diff.js';
import { buildLogicalTopology, normalizeMac, toOverlayNode, VTEP_MAC_ANNOTATION, type LogicalTopology, type OverlayNode } from './logical-model.js';
import { describeOp, type NetlinkOp } from './netlink-ops.js';
import { createNodeNetwork, observeUnderlayMtu, type NodeNetwork } from './netlink.js';
import type { NodePlan, PendingChassis } from './node-plan.js';
import { runSyncLoop } from './sync-loop.js';
import { chooseVtepMac } from './vtep-mac.js';

export interface SyncResult {
  /** What was applied; empty when the kernel already matched. */
  readonly ops: readonly NetlinkOp[];
  readonly want: NodePlan;
  readonly pending: readonly PendingChassis[];
}

/** One reconcile of one node: compile, observe, diff, apply. Throws OverlayCompileError when the node cannot be compiled yet. */
export async function syncNode(network: NodeNetwork, model: LogicalTopology, chassis: string, opts: CompileOptions): Promise<SyncResult> {
  const want = compileNode(model, chassis, opts);
  const have = await network.observe();
  const ops = diffPlan(want, have);
  if (ops.length) await network.apply(ops);
  return { ops, want, pending: want.pending ?? [] };
}

export interface OverlayAgentOptions {
  readonly client: Pick<KubeClient, 'list' | 'watch' | 'patch'>;
  /** This node's Node name (`--hostname-override`). */
  readonly nodeName: string;
  /** Stops the agent; the kernel state stays (as kube-proxy leaves its rules). */
  readonly signal: AbortSignal;
  /** Named netns to program; default the agent's own (the node agent runs inside the node's namespace). */
  readonly netns?: string;
  readonly device?: string;
  readonly vni?: number;
  readonly dstPort?: number;
  /** Default: the MTU of the interface holding the node's InternalIP. */
  readonly underlayMtu?: number;
  readonly underlayDevice?: string;
  /** Full resync period; default 10 s. */
  readonly resyncMs?: number;
  readonly log?: (line: string) => void;
  /** Tests inject a fake kernel. */
  readonly network?: NodeNetwork;
  /** Tests inject the randomness of a new VTEP MAC. */
  readonly randomBytes?: (n: number) => Uint8Array;
  /** Told after every sync attempt (tests and metrics). */
  readonly onSync?: (r: SyncResult | { error: string }) => void;
}

function overlayFields(n: Node): string {
  return JSON.stringify(toOverlayNode(n) ?? null);
}

/**
 * Runs until `signal` aborts. Resolves after the initial Nodes list and the
 * loop have stopped; never rejects for kernel or API errors (they are logged
 * and retried on the next sync).
 */
export async function runOverlayAgent(o: OverlayAgentOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} overlay node="${o.nodeName}" ${l}\n`));
  const device = o.device ?? DEFAULT_DEVICE;
  const network = o.network ?? createNodeNetwork({ node: o.nodeName, device, ...(o.netns ? { netns: o.netns } : {}) });
  const random = o.randomBytes ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const nodes: Informer<Node> = createInformer<Node>(listWatchFor<Node>(o.client, Nodes), {
    name: 'nodes',
    onError: (e) => log(`nodes informer: ${(e as Error).message}`),
  });
  let underlayMtu = o.underlayMtu;
  let firstSyncLogged = false;
  let lastProblem = '';
  const problem = (msg: string): void => {
    if (msg !== lastProblem) log(msg); // the same problem every resync is logged once
    lastProblem = msg;
    o.onSync?.({ error: msg });
  };

  const vtepMacFor = async (self: Node): Promise<string> => {
    const annotation = self.metadata.annotations?.[VTEP_MAC_ANNOTATION];
    const published = normalizeMac(annotation);
    if (published) return published;
    const have = await network.observe().then((p) => p.device?.mac, () => undefined);
    const { mac, publish } = chooseVtepMac(annotation, have, random(6));
    if (publish) {
      await o.client.patch(Nodes, o.nodeName, 'merge', { metadata: { annotations: { [VTEP_MAC_ANNOTATION]: mac } } });
      log(`published VTEP MAC ${mac} (annotation ${VTEP_MAC_ANNOTATION})`);
    }
    return mac;
  };

  const reconcile = async (): Promise<void> => {
    const self = nodes.get('', o.nodeName);
    if (!self) return problem(`waiting for Node "${o.nodeName}" to exist`);
    const mac = await vtepMacFor(self);
    const overlayNodes = nodes
      .list()
      .map(toOverlayNode)
      .filter((n): n is OverlayNode => n !== undefined)
      .map((n) => (n.name === o.nodeName ? { ...n, vtepMAC: mac } : n));
    const me = overlayNodes.find((n) => n.name === o.nodeName);
    if (underlayMtu === undefined && me?.internalIP) {
      underlayMtu = await observeUnderlayMtu(me.internalIP, o.netns);
      if (underlayMtu === undefined) return problem(`no interface holds InternalIP ${me.internalIP}; cannot size the VXLAN MTU (pass underlayMtu)`);
    }
    const opts: CompileOptions = {
      vni: o.vni ?? DEFAULT_VNI,
      dstPort: o.dstPort ?? DEFAULT_DST_PORT,
      underlayMtu: underlayMtu ?? 1500,
      device,
      ...(o.underlayDevice ? { underlayDevice: o.underlayDevice } : {}),
    };
    let r: SyncResult;
    try {
      r = await syncNode(network, buildLogicalTopology(overlayNodes, []), o.nodeName, opts);
    } catch (e) {
      if (e instanceof OverlayCompileError) return problem(`not programming the overlay yet: ${e.reason}`);
      throw e;
    }
    for (const op of r.ops) log(describeOp(op));
    // Once per start: says whether a restarted agent found the kernel already right (no flaps).
    if (!firstSyncLogged) log(`first sync: ${r.ops.length} change${r.ops.length === 1 ? '' : 's'} to the kernel`);
    firstSyncLogged = true;
    const pending = r.pending.map((p) => `${p.chassis} (${p.reason})`).join(', ');
    const summary = pending ? `peers pending: ${pending}` : '';
    if (summary !== lastProblem) {
      if (summary) log(summary);
      lastProblem = summary;
    }
    o.onSync?.(r);
  };

  await runSyncLoop({
    informer: nodes,
    sync: reconcile,
    onError: (e) => problem(`sync failed (retrying): ${(e as Error).message}`),
    signal: o.signal,
    resyncMs: o.resyncMs ?? 10_000,
    // Node heartbeats update status every few seconds; only overlay fields matter here.
    updateMatters: (old, cur) => overlayFields(old) !== overlayFields(cur),
  });
}

/** Removes this node's VXLAN device (and with it every neighbour, FDB entry and route on it): switching to host-gw, or uninstalling. */
export async function removeOverlay(network: NodeNetwork): Promise<readonly NetlinkOp[]> {
  const have = await network.observe();
  const ops = diffPlan({ ...have, device: undefined }, have);
  if (ops.length) await network.apply(ops);
  return ops;
}
