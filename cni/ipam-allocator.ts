// Host-local style address allocation as pure functions over the store's
// contents. The store (ipam-store.ts) supplies what is taken and persists the
// decision; everything that decides lives here.
import { CniError, ERR_ADDRESSES_EXHAUSTED, ERR_DUPLICATE_ALLOCATION, ERR_INVALID_CONFIG } from './cni-error.js';
import { formatCidr, formatIpv4 } from './ipv4.js';
import type { IpRange } from './ipam-config.js';
import type { Attachment } from './types.js';

/** One reservation: an address held by a (container ID, ifname) attachment. */
export interface Allocation {
  readonly ip: number;
  readonly containerId: string;
  readonly ifName: string;
}

export interface Picked {
  readonly ip: number;
  readonly range: IpRange;
}

export function findAllocations(all: readonly Allocation[], containerId: string, ifName: string): Allocation[] {
  return all.filter((a) => a.containerId === containerId && a.ifName === ifName);
}

function rangeOf(ranges: readonly IpRange[], ip: number): number {
  return ranges.findIndex((r) => ip >= r.rangeStart && ip <= r.rangeEnd);
}

/**
 * The next free address after `lastReserved`, wrapping around once through
 * every range: like host-local, a just-released address is not handed out
 * again until the pool has gone round, so a late packet for a dead pod does
 * not reach its successor.
 */
export function pickAddress(ranges: readonly IpRange[], taken: ReadonlySet<number>, lastReserved?: number): Picked | undefined {
  if (ranges.length === 0) return undefined;
  let ri = 0;
  let ip = ranges[0]!.rangeStart;
  if (lastReserved !== undefined) {
    const at = rangeOf(ranges, lastReserved);
    if (at >= 0) {
      ri = at;
      ip = lastReserved;
      ({ ri, ip } = step(ranges, ri, ip));
    }
  }
  const startRi = ri;
  const startIp = ip;
  for (;;) {
    const range = ranges[ri]!;
    if (ip !== range.gateway && !taken.has(ip)) return { ip, range };
    ({ ri, ip } = step(ranges, ri, ip));
    if (ri === startRi && ip === startIp) return undefined;
  }
}

function step(ranges: readonly IpRange[], ri: number, ip: number): { ri: number; ip: number } {
  if (ip < ranges[ri]!.rangeEnd) return { ri, ip: ip + 1 };
  const next = (ri + 1) % ranges.length;
  return { ri: next, ip: ranges[next]!.rangeStart };
}

/** The address a caller asked for (CNI_ARGS IP=…), if it may be handed out. */
export function pickRequested(ranges: readonly IpRange[], taken: ReadonlySet<number>, requested: number): Picked {
  const ri = rangeOf(ranges, requested);
  const range = ranges[ri];
  const ip = formatIpv4(requested);
  if (!range) {
    const pools = ranges.map((r) => `${formatIpv4(r.rangeStart)}-${formatIpv4(r.rangeEnd)}`).join(', ');
    throw new CniError(ERR_INVALID_CONFIG, `requested IP ${ip} is outside the configured ranges (${pools})`);
  }
  if (requested === range.gateway) throw new CniError(ERR_INVALID_CONFIG, `requested IP ${ip} is the gateway of ${formatCidr(range.subnet)}`);
  if (taken.has(requested)) throw new CniError(ERR_DUPLICATE_ALLOCATION, `requested IP ${ip} is already allocated`);
  return { ip: requested, range };
}

/**
 * Chooses an address for a new attachment, refusing a second one for the
 * same attachment. `taken` is every allocated address; `held` what this
 * attachment already holds.
 */
export function allocate(
  ranges: readonly IpRange[],
  taken: ReadonlySet<number>,
  held: readonly number[],
  who: { containerId: string; ifName: string },
  opts: { lastReserved?: number; requested?: number } = {},
): Picked {
  if (held.length > 0) {
    throw new CniError(
      ERR_DUPLICATE_ALLOCATION,
      `container ${who.containerId} interface ${who.ifName} already holds ${held.map(formatIpv4).join(', ')}`,
      'ADD was called twice without DEL; call DEL first',
    );
  }
  if (opts.requested !== undefined) return pickRequested(ranges, taken, opts.requested);
  const picked = pickAddress(ranges, taken, opts.lastReserved);
  if (!picked) {
    const pools = ranges.map((r) => formatCidr(r.subnet)).join(', ');
    throw new CniError(ERR_ADDRESSES_EXHAUSTED, `no free address in ${pools}: all ${countUsable(ranges)} are allocated`);
  }
  return picked;
}

/** Addresses the ranges can hand out in total (gateway excluded). */
export function countUsable(ranges: readonly IpRange[]): number {
  return ranges.reduce((n, r) => {
    const size = r.rangeEnd - r.rangeStart + 1;
    const hasGw = r.gateway >= r.rangeStart && r.gateway <= r.rangeEnd ? 1 : 0;
    return n + size - hasGw;
  }, 0);
}

/** Allocations whose attachment is not in GC's `cni.dev/valid-attachments`. */
export function staleAllocations(all: readonly Allocation[], valid: readonly Attachment[]): Allocation[] {
  const keep = new Set(valid.map((v) => `${v.containerID}\u0000${v.ifname}`));
  return all.filter((a) => !keep.has(`${a.containerId}\u0000${a.ifName}`));
}
