// What ADD, DEL and CHECK do to links, as data: `ip -batch` lines for the
// node side and the pod side, the result they produce, and what CHECK
// expects to see. No IO here; netlink.ts runs the lines and reads state back.
import { createHash } from 'node:crypto';
import type { BridgeNetConf } from './config.js';
import { formatCidr, networkAddress, parseCidr } from './ipv4.js';
import type { CniInterface, CniResult, CniRoute } from './types.js';

/** A link as netlink.ts observes it (from `ip -j -d addr show`). */
export interface LinkState {
  readonly name: string;
  readonly kind?: string;
  readonly mac?: string;
  readonly mtu: number;
  readonly up: boolean;
  readonly master?: string;
  readonly alias?: string;
  readonly hairpin?: boolean;
  /** IPv4 addresses in CIDR form. */
  readonly addresses: readonly string[];
}

/** A route as netlink.ts observes it (from `ip -j route show`). */
export interface RouteState {
  /** "default" is normalised to 0.0.0.0/0. */
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
}

export interface PodAttachment {
  readonly network: string;
  readonly containerId: string;
  readonly ifName: string;
  readonly netns: string;
}

export const HOST_VETH_PREFIX = 'nkv';
export const ALIAS_PREFIX = 'netkube-cni';

/**
 * The node-side veth name: derived from the attachment, so DEL finds it
 * without the netns and without a prevResult, and a second ADD for the same
 * attachment collides with the first instead of leaking a second veth.
 */
export function hostVethName(a: Pick<PodAttachment, 'network' | 'containerId' | 'ifName'>): string {
  const h = createHash('sha256').update(`${a.network}\u0000${a.containerId}\u0000${a.ifName}`).digest('hex');
  return `${HOST_VETH_PREFIX}${h.slice(0, 12)}`;
}

/** The alias stamped on each host veth: GC recognises ours, and `ip link` shows whose it is. */
export function vethAlias(a: Pick<PodAttachment, 'network' | 'containerId' | 'ifName'>): string {
  return `${ALIAS_PREFIX}/${a.network}/${a.containerId}/${a.ifName}`;
}

export function parseVethAlias(alias: string): { network: string; containerId: string; ifName: string } | undefined {
  const parts = alias.split('/');
  if (parts.length !== 4 || parts[0] !== ALIAS_PREFIX) return undefined;
  return { network: parts[1]!, containerId: parts[2]!, ifName: parts[3]! };
}

/** The gateway address the bridge carries, in CIDR form (e.g. 10.244.1.1/24). */
export function bridgeAddress(ipamResult: CniResult): string | undefined {
  const ip = ipamResult.ips?.[0];
  if (!ip?.gateway) return undefined;
  const c = parseCidr(ip.address);
  return c ? `${ip.gateway}/${c.prefix}` : undefined;
}

/** A locally administered unicast MAC derived from the network and bridge names. */
export function bridgeMac(network: string, bridge: string): string {
  const h = createHash('sha256').update(`${network}\u0000${bridge}`).digest();
  const bytes = [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Lines that bring an observed bridge (undefined = missing) to what `conf` wants. */
export function planBridge(conf: BridgeNetConf, observed: LinkState | undefined, gatewayCidr: string | undefined): string[] {
  const lines: string[] = [];
  // A fixed MAC: a bridge left to pick its own takes the lowest port MAC and
  // changes it when that pod goes, leaving every pod's ARP entry for the gateway stale.
  if (!observed) lines.push(`link add name ${conf.bridge} address ${bridgeMac(conf.name, conf.bridge)} mtu ${conf.mtu} type bridge`);
  if (conf.isGateway && gatewayCidr && !observed?.addresses.includes(gatewayCidr)) {
    // replace, not add: a concurrent ADD may have just added it.
    lines.push(`addr replace ${gatewayCidr} dev ${conf.bridge}`);
  }
  if (!observed?.up) lines.push(`link set dev ${conf.bridge} up`);
  return lines;
}

/** Node side of ADD: the veth pair (pod end created straight into the netns as CNI_IFNAME), hairpin. */
export function planHostVeth(conf: BridgeNetConf, a: PodAttachment): string[] {
  const host = hostVethName(a);
  const lines = [
    `link add ${host} mtu ${conf.mtu} master ${conf.bridge} up type veth peer name ${a.ifName} mtu ${conf.mtu} netns ${a.netns}`,
    // The kernel ignores an alias given to `link add`; it takes one only on a change.
    `link set dev ${host} alias ${vethAlias(a)}`,
  ];
  if (conf.hairpinMode) lines.push(`link set dev ${host} type bridge_slave hairpin on`);
  return lines;
}

/** The routes the pod gets: default via the gateway, then the IPAM's own (a default among them wins). */
export function podRoutes(ipamResult: CniResult): CniRoute[] {
  const gw = ipamResult.ips?.[0]?.gateway;
  const extra = ipamResult.routes ?? [];
  const hasDefault = extra.some((r) => r.dst === '0.0.0.0/0');
  return [...(gw && !hasDefault ? [{ dst: '0.0.0.0/0', gw }] : []), ...extra.map((r) => ({ ...r }))];
}

/** Pod side of ADD, run inside the netns: lo up, the address, the interface up, the routes. */
export function planPodInterface(a: PodAttachment, ipamResult: CniResult): string[] {
  const lines = ['link set dev lo up'];
  for (const ip of ipamResult.ips ?? []) lines.push(`addr add ${ip.address} dev ${a.ifName}`);
  lines.push(`link set dev ${a.ifName} up`);
  const defaultGw = ipamResult.ips?.[0]?.gateway;
  for (const r of podRoutes(ipamResult)) {
    const gw = r.gw ?? defaultGw;
    lines.push(`route add ${r.dst === '0.0.0.0/0' ? 'default' : r.dst}${gw ? ` via ${gw}` : ''} dev ${a.ifName}`);
  }
  return lines;
}

/**
 * The ADD result: interfaces [bridge, host veth, pod interface] (the layout of
 * the reference bridge plugin, which chained plugins expect), the pod's
 * address pointing at index 2, routes, and dns when configured.
 */
export function buildAddResult(
  conf: BridgeNetConf,
  a: PodAttachment,
  ipamResult: CniResult,
  macs: { bridge?: string; host?: string; pod?: string },
): CniResult {
  const iface = (name: string, mac: string | undefined, extra: Partial<CniInterface>): CniInterface => ({
    name,
    ...(mac ? { mac } : {}),
    ...extra,
  });
  const result: CniResult = {
    interfaces: [
      iface(conf.bridge, macs.bridge, {}),
      iface(hostVethName(a), macs.host, { mtu: conf.mtu }),
      iface(a.ifName, macs.pod, { mtu: conf.mtu, sandbox: a.netns }),
    ],
    ips: (ipamResult.ips ?? []).map((ip) => ({ ...ip, interface: 2 })),
    routes: podRoutes(ipamResult),
  };
  const dns = conf.dns ?? ipamResult.dns;
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  return result;
}

/** What CHECK observed; any field may be missing when the thing is gone. */
export interface ObservedAttachment {
  readonly bridge?: LinkState;
  readonly host?: LinkState;
  readonly pod?: LinkState;
  readonly podRoutes: readonly RouteState[];
}

/** CHECK's verdict: each problem names the thing that differs from prevResult or the config. */
export function checkAttachment(conf: BridgeNetConf, a: PodAttachment, prev: CniResult, seen: ObservedAttachment): string[] {
  const problems: string[] = [];
  const host = hostVethName(a);
  if (!seen.bridge) problems.push(`bridge ${conf.bridge} is missing`);
  else if (seen.bridge.kind !== 'bridge') problems.push(`${conf.bridge} is a ${seen.bridge.kind ?? 'plain'} link, not a bridge`);
  if (!seen.host) {
    problems.push(`host veth ${host} is missing`);
  } else {
    if (seen.host.master !== conf.bridge) problems.push(`host veth ${host} is attached to ${seen.host.master ?? 'no bridge'}, not ${conf.bridge}`);
    if (conf.hairpinMode && seen.host.hairpin !== true) problems.push(`host veth ${host} has hairpin off`);
    if (!seen.host.up) problems.push(`host veth ${host} is down`);
  }
  const want = prev.interfaces?.find((i) => i.name === a.ifName && i.sandbox === a.netns);
  if (!want) problems.push(`prevResult lists no interface ${a.ifName} in ${a.netns}`);
  if (!seen.pod) {
    problems.push(`interface ${a.ifName} is missing in ${a.netns}`);
    return problems;
  }
  if (want?.mac && seen.pod.mac && want.mac.toLowerCase() !== seen.pod.mac.toLowerCase()) {
    problems.push(`interface ${a.ifName} has MAC ${seen.pod.mac}, prevResult says ${want.mac}`);
  }
  if (seen.pod.mtu !== conf.mtu) problems.push(`interface ${a.ifName} has MTU ${seen.pod.mtu}, config says ${conf.mtu}`);
  if (!seen.pod.up) problems.push(`interface ${a.ifName} is down`);
  const wantIndex = prev.interfaces?.indexOf(want!) ?? -1;
  for (const ip of prev.ips ?? []) {
    if (ip.interface !== undefined && ip.interface !== wantIndex) continue;
    if (!seen.pod.addresses.includes(ip.address)) problems.push(`interface ${a.ifName} lacks address ${ip.address}`);
  }
  const gw = prev.ips?.[0]?.gateway;
  // Later plugins may add routes; ours must still be there.
  for (const r of prev.routes ?? []) {
    const via = r.gw ?? gw;
    const found = seen.podRoutes.some((s) => s.dst === normaliseDst(r.dst) && (via === undefined || s.gateway === via));
    if (!found) problems.push(`route ${r.dst}${via ? ` via ${via}` : ''} is missing in ${a.netns}`);
  }
  return problems;
}

/** Route destinations as `ip -j route` prints them are compared in canonical CIDR form. */
export function normaliseDst(dst: string): string {
  if (dst === 'default') return '0.0.0.0/0';
  const c = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
  return c ? formatCidr({ address: networkAddress(c), prefix: c.prefix }) : dst;
}

