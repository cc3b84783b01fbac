// Slimmed API objects for the cluster DNS (CoreDNS `object/` style): each
// Service, EndpointSlice, Pod and Namespace is reduced once, on the way in, to
// the few fields DNS answers depend on. Nothing downstream reads the API shapes.
import type { EndpointSlice, Namespace, Pod, Service } from '../kube/api/core.js';
import { canonicalIp } from './parse-qname.js';

export interface DnsPort {
  /** Port name, lowercased ('' for an unnamed port). */
  readonly name: string;
  /** Lowercased protocol: tcp, udp or sctp. */
  readonly protocol: string;
  readonly port: number;
}

export interface DnsService {
  readonly name: string;
  readonly namespace: string;
  /** `clusterIP: None` makes a Service headless; ExternalName has no ClusterIP. */
  readonly kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  /** Canonical ClusterIPs (v4 and/or v6); empty for headless and ExternalName. */
  readonly clusterIPs: readonly string[];
  /** Lowercased, without a trailing dot; '' unless kind is ExternalName. */
  readonly externalName: string;
  readonly ports: readonly DnsPort[];
  readonly publishNotReadyAddresses: boolean;
}

export interface DnsEndpoint {
  /** Canonical addresses of this endpoint. */
  readonly addresses: readonly string[];
  /** Lowercased `hostname` from the slice, or ''. */
  readonly hostname: string;
  readonly ready: boolean;
}

export interface DnsEndpoints {
  /** The EndpointSlice's own name (several slices may belong to one Service). */
  readonly sliceName: string;
  readonly namespace: string;
  /** From the `kubernetes.io/service-name` label; '' when the slice has none. */
  readonly serviceName: string;
  readonly endpoints: readonly DnsEndpoint[];
  readonly ports: readonly DnsPort[];
}

export interface DnsPod {
  readonly name: string;
  readonly namespace: string;
  readonly ips: readonly string[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function toDnsPort(p: { name?: string; protocol?: string; port?: number }): DnsPort | undefined {
  if (p.port === undefined || !Number.isInteger(p.port) || p.port < 0 || p.port > 65535) return undefined;
  return { name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port };
}

function definedOnly<T>(xs: (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined);
}

export function toDnsService(svc: Service): DnsService {
  const spec = svc.spec ?? {};
  const name = (svc.metadata.name ?? '').toLowerCase();
  const namespace = (svc.metadata.namespace ?? 'default').toLowerCase();
  const ports = definedOnly((spec.ports ?? []).map(toDnsPort));
  const publishNotReadyAddresses = spec.publishNotReadyAddresses === true;
  if (spec.type === 'ExternalName') {
    const externalName = (spec.externalName ?? '').toLowerCase().replace(/\.$/, '');
    return { name, namespace, kind: 'ExternalName', clusterIPs: [], externalName, ports, publishNotReadyAddresses };
  }
  const raw = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  if (raw[0] === 'None') {
    return { name, namespace, kind: 'Headless', clusterIPs: [], externalName: '', ports, publishNotReadyAddresses };
  }
  const clusterIPs = definedOnly(raw.map(canonicalIp));
  return { name, namespace, kind: 'ClusterIP', clusterIPs, externalName: '', ports, publishNotReadyAddresses };
}

export function toDnsEndpoints(slice: EndpointSlice): DnsEndpoints {
  const namespace = (slice.metadata.namespace ?? 'default').toLowerCase();
  const sliceName = slice.metadata.name ?? '';
  const serviceName = (slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? '').toLowerCase();
  // FQDN slices carry names, not addresses; DNS has nothing to publish from them.
  const endpoints: DnsEndpoint[] =
    slice.addressType === 'FQDN'
      ? []
      : (slice.endpoints ?? []).map((e) => ({
          addresses: definedOnly(e.addresses.map(canonicalIp)),
          hostname: (e.hostname ?? '').toLowerCase(),
          // An absent condition means ready (discovery.k8s.io/v1 semantics).
          ready: e.conditions?.ready !== false,
        }));
  const ports = definedOnly((slice.ports ?? []).map(toDnsPort));
  return { sliceName, namespace, serviceName, endpoints, ports };
}

export function toDnsPod(pod: Pod): DnsPod {
  const ips = pod.status?.podIPs?.length
    ? pod.status.podIPs.map((p) => p.ip)
    : pod.status?.podIP
      ? [pod.status.podIP]
      : [];
  return {
    name: pod.metadata.name ?? '',
    namespace: (pod.metadata.namespace ?? 'default').toLowerCase(),
    ips: definedOnly(ips.map(canonicalIp)),
  };
}

export function toDnsNamespace(ns: Namespace): string {
  return (ns.metadata.name ?? '').toLowerCase();
}
