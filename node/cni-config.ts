// The runtime side of CNI, pure: the network configuration this node writes
// for its pod CIDR, picking the configuration a runtime would use (the first
// file by name in the conf dir, as containerd and CRI-O do), the per-plugin
// configuration of a chained list (name, cniVersion, prevResult and
// runtimeConfig injected, as libcni does), the CNI_* environment, and
// reading results and errors.

export const CNI_CONF_FILE = '10-netkube.conflist';
export const DEFAULT_BRIDGE = 'nk-br0';
export const DEFAULT_NETWORK_NAME = 'netkube';

export interface NodeCniSettings {
  podCIDR: string;
  bridge?: string;
  mtu?: number;
  /** Where the plugin's IPAM keeps its allocations (per node: several node agents may share one host). */
  ipamDataDir: string;
}

/** "10.244.1.0/24" → "10.244.1.1": the bridge's address and the pods' gateway. */
export function gatewayOf(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`pod CIDR "${cidr}" is not an IPv4 CIDR`);
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const prefix = Number(m[5]);
  if (prefix > 30 || [1, 2, 3, 4].some((i) => Number(m[i]) > 255)) throw new Error(`pod CIDR "${cidr}" is too small or malformed for a pod network`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const gw = ((n & mask) + 1) >>> 0;
  return [gw >>> 24, (gw >>> 16) & 255, (gw >>> 8) & 255, gw & 255].join('.');
}

/**
 * The node's network: netkube-cni in bridge mode with its host-local style
 * IPAM (netkube-ipam) over the pod CIDR, gateway .1 on the bridge (the
 * plugin gives pods their default route through it), then `portmap` for
 * hostPort when that plugin is installed. The field names are also the
 * reference bridge/host-local plugins'.
 */
export function renderNodeCniConfig(s: NodeCniSettings & { portmap?: boolean }): string {
  const gateway = gatewayOf(s.podCIDR);
  const plugins: Array<Record<string, unknown>> = [
    {
      type: 'netkube-cni',
      bridge: s.bridge ?? DEFAULT_BRIDGE,
      isGateway: true,
      hairpinMode: true,
      mtu: s.mtu ?? 1500,
      ipam: { type: 'netkube-ipam', ranges: [[{ subnet: s.podCIDR, gateway }]], dataDir: s.ipamDataDir },
    },
  ];
  if (s.portmap) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  return JSON.stringify({ cniVersion: '1.0.0', name: DEFAULT_NETWORK_NAME, plugins }, null, 2) + '\n';
}

export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  plugins: Array<Record<string, unknown> & { type: string }>;
  /** The file it came from. */
  file: string;
}

/** The configuration a runtime uses: the first .conflist/.conf/.json file by name. Throws naming the dir when there is none. */
export function pickNetworkConfig(dir: string, files: ReadonlyArray<{ name: string; text: string }>): NetworkConfigList {
  const candidates = files.filter((f) => /\.(conflist|conf|json)$/.test(f.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const errors: string[] = [];
  for (const f of candidates) {
    try {
      return parseNetworkConfig(f.name, f.text);
    } catch (e) {
      // containerd skips files it cannot load and uses the next one.
      errors.push((e as Error).message);
    }
  }
  throw new Error(`no usable CNI network configuration in ${dir}${errors.length ? `: ${errors.join('; ')}` : ''}`);
}

export function parseNetworkConfig(file: string, text: string): NetworkConfigList {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null) throw new Error(`${file}: not a JSON object`);
  const d = doc as Record<string, unknown>;
  const name = typeof d['name'] === 'string' ? d['name'] : '';
  const cniVersion = typeof d['cniVersion'] === 'string' ? d['cniVersion'] : '0.4.0';
  if (!name) throw new Error(`${file}: "name" is missing`);
  const plugins = Array.isArray(d['plugins']) ? (d['plugins'] as unknown[]) : [d];
  if (plugins.length === 0) throw new Error(`${file}: "plugins" is empty`);
  for (const [i, p] of plugins.entries()) {
    if (typeof p !== 'object' || p === null || typeof (p as { type?: unknown }).type !== 'string') throw new Error(`${file}: plugins[${i}].type is missing`);
  }
  return { cniVersion, name, plugins: plugins as NetworkConfigList['plugins'], file };
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

/** One plugin's stdin: the plugin section with the list's name/cniVersion, the previous result and the capabilities it asked for. */
export function pluginStdin(list: NetworkConfigList, index: number, prevResult: unknown, runtime: { portMappings: PortMapping[] }): string {
  const plugin = list.plugins[index]!;
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  if (prevResult !== undefined) conf['prevResult'] = prevResult;
  const caps = (plugin['capabilities'] ?? {}) as Record<string, unknown>;
  const rc: Record<string, unknown> = {};
  if (caps['portMappings'] === true && runtime.portMappings.length > 0) rc['portMappings'] = runtime.portMappings;
  delete conf['capabilities'];
  if (Object.keys(rc).length > 0) conf['runtimeConfig'] = rc;
  return JSON.stringify(conf);
}

export interface CniInvocation {
  command: 'ADD' | 'DEL' | 'CHECK';
  containerID: string;
  netns: string;
  ifName: string;
  cniPath: string;
  podNamespace: string;
  podName: string;
  podUID: string;
}

export function cniEnv(i: CniInvocation): Record<string, string> {
  return {
    CNI_COMMAND: i.command,
    CNI_CONTAINERID: i.containerID,
    CNI_NETNS: i.netns,
    CNI_IFNAME: i.ifName,
    CNI_PATH: i.cniPath,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${i.podNamespace};K8S_POD_NAME=${i.podName};K8S_POD_INFRA_CONTAINER_ID=${i.containerID};K8S_POD_UID=${i.podUID}`,
  };
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string; mtu?: number }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: unknown;
}

/** The pod's addresses from a result: those on the sandbox interface `ifName` (or on no named interface), without prefix length. */
export function podIPsFromResult(result: CniResult, ifName: string): string[] {
  const ifaces = result.interfaces ?? [];
  const out: string[] = [];
  for (const ip of result.ips ?? []) {
    const iface = ip.interface === undefined ? undefined : ifaces[ip.interface];
    if (iface && (iface.name !== ifName || !iface.sandbox)) continue;
    out.push(ip.address.split('/')[0]!);
  }
  // IPv4 first, as the kubelet orders podIPs by the cluster's primary family.
  return out.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
}

/** A plugin's error JSON ({code, msg, details}) as one line; falls back to stderr/exit code. */
export function describeCniFailure(plugin: string, command: string, exitCode: number | null, stdout: string, stderr: string): string {
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (e && typeof e.msg === 'string') return `CNI ${command} (${plugin}) failed: ${e.msg}${e.details ? `: ${e.details}` : ''} (code ${e.code ?? '?'})`;
  } catch {
    // not an error document: fall through
  }
  const detail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' ');
  return `CNI ${command} (${plugin}) exited with ${exitCode}${detail ? `: ${detail}` : ''}`;
}
