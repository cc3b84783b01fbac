// IPv4 addresses as unsigned 32-bit numbers, and CIDRs over them. The plugin
// only hands out IPv4 (the lab's pod networks are IPv4), so a few arithmetic
// helpers are clearer here than a general IP library.

export interface Ipv4Cidr {
  /** The address as written (may have host bits set, e.g. an interface address). */
  readonly address: number;
  readonly prefix: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad IPv4; undefined when `s` is not one. */
export function parseIpv4(s: string): number | undefined {
  const m = DOTTED.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
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
