// The `ipam` section of a network configuration: netkube's own host-local
// style allocator ("netkube-ipam"), or any other IPAM plugin to delegate to.
import { CniError, ERR_INVALID_CONFIG } from './cni-error.js';
import {
  broadcastAddress,
  formatCidr,
  formatIpv4,
  networkAddress,
  parseCidr,
  parseIpv4,
  type Ipv4Cidr,
} from './ipv4.js';
import type { CniRoute } from './types.js';

export const NETKUBE_IPAM_TYPE = 'netkube-ipam';
export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

/** One contiguous pool inside a subnet; the gateway is never handed out. */
export interface IpRange {
  readonly subnet: Ipv4Cidr;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly gateway: number;
}

export interface LocalIpamConfig {
  readonly kind: 'local';
  /** Tried in order; one address per ADD comes from the first range with room. */
  readonly ranges: readonly IpRange[];
  readonly routes: readonly CniRoute[];
  /** Root of the stores; this network's allocations live in `<dataDir>/<network name>`. */
  readonly dataDir: string;
}

export interface DelegatedIpamConfig {
  readonly kind: 'delegated';
  /** The executable name looked up in CNI_PATH. */
  readonly type: string;
}

export type IpamConfig = LocalIpamConfig | DelegatedIpamConfig;

function invalid(msg: string): CniError {
  return new CniError(ERR_INVALID_CONFIG, msg);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseAddress(v: unknown, where: string): number {
  if (typeof v !== 'string') throw invalid(`${where}: must be an IPv4 address string`);
  if (v.includes(':')) throw invalid(`${where}: ${v}: only IPv4 is supported`);
  const n = parseIpv4(v);
  if (n === undefined) throw invalid(`${where}: ${v} is not an IPv4 address`);
  return n;
}

function parseSubnet(v: unknown, where: string): Ipv4Cidr {
  if (typeof v !== 'string') throw invalid(`${where}: must be a CIDR string like "10.244.1.0/24"`);
  if (v.includes(':')) throw invalid(`${where}: ${v}: only IPv4 is supported`);
  const c = parseCidr(v);
  if (!c) throw invalid(`${where}: ${v} is not an IPv4 CIDR`);
  const net = networkAddress(c);
  if (net !== c.address) {
    throw invalid(`${where}: ${v} has host bits set (did you mean ${formatCidr({ address: net, prefix: c.prefix })}?)`);
  }
  if (c.prefix > 30) throw invalid(`${where}: network ${v} too small to allocate from`);
  return c;
}

function inSubnet(ip: number, subnet: Ipv4Cidr): boolean {
  return ip > networkAddress(subnet) && ip < broadcastAddress(subnet);
}

/** One host-local style range object: subnet plus optional rangeStart, rangeEnd, gateway. */
export function parseRange(o: Record<string, unknown>, where: string): IpRange {
  const subnet = parseSubnet(o.subnet, `${where}.subnet`);
  const sub = formatCidr(subnet);
  const first = networkAddress(subnet) + 1;
  const last = broadcastAddress(subnet) - 1;
  const gateway = o.gateway === undefined ? first : parseAddress(o.gateway, `${where}.gateway`);
  const rangeStart = o.rangeStart === undefined ? first : parseAddress(o.rangeStart, `${where}.rangeStart`);
  const rangeEnd = o.rangeEnd === undefined ? last : parseAddress(o.rangeEnd, `${where}.rangeEnd`);
  for (const [name, ip] of [['gateway', gateway], ['rangeStart', rangeStart], ['rangeEnd', rangeEnd]] as const) {
    if (!inSubnet(ip, subnet)) {
      throw invalid(`${where}.${name}: ${formatIpv4(ip)} is not a usable address of ${sub} (network and broadcast excluded)`);
    }
  }
  if (rangeStart > rangeEnd) {
    throw invalid(`${where}: rangeStart ${formatIpv4(rangeStart)} is after rangeEnd ${formatIpv4(rangeEnd)}`);
  }
  if (rangeStart === rangeEnd && rangeStart === gateway) {
    throw invalid(`${where}: the range holds only the gateway ${formatIpv4(gateway)}, nothing to allocate`);
  }
  return { subnet, rangeStart, rangeEnd, gateway };
}

function parseRoutes(v: unknown, where: string): CniRoute[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`${where}: must be a list of {"dst": CIDR, "gw"?: address}`);
  return v.map((r: unknown, i): CniRoute => {
    const w = `${where}[${i}]`;
    if (!isObject(r)) throw invalid(`${w}: must be an object`);
    if (typeof r.dst !== 'string' || !parseCidr(r.dst)) throw invalid(`${w}.dst: ${String(r.dst)} is not an IPv4 CIDR`);
    const route: CniRoute = { dst: r.dst };
    if (r.gw !== undefined) route.gw = formatIpv4(parseAddress(r.gw, `${w}.gw`));
    return route;
  });
}

/** Parses `conf.ipam`. Any type other than netkube-ipam is delegated unparsed. */
export function parseIpamConfig(ipam: unknown): IpamConfig {
  if (ipam === undefined) {
    throw invalid(`ipam: missing (the pod needs an address; use e.g. {"type": "${NETKUBE_IPAM_TYPE}", "subnet": "10.244.1.0/24"})`);
  }
  if (!isObject(ipam)) throw invalid('ipam: must be an object');
  if (typeof ipam.type !== 'string' || ipam.type === '') throw invalid('ipam.type: missing');
  if (/[/\\]/.test(ipam.type)) throw invalid(`ipam.type: "${ipam.type}" must be a plugin name, not a path`);
  if (ipam.type !== NETKUBE_IPAM_TYPE) return { kind: 'delegated', type: ipam.type };

  let ranges: IpRange[];
  if (ipam.ranges !== undefined) {
    if (ipam.subnet !== undefined) throw invalid('ipam: give either "subnet" or "ranges", not both');
    if (!Array.isArray(ipam.ranges) || ipam.ranges.length === 0) {
      throw invalid('ipam.ranges: must be a non-empty list of range sets, e.g. [[{"subnet": "10.244.1.0/24"}]]');
    }
    if (ipam.ranges.length > 1) {
      throw invalid(`ipam.ranges: ${ipam.ranges.length} range sets given; netkube-ipam hands out one IPv4 address, so give one range set`);
    }
    const set: unknown = ipam.ranges[0];
    if (!Array.isArray(set) || set.length === 0) throw invalid('ipam.ranges[0]: must be a non-empty list of ranges');
    ranges = set.map((r: unknown, i) => {
      if (!isObject(r)) throw invalid(`ipam.ranges[0][${i}]: must be an object`);
      return parseRange(r, `ipam.ranges[0][${i}]`);
    });
  } else if (ipam.subnet !== undefined) {
    ranges = [parseRange(ipam, 'ipam')];
  } else {
    throw invalid('ipam: needs "subnet" or "ranges"');
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (a.rangeStart <= b.rangeEnd && b.rangeStart <= a.rangeEnd) {
        throw invalid(`ipam.ranges[0][${i}] and [${j}] overlap`);
      }
    }
  }

  let dataDir = DEFAULT_DATA_DIR;
  if (ipam.dataDir !== undefined) {
    if (typeof ipam.dataDir !== 'string' || !ipam.dataDir.startsWith('/')) {
      throw invalid(`ipam.dataDir: ${JSON.stringify(ipam.dataDir)} must be an absolute path`);
    }
    dataDir = ipam.dataDir;
  }
  return { kind: 'local', ranges, routes: parseRoutes(ipam.routes, 'ipam.routes'), dataDir };
}
