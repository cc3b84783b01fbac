// One EndpointSlice reduced to the endpoints the proxy can route to, grouped by
// ServicePortName (kube-proxy's endpointslicecache.go, per slice). Whether an
// endpoint is local is decided at render time from its nodeName, so the same
// values serve every node.
import type { EndpointSlice } from '../kube/api/core.js';
import { isIPv4 } from './proxy-config.js';
import { servicePortName, type ServicePortName } from './service-port.js';

export interface EndpointInfo {
  readonly ip: string;
  readonly port: number;
  /** `ip:port`, the DNAT target and part of the KUBE-SEP chain hash. */
  readonly endpoint: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName?: string;
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** `namespace/name` of the Service a slice belongs to, or undefined for a slice without the label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!svc) return undefined;
  return `${slice.metadata.namespace ?? 'default'}/${svc}`;
}

/**
 * The endpoints of one slice, per ServicePortName, in a stable order (by
 * `ip:port`), without duplicates (a ready copy wins). IPv6 and FQDN slices,
 * ports without a number and endpoints without an address give nothing.
 */
export function toEndpoints(slice: EndpointSlice): Map<ServicePortName, EndpointInfo[]> {
  const out = new Map<ServicePortName, EndpointInfo[]>();
  const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!svc || slice.addressType !== 'IPv4') return out;
  const namespace = slice.metadata.namespace ?? 'default';
  for (const p of slice.ports ?? []) {
    if (p.port === undefined || !Number.isInteger(p.port) || p.port <= 0 || p.port > 65535) continue;
    const spn = servicePortName(namespace, svc, p.name);
    const list = out.get(spn) ?? [];
    for (const ep of slice.endpoints ?? []) {
      // Like kube-proxy, only the first address of an endpoint is used.
      const ip = ep.addresses?.[0];
      if (!ip || !isIPv4(ip)) continue;
      const c = ep.conditions ?? {};
      const info: EndpointInfo = {
        ip,
        port: p.port,
        endpoint: `${ip}:${p.port}`,
        // Unset conditions mean ready and serving (discovery/v1 semantics).
        ready: c.ready ?? true,
        serving: c.serving ?? true,
        terminating: c.terminating ?? false,
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
      };
      list.push(info);
    }
    out.set(spn, list);
  }
  for (const [spn, list] of out) out.set(spn, sortAndDedupe(list));
  return out;
}

/** Sorted by `ip:port`, one entry per `ip:port`, preferring a ready copy. */
export function sortAndDedupe(list: readonly EndpointInfo[]): EndpointInfo[] {
  const byEndpoint = new Map<string, EndpointInfo>();
  for (const info of list) {
    const seen = byEndpoint.get(info.endpoint);
    if (!seen || (!seen.ready && info.ready)) byEndpoint.set(info.endpoint, info);
  }
  return [...byEndpoint.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
}

export function endpointInfoEqual(a: EndpointInfo, b: EndpointInfo): boolean {
  return (
    a === b ||
    (a.endpoint === b.endpoint &&
      a.ready === b.ready &&
      a.serving === b.serving &&
      a.terminating === b.terminating &&
      a.nodeName === b.nodeName)
  );
}

export function endpointListsEqual(a: readonly EndpointInfo[], b: readonly EndpointInfo[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!endpointInfoEqual(a[i]!, b[i]!)) return false;
  return true;
}

export function endpointMapsEqual(
  a: ReadonlyMap<ServicePortName, readonly EndpointInfo[]>,
  b: ReadonlyMap<ServicePortName, readonly EndpointInfo[]>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !endpointListsEqual(v, w)) return false;
  }
  return true;
}
