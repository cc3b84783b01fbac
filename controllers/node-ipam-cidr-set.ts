// The pod-CIDR allocator behind node IPAM: the cluster CIDR cut into subnets
// of one mask size (10.244.0.0/16 into /24s by default), each either free or
// taken. Like Kubernetes' cidrset, the search for a free subnet starts after
// the last one handed out, so a subnet just released is not reused at once
// (a route or a cached address of the old node may still point at it). Pure:
// no I/O; the controller rebuilds it from the Nodes at start.

export class CIDRSetError extends Error {
  override name = 'CIDRSetError';
}

interface Parsed {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(s) || s.split('::').length > 2) return undefined;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : missing < 1) return undefined;
  const groups = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** Parses "a.b.c.d/n" or an IPv6 CIDR; the address is masked to the network. */
export function parseCIDR(cidr: string): Parsed | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!m) return undefined;
  const v4 = parseIPv4(m[1]!);
  const family: 4 | 6 = v4 !== undefined ? 4 : 6;
  const addr = v4 ?? parseIPv6(m[1]!);
  const prefix = Number(m[2]);
  const bits = family === 4 ? 32 : 128;
  if (addr === undefined || prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  return { family, base: (addr >> hostBits) << hostBits, prefix };
}

function formatIP(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 255n).toString()).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export class CIDRSet {
  readonly family: 4 | 6;
  private readonly base: bigint;
  private readonly clusterPrefix: number;
  private readonly subnetBits: bigint;
  /** How many subnets the cluster CIDR holds. */
  readonly size: number;
  private readonly taken = new Set<number>();
  private next = 0;

  constructor(readonly clusterCIDR: string, readonly maskSize: number) {
    const p = parseCIDR(clusterCIDR);
    if (!p) throw new CIDRSetError(`invalid cluster CIDR ${JSON.stringify(clusterCIDR)}`);
    const bits = p.family === 4 ? 32 : 128;
    if (!Number.isInteger(maskSize) || maskSize < p.prefix || maskSize > bits) {
      throw new CIDRSetError(`node CIDR mask size ${maskSize} must be between the cluster CIDR's prefix /${p.prefix} and /${bits}`);
    }
    if (maskSize - p.prefix > 24) throw new CIDRSetError(`cluster CIDR ${clusterCIDR} holds more than 2^24 /${maskSize} subnets; use a larger mask size`);
    this.family = p.family;
    this.base = p.base;
    this.clusterPrefix = p.prefix;
    this.subnetBits = BigInt(bits - maskSize);
    this.size = 2 ** (maskSize - p.prefix);
  }

  get used(): number {
    return this.taken.size;
  }

  private cidrAt(i: number): string {
    return `${formatIP(this.base + (BigInt(i) << this.subnetBits), this.family)}/${this.maskSize}`;
  }

  /** The subnet index of `cidr`, or undefined when it is not exactly one of this set's subnets. */
  private indexOf(cidr: string): number | undefined {
    const p = parseCIDR(cidr);
    if (!p || p.family !== this.family || p.prefix !== this.maskSize) return undefined;
    const bits = BigInt((this.family === 4 ? 32 : 128) - this.clusterPrefix);
    if (p.base >> bits !== this.base >> bits) return undefined;
    return Number((p.base - this.base) >> this.subnetBits);
  }

  /** Takes the next free subnet, or undefined when the range is full. */
  allocateNext(): string | undefined {
    for (let n = 0; n < this.size; n++) {
      const i = (this.next + n) % this.size;
      if (this.taken.has(i)) continue;
      this.taken.add(i);
      this.next = (i + 1) % this.size;
      return this.cidrAt(i);
    }
    return undefined;
  }

  /** Marks a subnet taken (a Node that already has it). False if it is not one of this set's subnets. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.taken.add(i);
    return true;
  }

  isTaken(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.taken.has(i);
  }

  /** Frees a subnet; releasing one that is free or not ours is a no-op. */
  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.taken.delete(i);
  }
}
