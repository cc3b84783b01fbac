// `netkube node`: flags (the kubelet's names where the kubelet has the flag)
// → runNodeAgent. The agent stops on SIGINT/SIGTERM and leaves pods running.
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { isOverlayMode, OVERLAY_MODES } from '../overlay/node-datapath.js';
import { runNodeAgent } from './agent.js';
import { POD_NETNS_PREFIX } from './netns.js';

interface NodeFlags {
  kubeconfig: string;
  hostnameOverride: string;
  nodeIp?: string;
  cniBinDir?: string;
  cniConfDir?: string;
  netnsPrefix: string;
  rootDir?: string;
  clusterDns: string;
  clusterDomain: string;
  address: string;
  port: number;
  podMtu?: number;
  overlay: string;
  clusterCidr?: string;
  serviceClusterIpRange?: string;
}

const REPO_BIN = fileURLToPath(new URL('../../bin/', import.meta.url));

/**
 * The default CNI_PATH: a folder holding `netkube-cni` (a link to the
 * package's bin/netkube-cni.js, since CNI finds plugins by exact type name),
 * then the usual places of the reference plugins (portmap, bandwidth…).
 */
async function defaultCniBinDir(rootDir: string): Promise<string> {
  const dir = join(rootDir, 'cni-bin');
  await mkdir(dir, { recursive: true });
  const target = join(REPO_BIN, 'netkube-cni.js');
  // The plugin is also its own IPAM plugin (netkube-ipam), for chaining under the reference bridge.
  for (const name of ['netkube-cni', 'netkube-ipam']) {
    const link = join(dir, name);
    if (!existsSync(target)) continue;
    await rm(link, { force: true });
    await symlink(target, link);
  }
  return [dir, '/opt/cni/bin', '/usr/lib/cni'].join(':');
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${flag} must be an integer, got "${v}"`);
    return n;
  };
}

export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run the node agent (kubelet-lite): register the Node, run the pods bound to it as processes in network namespaces')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the API server')
    .requiredOption('--hostname-override <name>', 'the Node name')
    .option('--node-ip <ip>', "the Node's InternalIP (default: the address of the default-route interface)")
    .option('--cni-bin-dir <dirs>', 'CNI_PATH: folders with CNI plugins, ":"-separated (default: <root-dir>/cni-bin with netkube-cni, /opt/cni/bin, /usr/lib/cni)')
    .option('--cni-conf-dir <dir>', 'where the node CNI configuration is written and read (default: <root-dir>/net.d)')
    .option('--netns-prefix <prefix>', 'prefix of pod network namespace names under /run/netns', POD_NETNS_PREFIX)
    .option('--root-dir <dir>', 'pod state, logs and files (default: /var/lib/netkube/<node>)')
    .option('--cluster-dns <ips>', 'the cluster DNS Service IP(s), comma-separated', '10.96.0.10')
    .option('--cluster-domain <domain>', 'the cluster domain', 'cluster.local')
    .option('--address <ip>', 'address of the HTTPS endpoint serving container logs', '0.0.0.0')
    .option('--port <port>', 'port of that endpoint', positiveInt('--port'), 10250)
    .option('--pod-mtu <mtu>', 'MTU written into the CNI configuration for pod interfaces (default: underlay MTU − 50 with --overlay vxlan, else 1500)', positiveInt('--pod-mtu'))
    .option('--overlay <mode>', `pod-to-pod datapath between nodes, programmed in this agent's network namespace: ${OVERLAY_MODES.join(', ')}`, 'none')
    .option('--cluster-cidr <cidr>', 'the pod range: with an overlay, pod traffic leaving it (and the Service range) is masqueraded')
    .option('--service-cluster-ip-range <cidr>', 'the Service range (not masqueraded: the service proxy decides)')
    .action(async (o: NodeFlags) => {
      if (!isOverlayMode(o.overlay)) throw new InvalidArgumentError(`--overlay must be one of ${OVERLAY_MODES.join(', ')}, got "${o.overlay}"`);
      const rootDir = o.rootDir ?? join('/var/lib/netkube', o.hostnameOverride);
      const agent = await runNodeAgent({
        kubeconfig: o.kubeconfig,
        nodeName: o.hostnameOverride,
        ...(o.nodeIp ? { nodeIP: o.nodeIp } : {}),
        cniBinDir: o.cniBinDir ?? (await defaultCniBinDir(rootDir)),
        ...(o.cniConfDir ? { cniConfDir: o.cniConfDir } : {}),
        podNetnsPrefix: o.netnsPrefix,
        rootDir,
        clusterDNS: o.clusterDns.split(',').map((s) => s.trim()).filter(Boolean),
        clusterDomain: o.clusterDomain,
        address: o.address,
        port: o.port,
        ...(o.podMtu !== undefined ? { mtu: o.podMtu } : {}),
        overlay: o.overlay,
        ...(o.clusterCidr ? { clusterCIDR: o.clusterCidr } : {}),
        ...(o.serviceClusterIpRange ? { serviceCIDR: o.serviceClusterIpRange } : {}),
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await agent.close();
    });
}
