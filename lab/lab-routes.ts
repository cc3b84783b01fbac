// `netkube lab-routes` (hidden): the host-gw loop one lab node runs in its
// own network namespace. It installs the masquerade rule for pod traffic
// leaving the cluster, then watches Nodes and keeps one route per other
// node's pod CIDR (via that node's underlay address), owned by proto 77.
// The overlay's host-gw option can take this over; until then it is the lab's.
import type { Node } from '../kube/api/core.js';
import { KubeClient, Nodes } from '../kube/client.js';
import { createInformer, listWatchFor } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import {
  desiredHostGwRoutes,
  diffHostGwRoutes,
  HOST_GW_ROUTE_PROTO,
  hostGwMasqueradeJump,
  renderHostGwMasquerade,
  type HostGwRoute,
} from './host-gw-routes.js';
import { run, tryRun } from './run-command.js';

export interface LabRoutesOptions {
  kubeconfig: string;
  node: string;
  clusterCIDR: string;
  serviceCIDR: string;
  /** The node's underlay interface. Default eth0. */
  device?: string;
  /** Re-check the kernel's routes this often even without API events. Default 30 s. */
  resyncMs?: number;
  signal: AbortSignal;
  log?: (line: string) => void;
}

async function applyMasquerade(clusterCIDR: string, serviceCIDR: string): Promise<void> {
  await run(['iptables-restore', '--noflush', '-w', '5'], { input: renderHostGwMasquerade(clusterCIDR, serviceCIDR) });
  const jump = hostGwMasqueradeJump(clusterCIDR);
  if ((await tryRun(['iptables', '-w', '5', '-t', 'nat', '-C', 'POSTROUTING', ...jump])) === undefined) {
    await run(['iptables', '-w', '5', '-t', 'nat', '-A', 'POSTROUTING', ...jump]);
  }
}

async function observeRoutes(device: string): Promise<HostGwRoute[]> {
  const out = await run(['ip', '-j', 'route', 'show', 'proto', String(HOST_GW_ROUTE_PROTO), 'dev', device]);
  const parsed = JSON.parse(out || '[]') as { dst: string; gateway?: string }[];
  return parsed.filter((r) => r.gateway).map((r) => ({ dst: r.dst, via: r.gateway! }));
}

export async function runLabRoutes(o: LabRoutesOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`));
  const device = o.device ?? 'eth0';
  await applyMasquerade(o.clusterCIDR, o.serviceCIDR);
  log(`masquerade: pod traffic from ${o.clusterCIDR} to outside ${o.clusterCIDR} and ${o.serviceCIDR} leaves with the node address`);

  const client = new KubeClient(await loadKubeconfig(o.kubeconfig), { userAgent: `netkube-lab-routes/${o.node}` });
  const informer = createInformer<Node>(listWatchFor<Node>(client, Nodes), { name: 'nodes', onError: (e) => log(`nodes informer: ${(e as Error).message}`) });

  // Coalesce: one reconcile at a time, and one more if anything changed meanwhile.
  let running: Promise<void> | undefined;
  let again = false;
  const reconcile = async (): Promise<void> => {
    const want = desiredHostGwRoutes(informer.list(), o.node);
    const ops = diffHostGwRoutes(want, await observeRoutes(device));
    for (const op of ops) {
      if (op.op === 'delete') {
        await tryRun(['ip', 'route', 'del', op.dst, 'proto', String(HOST_GW_ROUTE_PROTO)]);
        log(`route del ${op.dst}`);
      } else {
        await run(['ip', 'route', 'replace', op.route.dst, 'via', op.route.via, 'dev', device, 'proto', String(HOST_GW_ROUTE_PROTO)]);
        log(`route replace ${op.route.dst} via ${op.route.via}`);
      }
    }
  };
  const schedule = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = reconcile()
      .catch((e: unknown) => log(`reconcile: ${(e as Error).message}`))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };
  informer.on({ add: schedule, update: schedule, delete: schedule });
  await informer.start(o.signal);
  schedule();
  const timer = setInterval(schedule, o.resyncMs ?? 30_000);
  await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(timer);
  await running;
  client.close();
}
