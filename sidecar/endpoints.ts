// EndpointSlices → the set of upstreams the sidecar balances over, for one
// Service port. This is the sidecar's EDS: like Envoy's Kubernetes-fed
// clusters (Istio) and Linkerd's destination service, it reads the slices of
// the Service (label kubernetes.io/service-name) and keeps only ready
// endpoints. Slices carry target ports, named after the Service port, so a
// Service port given by number is first mapped to its name through the
// Service object.
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { parseIpv4 } from '../kube/ipv4.js';

export interface Upstream {
  readonly ip: string;
  readonly port: number;
  /** `ip:port`: the key for stats, ejection and the x-lb-upstream header. */
  readonly address: string;
}

/** `--port`: a Service port name, or a Service port number. */
export type PortSelector = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'number'; readonly port: number };

export function parsePortSelector(s: string): PortSelector {
  if (/^\d+$/.test(s)) {
    const port = Number(s);
    if (port < 1 || port > 65535) throw new Error(`--port ${s}: not a port number (1-65535)`);
    return { kind: 'number', port };
  }
  if (s === '' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s)) throw new Error(`--port ${JSON.stringify(s)}: not a port name or number`);
  return { kind: 'name', name: s };
}

export function formatPortSelector(p: PortSelector): string {
  return p.kind === 'name' ? p.name : String(p.port);
}

/**
 * The EndpointSlice port name that carries `sel`: a name is used as is (slices
 * copy the Service port's name); a number is looked up among the Service's
 * ports, whose name (or '' for a single unnamed port) the slices use.
 * Undefined when the Service is unknown or has no such port.
 */
export function slicePortName(sel: PortSelector, service: Service | undefined): string | undefined {
  if (sel.kind === 'name') return sel.name;
  const p = service?.spec?.ports?.find((sp) => sp.port === sel.port && (sp.protocol ?? 'TCP') === 'TCP');
  return p ? (p.name ?? '') : undefined;
}

/**
 * The ready IPv4 endpoints of the slices for the slice port `portName`,
 * sorted by address, without duplicates (an endpoint may sit in two slices
 * while the controller moves it). Unset `ready` means ready (discovery/v1).
 * Terminating endpoints are dropped even when serving: kube-proxy falls back
 * to them when nothing is ready, Envoy (via Istio) drains them; we drain.
 */
export function readyUpstreams(slices: Iterable<EndpointSlice>, portName: string): Upstream[] {
  const byAddress = new Map<string, Upstream>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP')?.port;
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false || ep.conditions?.terminating === true) continue;
      // As kube-proxy does, only the first address of an endpoint is used.
      const ip = ep.addresses?.[0];
      if (!ip || parseIpv4(ip) === undefined) continue;
      const address = `${ip}:${port}`;
      byAddress.set(address, { ip, port, address });
    }
  }
  return [...byAddress.values()].sort(compareUpstreams);
}

/** By IP numerically, then port: 127.0.0.10 sorts after 127.0.0.9. */
function compareUpstreams(a: Upstream, b: Upstream): number {
  return (parseIpv4(a.ip) ?? 0) - (parseIpv4(b.ip) ?? 0) || a.port - b.port;
}

export function sameUpstreams(a: readonly Upstream[], b: readonly Upstream[]): boolean {
  return a.length === b.length && a.every((u, i) => u.address === b[i]!.address);
}

/** One log line's worth: "127.0.0.2:8080 127.0.0.3:8080 (+127.0.0.3:8080)". */
export function describeChange(before: readonly Upstream[], after: readonly Upstream[]): string {
  const was = new Set(before.map((u) => u.address));
  const now = new Set(after.map((u) => u.address));
  const added = [...now].filter((a) => !was.has(a)).map((a) => `+${a}`);
  const removed = [...was].filter((a) => !now.has(a)).map((a) => `-${a}`);
  const list = after.length ? after.map((u) => u.address).join(' ') : '(none)';
  const delta = [...added, ...removed];
  return delta.length ? `${list} (${delta.join(' ')})` : list;
}
