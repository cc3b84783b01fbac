// Reading `ip -j` output into the plan's LinkState/RouteState, and reading
// iproute2's error text. Pure: netlink.ts feeds it the bytes.
import type { LinkState, RouteState } from './plan.js';
import { normaliseDst } from './plan.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every JSON array `ip -j` printed (a batch prints one per showing command, one per line). */
export function parseJsonLines(text: string): unknown[] {
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('[')) continue;
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v)) out.push(...(v as unknown[]));
  }
  return out;
}

/** One link object of `ip -j [-d] addr|link show`. */
export function toLinkState(o: unknown): LinkState | undefined {
  if (!isObject(o) || typeof o.ifname !== 'string') return undefined;
  const flags = Array.isArray(o.flags) ? o.flags : [];
  const info = isObject(o.linkinfo) ? o.linkinfo : {};
  const slave = isObject(info.info_slave_data) ? info.info_slave_data : {};
  const addresses = (Array.isArray(o.addr_info) ? o.addr_info : [])
    .filter((a): a is Record<string, unknown> => isObject(a) && a.family === 'inet')
    .map((a) => `${String(a.local)}/${String(a.prefixlen)}`);
  return {
    name: o.ifname,
    ...(typeof info.info_kind === 'string' ? { kind: info.info_kind } : {}),
    ...(typeof o.address === 'string' ? { mac: o.address } : {}),
    mtu: typeof o.mtu === 'number' ? o.mtu : 0,
    up: flags.includes('UP'),
    ...(typeof o.master === 'string' ? { master: o.master } : {}),
    ...(typeof o.ifalias === 'string' ? { alias: o.ifalias } : {}),
    ...(typeof slave.hairpin === 'boolean' ? { hairpin: slave.hairpin } : {}),
    addresses,
  };
}

export function parseLinks(text: string): LinkState[] {
  return parseJsonLines(text).flatMap((o) => toLinkState(o) ?? []);
}

export function parseRoutes(text: string): RouteState[] {
  return parseJsonLines(text).flatMap((o): RouteState[] => {
    if (!isObject(o) || typeof o.dst !== 'string') return [];
    return [{
      dst: normaliseDst(o.dst),
      ...(typeof o.gateway === 'string' ? { gateway: o.gateway } : {}),
      ...(typeof o.dev === 'string' ? { dev: o.dev } : {}),
    }];
  });
}

/** iproute2's wording when the named device is absent (differs by subcommand). */
export function isNoSuchDevice(stderr: string): boolean {
  return /Cannot find device|does not exist|No such device/.test(stderr);
}

export function isFileExists(stderr: string): boolean {
  return /File exists/.test(stderr);
}

/** The 1-based line of a failed `ip -batch -`, from "Command failed -:N". */
export function failedBatchLine(stderr: string): number | undefined {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}
