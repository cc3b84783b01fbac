// Dotted-quad IPv4 addresses as unsigned 32-bit numbers: the one parser the
// components share (CNI IPAM, lab address plans, proxy CIDR checks). Strict as
// Kubernetes' validation is: four decimal octets 0-255, no leading zeros.

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a number, or undefined when `s` is not a dotted-quad IPv4 address. */
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
