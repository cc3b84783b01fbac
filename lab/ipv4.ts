// IPv4 CIDR arithmetic the lab needs to lay out its address plan: parse,
// check alignment and overlap, pick the n-th address. IPv4 only, because the
// lab's underlay, pod and service ranges are IPv4.

import { formatIpv4, parseIpv4 } from '../kube/ipv4.js';
export { formatIpv4, parseIpv4 };

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefixLength: number;
  /** Canonical text, e.g. "10.244.0.0/16". */
  readonly text: string;
}


function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/**
 * Parses "a.b.c.d/len". Returns an error message naming `flag` when the text
 * is not a CIDR or has host bits set (10.244.1.0/16 suggests 10.244.0.0/16).
 */
export function parseIpv4Cidr(flag: string, text: string): Ipv4Cidr | string {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const ip = m ? parseIpv4(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(len >= 0 && len <= 32)) return `${flag}: "${text}" is not an IPv4 CIDR (e.g. 10.244.0.0/16)`;
  const network = (ip & maskOf(len)) >>> 0;
  if (network !== ip) return `${flag}: "${text}" has host bits set; did you mean ${formatIpv4(network)}/${len}?`;
  return { network, prefixLength: len, text: `${formatIpv4(network)}/${len}` };
}

export function cidrSize(c: Ipv4Cidr): number {
  return 2 ** (32 - c.prefixLength);
}

/** The n-th address of the range (0 = the network address). */
export function nthAddress(c: Ipv4Cidr, n: number): string {
  if (n < 0 || n >= cidrSize(c)) throw new RangeError(`${c.text} has no address number ${n}`);
  return formatIpv4(c.network + n);
}

export function cidrContains(c: Ipv4Cidr, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && ((n & maskOf(c.prefixLength)) >>> 0) === c.network;
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const len = Math.min(a.prefixLength, b.prefixLength);
  const m = maskOf(len);
  return ((a.network & m) >>> 0) === ((b.network & m) >>> 0);
}

/** The network an interface address belongs to: "172.18.0.1/24" → 172.18.0.0/24. */
export function networkOfInterfaceAddress(addr: string): Ipv4Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(addr);
  const ip = m ? parseIpv4(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(len >= 0 && len <= 32)) return undefined;
  const network = (ip & maskOf(len)) >>> 0;
  return { network, prefixLength: len, text: `${formatIpv4(network)}/${len}` };
}
