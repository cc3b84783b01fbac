// Results on the wire: encoding our (1.1.0-shaped) result in the version the
// caller asked for, and decoding a prevResult handed to us by a runtime.
import { CniError, ERR_DECODE } from './cni-error.js';
import type { CniDns, CniInterface, CniIpConfig, CniResult, CniRoute } from './types.js';
import { compareVersions } from './version.js';

/** The JSON object printed for a successful ADD at spec version `cniVersion`. */
export function encodeResult(r: CniResult, cniVersion: string): Record<string, unknown> {
  const pre100 = compareVersions(cniVersion, '1.0.0') < 0;
  const pre110 = compareVersions(cniVersion, '1.1.0') < 0;
  const out: Record<string, unknown> = { cniVersion };
  if (r.interfaces) {
    out.interfaces = r.interfaces.map((i) => {
      const o: Record<string, unknown> = { name: i.name };
      if (i.mac !== undefined) o.mac = i.mac;
      // Interface MTU entered the result in 1.1.0.
      if (i.mtu !== undefined && !pre110) o.mtu = i.mtu;
      if (i.sandbox !== undefined) o.sandbox = i.sandbox;
      return o;
    });
  }
  if (r.ips) {
    out.ips = r.ips.map((ip) => {
      // 0.3.x and 0.4.0 name the family in every entry; 1.0.0 dropped it.
      const o: Record<string, unknown> = pre100 ? { version: ip.address.includes(':') ? '6' : '4' } : {};
      o.address = ip.address;
      if (ip.gateway !== undefined) o.gateway = ip.gateway;
      if (ip.interface !== undefined) o.interface = ip.interface;
      return o;
    });
  }
  if (r.routes) {
    out.routes = r.routes.map((rt) => {
      if (!pre110) return { ...rt };
      const o: Record<string, unknown> = { dst: rt.dst };
      if (rt.gw !== undefined) o.gw = rt.gw;
      return o;
    });
  }
  if (r.dns && Object.keys(r.dns).length > 0) out.dns = { ...r.dns };
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CniError(ERR_DECODE, `${where}.${key}: must be a string`);
  return v;
}

function optUint(o: Record<string, unknown>, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new CniError(ERR_DECODE, `${where}.${key}: must be a non-negative integer`);
  }
  return v;
}

function optStrings(o: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new CniError(ERR_DECODE, `${where}.${key}: must be a list of strings`);
  }
  return v as string[];
}

function list(o: Record<string, unknown>, key: string, where: string): Record<string, unknown>[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isObject)) throw new CniError(ERR_DECODE, `${where}.${key}: must be a list of objects`);
  return v;
}

function required(v: string | undefined, what: string): string {
  if (v === undefined) throw new CniError(ERR_DECODE, `${what}: missing`);
  return v;
}

/** Decodes a prevResult of any supported version into our shape. */
export function decodeResult(v: unknown, where = 'prevResult'): CniResult {
  if (!isObject(v)) throw new CniError(ERR_DECODE, `${where}: must be an object`);
  const r: CniResult = {};
  if (v.interfaces !== undefined) {
    r.interfaces = list(v, 'interfaces', where).map((i, n): CniInterface => {
      const w = `${where}.interfaces[${n}]`;
      const out: CniInterface = { name: required(optString(i, 'name', w), `${w}.name`) };
      const mac = optString(i, 'mac', w);
      const mtu = optUint(i, 'mtu', w);
      const sandbox = optString(i, 'sandbox', w);
      if (mac !== undefined) out.mac = mac;
      if (mtu !== undefined) out.mtu = mtu;
      if (sandbox !== undefined && sandbox !== '') out.sandbox = sandbox;
      return out;
    });
  }
  if (v.ips !== undefined) {
    r.ips = list(v, 'ips', where).map((ip, n): CniIpConfig => {
      const w = `${where}.ips[${n}]`;
      const out: CniIpConfig = { address: required(optString(ip, 'address', w), `${w}.address`) };
      const gateway = optString(ip, 'gateway', w);
      const iface = optUint(ip, 'interface', w);
      if (gateway !== undefined) out.gateway = gateway;
      if (iface !== undefined) out.interface = iface;
      return out;
    });
  }
  if (v.routes !== undefined) {
    r.routes = list(v, 'routes', where).map((rt, n): CniRoute => {
      const w = `${where}.routes[${n}]`;
      const out: CniRoute = { dst: required(optString(rt, 'dst', w), `${w}.dst`) };
      const gw = optString(rt, 'gw', w);
      if (gw !== undefined) out.gw = gw;
      for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
        const n2 = optUint(rt, k, w);
        if (n2 !== undefined) out[k] = n2;
      }
      return out;
    });
  }
  if (v.dns !== undefined) {
    if (!isObject(v.dns)) throw new CniError(ERR_DECODE, `${where}.dns: must be an object`);
    r.dns = decodeDns(v.dns, `${where}.dns`);
  }
  return r;
}

export function decodeDns(d: Record<string, unknown>, where: string): CniDns {
  const out: CniDns = {};
  const nameservers = optStrings(d, 'nameservers', where);
  const domain = optString(d, 'domain', where);
  const search = optStrings(d, 'search', where);
  const options = optStrings(d, 'options', where);
  if (nameservers) out.nameservers = nameservers;
  if (domain !== undefined) out.domain = domain;
  if (search) out.search = search;
  if (options) out.options = options;
  return out;
}
