// netkube-ipam: host-local style allocation (ipam-allocator.ts decides,
// ipam-store.ts persists). Used in-process by netkube-cni, and as a
// standalone IPAM plugin (ipam-plugin.ts) for other main plugins.
import { CniError, ERR_CHECK_FAILED, ERR_INVALID_CONFIG, ERR_INVALID_ENV, ERR_NOT_AVAILABLE } from './cni-error.js';
import { allocate, countUsable, findAllocations, staleAllocations, type Allocation } from './ipam-allocator.js';
import type { LocalIpamConfig } from './ipam-config.js';
import { IpamStore, type IpamStoreOptions } from './ipam-store.js';
import { formatCidr, formatIpv4, parseCidr, parseIpv4 } from './ipv4.js';
import type { Attachment, CniResult } from './types.js';

export interface IpamRequest {
  readonly network: string;
  readonly containerId: string;
  readonly ifName: string;
  /** CNI_ARGS `IP=a.b.c.d` asks for one address (host-local's convention). */
  readonly requestedIp?: string;
}

function storeFor(conf: LocalIpamConfig, network: string, opts?: IpamStoreOptions): IpamStore {
  return new IpamStore(conf.dataDir, network, opts);
}

/** Allocates one address; the abbreviated IPAM result (no interfaces, no interface index). */
export async function ipamAdd(conf: LocalIpamConfig, req: IpamRequest, opts?: IpamStoreOptions): Promise<CniResult> {
  let requested: number | undefined;
  if (req.requestedIp !== undefined) {
    requested = parseIpv4(req.requestedIp);
    if (requested === undefined) throw new CniError(ERR_INVALID_ENV, `CNI_ARGS: IP=${req.requestedIp} is not an IPv4 address`);
  }
  const picked = await storeFor(conf, req.network, opts).withLock(async (tx) => {
    const [{ taken, lastReserved }, held] = await Promise.all([tx.index(), tx.held(req.containerId, req.ifName)]);
    const p = allocate(conf.ranges, taken, held, req, {
      ...(lastReserved !== undefined ? { lastReserved } : {}),
      ...(requested !== undefined ? { requested } : {}),
    });
    await tx.reserve({ ip: p.ip, containerId: req.containerId, ifName: req.ifName });
    await tx.setLastReserved(p.ip);
    return p;
  });
  return {
    ips: [{ address: formatCidr({ address: picked.ip, prefix: picked.range.subnet.prefix }), gateway: formatIpv4(picked.range.gateway) }],
    routes: conf.routes.map((r) => ({ ...r })),
  };
}

/** Releases whatever the attachment holds; nothing held is success (DEL is idempotent). */
export async function ipamDel(conf: LocalIpamConfig, req: IpamRequest, opts?: IpamStoreOptions): Promise<Allocation[]> {
  return storeFor(conf, req.network, opts).withLock(async (tx) => {
    const indexed = await tx.held(req.containerId, req.ifName);
    // The owner file is the fast path; without it (a store written by an older
    // version, or an interrupted write) fall back to reading every reservation.
    const mine =
      indexed.length > 0
        ? indexed.map((ip) => ({ ip, containerId: req.containerId, ifName: req.ifName }))
        : findAllocations((await tx.read()).allocations, req.containerId, req.ifName);
    for (const a of mine) await tx.release(a);
    return mine;
  });
}

/** CHECK: the attachment still holds the address(es) `expected` lists. */
export async function ipamCheck(conf: LocalIpamConfig, req: IpamRequest, expected: CniResult | undefined, opts?: IpamStoreOptions): Promise<void> {
  const mine = await storeFor(conf, req.network, opts).withLock(async (tx) =>
    findAllocations((await tx.read()).allocations, req.containerId, req.ifName),
  );
  if (mine.length === 0) {
    throw new CniError(ERR_CHECK_FAILED, `IPAM holds no address for container ${req.containerId} interface ${req.ifName}`);
  }
  const held = new Set(mine.map((a) => a.ip));
  for (const ip of expected?.ips ?? []) {
    const c = parseCidr(ip.address);
    if (c && !held.has(c.address)) {
      throw new CniError(
        ERR_CHECK_FAILED,
        `IPAM: ${ip.address} from prevResult is not reserved for container ${req.containerId} interface ${req.ifName}`,
        `reserved: ${mine.map((a) => formatIpv4(a.ip)).join(', ')}`,
      );
    }
  }
}

/** GC: releases every allocation whose attachment is not listed as valid. Returns what it released. */
export async function ipamGc(conf: LocalIpamConfig, network: string, valid: readonly Attachment[], opts?: IpamStoreOptions): Promise<Allocation[]> {
  return storeFor(conf, network, opts).withLock(async (tx) => {
    const stale = staleAllocations((await tx.read()).allocations, valid);
    for (const a of stale) await tx.release(a);
    return stale;
  });
}

/** STATUS: ready unless every address is taken (the spec's code 50). */
export async function ipamStatus(conf: LocalIpamConfig, network: string, opts?: IpamStoreOptions): Promise<void> {
  const used = await storeFor(conf, network, opts).withLock(async (tx) => (await tx.read()).allocations.length);
  const usable = countUsable(conf.ranges);
  if (used >= usable) {
    throw new CniError(ERR_NOT_AVAILABLE, `IPAM: all ${usable} addresses of network ${network} are allocated`);
  }
}

/**
 * Decodes GC's `cni.dev/valid-attachments`. An empty list means nothing is
 * valid; a missing key is refused, since reading it as empty would release
 * every address on the node.
 */
export function parseValidAttachments(config: Record<string, unknown>): Attachment[] {
  const v = config['cni.dev/valid-attachments'];
  if (v === undefined || v === null) {
    throw new CniError(ERR_INVALID_CONFIG, 'cni.dev/valid-attachments: missing; GC needs the list of attachments to keep');
  }
  if (!Array.isArray(v)) throw new CniError(ERR_INVALID_CONFIG, 'cni.dev/valid-attachments: must be a list');
  return v.map((a: unknown, i): Attachment => {
    if (typeof a !== 'object' || a === null) throw new CniError(ERR_INVALID_CONFIG, `cni.dev/valid-attachments[${i}]: must be an object`);
    const { containerID, ifname } = a as Record<string, unknown>;
    if (typeof containerID !== 'string' || typeof ifname !== 'string') {
      throw new CniError(ERR_INVALID_CONFIG, `cni.dev/valid-attachments[${i}]: needs string "containerID" and "ifname"`);
    }
    return { containerID, ifname };
  });
}
