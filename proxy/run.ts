// `netkube proxy`: connect to the API, learn the node's addresses, start the
// servers, wire informers into the Proxier. Also the programmatic entry point
// `netkube node` uses. On stop the rules stay, so traffic keeps flowing while
// the proxy restarts; `--cleanup` removes them.
import { networkInterfaces, hostname } from 'node:os';
import type { EndpointSlice, Node, Service } from '../kube/api/core.js';
import { EndpointSlices, isApiError, KubeClient, Nodes, Services } from '../kube/client.js';
import { createInformer, listWatchFor } from '../kube/informer.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import { Conntrack } from './conntrack.js';
import { HealthCheckServers } from './health-check-servers.js';
import { Iptables } from './iptables-restore.js';
import { Proxier, type SyncReport } from './proxier.js';
import { isIPv4, parseIPv4Cidr } from './proxy-config.js';
import { ProxyMetrics } from './proxy-metrics.js';
import { startProxyServers, type ProxyServers } from './proxy-servers.js';

export interface ProxyFlags {
  readonly kubeconfig?: string;
  /** The Node this proxy serves; default the host name. */
  readonly hostnameOverride?: string;
  readonly proxyMode?: 'iptables';
  readonly clusterCIDR?: string;
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
  /** "host:port", "" disables. */
  readonly healthzBindAddress: string;
  readonly metricsBindAddress: string;
  /** Run the kernel tools in another network namespace (tests, benchmark); default: this process's own. */
  readonly commandPrefix?: readonly string[];
  readonly onSync?: (r: SyncReport) => void;
}

export const DEFAULT_PROXY_FLAGS = {
  proxyMode: 'iptables',
  minSyncPeriodMs: 1000,
  syncPeriodMs: 30_000,
  healthzBindAddress: '0.0.0.0:10256',
  metricsBindAddress: '127.0.0.1:10249',
} as const;

export interface RunningProxy {
  readonly proxier: Proxier;
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  readonly servers: ProxyServers;
  /** Stops watching and serving; the rules stay in the kernel. */
  close(): Promise<void>;
}

/** The node's InternalIPs from its Node object, or else the IPv4 addresses of this namespace's interfaces. */
export async function resolveNodeIPs(client: KubeClient, nodeName: string, log: (m: string) => void): Promise<string[]> {
  try {
    const node = await client.get<Node>(Nodes, nodeName);
    const ips = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' && isIPv4(a.address)).map((a) => a.address);
    if (ips.length > 0) return ips;
    log(`proxy: Node "${nodeName}" has no IPv4 InternalIP; using the addresses of this host's interfaces`);
  } catch (e) {
    if (!isApiError(e, 404)) throw e;
    log(`proxy: Node "${nodeName}" not found; using the addresses of this host's interfaces`);
  }
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}

export async function runProxy(flags: ProxyFlags, log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<RunningProxy> {
  if ((flags.proxyMode ?? 'iptables') !== 'iptables') throw new Error(`--proxy-mode: "${flags.proxyMode}" is not supported (only iptables)`);
  if (flags.clusterCIDR !== undefined && (!parseIPv4Cidr(flags.clusterCIDR) || !flags.clusterCIDR.includes('/'))) {
    throw new Error(`--cluster-cidr: "${flags.clusterCIDR}" is not an IPv4 CIDR`);
  }
  if (!(flags.syncPeriodMs > 0)) throw new Error(`--sync-period must be greater than 0`);
  if (flags.minSyncPeriodMs < 0) throw new Error(`--min-sync-period must not be negative`);

  const nodeName = flags.hostnameOverride?.trim() || hostname().toLowerCase();
  const conn = await connectionFrom(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {});
  const client = new KubeClient(conn, { userAgent: `netkube-proxy/${nodeName}` });
  const undo: (() => Promise<void> | void)[] = [() => client.close()];
  const unwind = async (): Promise<void> => {
    for (const u of undo.reverse()) await u();
  };
  try {
    const nodeIPs = await resolveNodeIPs(client, nodeName, log);
    const metrics = new ProxyMetrics();
    const prefix = flags.commandPrefix ?? [];
    const hcServers = new HealthCheckServers({ log, proxyHealthy: () => proxier.health.status(Date.now()).healthy });
    undo.push(() => hcServers.close());
    const proxier: Proxier = new Proxier({
      config: { nodeName, nodeIPs, ...(flags.clusterCIDR ? { clusterCIDR: flags.clusterCIDR } : {}) },
      minSyncPeriodMs: flags.minSyncPeriodMs,
      syncPeriodMs: flags.syncPeriodMs,
      applier: new Iptables({ prefix }),
      conntrack: new Conntrack({ prefix }),
      metrics,
      healthCheckServers: hcServers,
      log,
      onSync: (r) => {
        if (r.ok && r.full) {
          log(`proxy: full sync of ${r.services} service ports done in ${Math.round(r.finishedAt - r.startedAt)} ms (render ${Math.round(r.renderMs)} ms, iptables-restore ${Math.round(r.restoreMs)} ms)`);
        }
        flags.onSync?.(r);
      },
    });
    undo.push(() => proxier.stop());

    const servers = await startProxyServers({
      healthzBindAddress: flags.healthzBindAddress,
      metricsBindAddress: flags.metricsBindAddress,
      health: () => proxier.health.status(Date.now()),
      registry: metrics.registry,
      proxyMode: 'iptables',
    });
    undo.push(() => servers.close());

    const abort = new AbortController();
    undo.push(() => abort.abort());
    const onError = (e: unknown) => log(`proxy: ${e instanceof Error ? e.message : String(e)}`);
    const services = createInformer(listWatchFor<Service>(client, Services), { name: 'services', onError });
    const slices = createInformer(listWatchFor<EndpointSlice>(client, EndpointSlices), { name: 'endpointslices', onError });
    await proxier.attach({ services, endpointSlices: slices }, abort.signal);
    log(
      `netkube proxy: node "${nodeName}" (${nodeIPs.join(', ') || 'no addresses'}), mode iptables, ` +
        `healthz ${servers.healthz ?? 'off'}, metrics ${servers.metrics ?? 'off'}`,
    );
    return { proxier, nodeName, nodeIPs, servers, close: unwind };
  } catch (e) {
    await unwind();
    throw e;
  }
}

/** `netkube proxy --cleanup`: removes the proxy's jumps and chains from the nat and filter tables. */
export async function cleanupProxyRules(opts: { commandPrefix?: readonly string[] } = {}): Promise<{ hooks: number; chains: number }> {
  return new Iptables({ prefix: opts.commandPrefix ?? [] }).cleanup();
}
