// kube-proxy's per-service chain names, bit for bit: prefix + the first 16
// characters of base32(sha256(servicePortName + protocol [+ "ip:port"])), so
// the same grep finds the same Service on a kube-proxy node and a netkube node.
// Hashing is the costliest step of a large render, so names are memoised.
import * as crypto from 'node:crypto';
import type { ServicePortName } from './service-port.js';

export const KUBE_SVC_PREFIX = 'KUBE-SVC-';
export const KUBE_SVL_PREFIX = 'KUBE-SVL-';
export const KUBE_EXT_PREFIX = 'KUBE-EXT-';
export const KUBE_FW_PREFIX = 'KUBE-FW-';
export const KUBE_SEP_PREFIX = 'KUBE-SEP-';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// The one-shot crypto.hash (Node >= 20.12) is several times faster than
// createHash for short inputs, which matters at 100,000 endpoint chains.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
const sha256Hex: (input: string) => string = oneShot
  ? (input) => oneShot('sha256', input, 'hex')
  : (input) => crypto.createHash('sha256').update(input).digest('hex');

// Hex digit value by character code ('0'-'9', 'a'-'f').
const HEX_VALUE = new Int8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = 10 + i;

/** The first 16 characters of the standard (RFC 4648, upper case) base32 encoding of sha256(input). */
export function hash16(input: string): string {
  const hex = sha256Hex(input);
  // 16 base32 characters are the first 80 bits = 20 hex digits; emit 5 bits whenever 5 are buffered.
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 20; i++) {
    acc = (acc << 4) | HEX_VALUE[hex.charCodeAt(i)]!;
    bits += 4;
    if (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >>> bits) & 31]!;
    }
  }
  return out;
}

// Bounded so a long-running proxy with churning endpoints does not grow without limit.
const MAX_CACHED = 1 << 20;
const cache = new Map<string, string>();

function cachedHash(input: string): string {
  let h = cache.get(input);
  if (h === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    h = hash16(input);
    cache.set(input, h);
  }
  return h;
}

/** `protocol` is lower case, as kube-proxy hashes it ("tcp", "udp", "sctp"). */
export function portProtoHash(spn: ServicePortName, protocol: string): string {
  return cachedHash(spn + protocol);
}

export function servicePortChainName(spn: ServicePortName, protocol: string): string {
  return KUBE_SVC_PREFIX + portProtoHash(spn, protocol);
}

export function serviceLocalChainName(spn: ServicePortName, protocol: string): string {
  return KUBE_SVL_PREFIX + portProtoHash(spn, protocol);
}

export function serviceExternalChainName(spn: ServicePortName, protocol: string): string {
  return KUBE_EXT_PREFIX + portProtoHash(spn, protocol);
}

export function serviceFirewallChainName(spn: ServicePortName, protocol: string): string {
  return KUBE_FW_PREFIX + portProtoHash(spn, protocol);
}

/** `endpoint` is "ip:port". */
export function servicePortEndpointChainName(spn: ServicePortName, protocol: string, endpoint: string): string {
  return KUBE_SEP_PREFIX + cachedHash(spn + protocol + endpoint);
}

// Per-endpoint memo keyed by the EndpointInfo object itself: a render asks for
// every endpoint's chain once or twice, and the objects live as long as the
// endpoint is unchanged, so this skips building and hashing a string key.
const endpointCache = new WeakMap<object, { spn: string; protocol: string; name: string }>();

/** servicePortEndpointChainName for an endpoint object (`endpoint` is its "ip:port"), memoised per object. */
export function endpointChainName(spn: ServicePortName, protocol: string, ep: { readonly endpoint: string }): string {
  const hit = endpointCache.get(ep);
  if (hit !== undefined && hit.spn === spn && hit.protocol === protocol) return hit.name;
  const name = KUBE_SEP_PREFIX + hash16(spn + protocol + ep.endpoint);
  endpointCache.set(ep, { spn, protocol, name });
  return name;
}

/** Whether a chain is one of the per-service chains this proxy creates (and may delete when stale). */
export function isServiceChainName(chain: string): boolean {
  return (
    chain.startsWith(KUBE_SVC_PREFIX) ||
    chain.startsWith(KUBE_SVL_PREFIX) ||
    chain.startsWith(KUBE_EXT_PREFIX) ||
    chain.startsWith(KUBE_FW_PREFIX) ||
    chain.startsWith(KUBE_SEP_PREFIX)
  );
}
