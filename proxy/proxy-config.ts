// The node-level settings the service proxy renders rules for, plus the two
// small IPv4 helpers (parse, CIDR containment) that config-driven decisions
// need: is an address one of ours, is a source inside the cluster CIDR.

import { parseIpv4 } from '../kube/ipv4.js';
export interface ProxyConfig {
  /** This node's name (`--hostname-override`); endpoints with this nodeName are local. */
  readonly nodeName: string;
  /** This node's addresses; used for loadBalancerSourceRanges "allow from node". */
  readonly nodeIPs: readonly string[];
  /** `--cluster-cidr`: tells pod traffic from the rest. Without it nothing masquerades off-cluster ClusterIP traffic. */
  readonly clusterCIDR?: string;
  /** `--iptables-masquerade-bit`, default 14 (mark 0x4000). */
  readonly masqueradeBit?: number;
  /**
   * Above this many endpoints kube-proxy drops the per-endpoint comments to
   * shrink the ruleset ("large cluster mode"); default 1000 as in kube-proxy.
   */
  readonly largeClusterEndpointsThreshold?: number;
}

export const DEFAULT_MASQUERADE_BIT = 14;
export const DEFAULT_LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

/** The masquerade mark as iptables prints it, e.g. "0x4000" for bit 14. */
export function masqueradeMark(cfg: ProxyConfig): string {
  const bit = cfg.masqueradeBit ?? DEFAULT_MASQUERADE_BIT;
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) {
    throw new Error(`masqueradeBit ${bit}: must be an integer between 0 and 31`);
  }
  return '0x' + (2 ** bit).toString(16);
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or undefined if it is not one. */
export const parseIPv4 = parseIpv4;

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

/** Parses "a.b.c.d/n" (or a bare address, as /32) into base and mask length. */
export function parseIPv4Cidr(cidr: string): { base: number; bits: number } | undefined {
  const slash = cidr.indexOf('/');
  const ip = parseIPv4(slash < 0 ? cidr : cidr.slice(0, slash));
  if (ip === undefined) return undefined;
  if (slash < 0) return { base: ip, bits: 32 };
  const lenText = cidr.slice(slash + 1);
  const bits = Number(lenText);
  if (lenText === '' || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return { base: ip, bits };
}

/** Whether the IPv4 address `ip` lies in `cidr`; false when either does not parse. */
export function ipv4CidrContains(cidr: string, ip: string): boolean {
  const c = parseIPv4Cidr(cidr);
  const a = parseIPv4(ip);
  if (c === undefined || a === undefined) return false;
  if (c.bits === 0) return true;
  const shift = 32 - c.bits;
  return Math.floor(c.base / 2 ** shift) === Math.floor(a / 2 ** shift);
}
