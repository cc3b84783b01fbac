// IPv4 addresses as unsigned 32-bit numbers, and CIDRs over them. The plugin
// only hands out IPv4 (the lab's pod networks are IPv4), so a few arithmetic
// helpers are clearer here than a general IP library.

import { formatIpv4, parseIpv4 } from '../kube/ipv4.js';
export { formatIpv4, parseIpv4 };

export interface Ipv4Cidr {
  /** The address as written (may have host bits set, e.g. an interface address). */
  readonly address: number;
  readonly prefix: number;
}


/** Parses "a.b.c.d/p"; undefined when malformed. */
export function parseCidr(s: string): Ipv4Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (address === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { address, prefix };
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${formatIpv4(c.address)}/${c.prefix}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkAddress(c: Ipv4Cidr): number {
  return (c.address & mask(c.prefix)) >>> 0;
}

export function broadcastAddress(c: Ipv4Cidr): number {
  return (networkAddress(c) | ~mask(c.prefix)) >>> 0;
}

export function cidrContains(c: Ipv4Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === networkAddress(c);
}

/** The CIDR with host bits cleared, e.g. 10.0.1.7/24 → 10.0.1.0/24. */
export function canonicalCidr(c: Ipv4Cidr): Ipv4Cidr {
  return { address: networkAddress(c), prefix: c.prefix };
}
