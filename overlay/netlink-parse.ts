// Reads iproute2's JSON (`ip -j -d addr show dev X`, `ip -j neigh show dev X`,
// `bridge -j fdb show dev X`, `ip -j route show dev X`) into a NodePlan.
// Pure, so recorded outputs can be replayed in tests. The device is ours by
// name, so everything of the kinds we manage on it counts: permanent
// neighbours, FDB entries with a remote destination, gateway routes in the
// main table, IPv4 addresses. What the kernel makes by itself (IPv6
// link-local addresses, learned or failed neighbours) is ignored.
import type { FdbEntry, NeighbourEntry, NodePlan, RouteEntry, VxlanDevice } from './node-plan.js';

interface IpLinkJson {
  ifname?: string;
  flags?: string[];
  mtu?: number;
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean } };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

interface IpNeighJson {
  dst?: string;
  lladdr?: string;
  state?: string[];
}

interface BridgeFdbJson {
  mac?: string;
  dst?: string;
  state?: string;
}

interface IpRouteJson {
  dst?: string;
  gateway?: string;
  type?: string;
  table?: string;
}

export interface ObservedJson {
  /** `ip -j -d addr show dev X` output, or undefined when the device does not exist. */
  readonly link: string | undefined;
  readonly neigh: string;
  readonly fdb: string;
  readonly route: string;
}

function parseArray<T>(what: string, text: string): T[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const v: unknown = JSON.parse(trimmed);
  if (!Array.isArray(v)) throw new Error(`${what}: expected a JSON array from iproute2, got ${trimmed.slice(0, 80)}`);
  return v as T[];
}

/**
 * The device as the plan describes it. A link that is not a VXLAN device
 * comes back with vni -1, so the diff recreates it (it carries our name).
 */
export function parseVxlanDevice(linkJson: string): { device: VxlanDevice; addresses: string[] } | undefined {
  const link = parseArray<IpLinkJson>('ip link', linkJson)[0];
  if (!link?.ifname) return undefined;
  const info = link.linkinfo?.info_kind === 'vxlan' ? link.linkinfo.info_data : undefined;
  const device: VxlanDevice = {
    name: link.ifname,
    vni: info?.id ?? -1,
    dstPort: info?.port ?? -1,
    local: info?.local ?? '',
    mac: (link.address ?? '').toLowerCase(),
    mtu: link.mtu ?? 0,
    learning: info?.learning ?? true,
    up: (link.flags ?? []).includes('UP'),
  };
  const addresses = (link.addr_info ?? [])
    .filter((a) => a.family === 'inet' && a.local && a.prefixlen !== undefined)
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
  return { device, addresses };
}

export function parseNeighbours(json: string): NeighbourEntry[] {
  return parseArray<IpNeighJson>('ip neigh', json)
    .filter((n) => n.dst && n.lladdr && (n.state ?? []).includes('PERMANENT') && !n.dst.includes(':'))
    .map((n) => ({ ip: n.dst!, mac: n.lladdr!.toLowerCase() }));
}

export function parseFdb(json: string): FdbEntry[] {
  return parseArray<BridgeFdbJson>('bridge fdb', json)
    .filter((f) => f.mac && f.dst)
    .map((f) => ({ mac: f.mac!.toLowerCase(), dst: f.dst! }));
}

export function parseRoutes(json: string): RouteEntry[] {
  return parseArray<IpRouteJson>('ip route', json)
    .filter((r) => r.dst && r.gateway && (r.type === undefined || r.type === 'unicast') && (r.table === undefined || r.table === 'main'))
    .map((r) => ({ dst: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, via: r.gateway! }));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function parseObservedState(node: string, j: ObservedJson): NodePlan {
  const link = j.link === undefined ? undefined : parseVxlanDevice(j.link);
  if (!link) return { node, device: undefined, addresses: [], neighbours: [], fdb: [], routes: [] };
  return {
    node,
    device: link.device,
    addresses: link.addresses,
    // Sorted as compile.ts sorts, so an observed plan can be compared (and printed) as a whole.
    neighbours: parseNeighbours(j.neigh).sort((a, b) => cmp(a.ip, b.ip)),
    fdb: parseFdb(j.fdb).sort((a, b) => cmp(`${a.mac} ${a.dst}`, `${b.mac} ${b.dst}`)),
    routes: parseRoutes(j.route).sort((a, b) => cmp(a.dst, b.dst)),
  };
}
