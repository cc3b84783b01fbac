// A Service reduced, port by port, to what the proxy programs (kube-proxy's
// serviceport.go). This is the only module that reads `svc.spec`; everything
// downstream sees read-only ServicePortInfo values, which compare cheaply, so
// the change tracker can tell a real change from a resync.
import type { Protocol, Service } from '../kube/api/core.js';
import { isIPv4, parseIPv4Cidr } from './proxy-config.js';

/** `namespace/name:port`, or `namespace/name` when the port has no name (kube-proxy's ServicePortName.String()). */
export type ServicePortName = string;

export function servicePortName(namespace: string, name: string, port?: string): ServicePortName {
  return port ? `${namespace}/${name}:${port}` : `${namespace}/${name}`;
}

/** The `namespace/name` a ServicePortName belongs to. */
export function serviceKeyOf(spn: ServicePortName): string {
  const slash = spn.indexOf('/');
  const colon = spn.indexOf(':', slash + 1);
  return colon < 0 ? spn : spn.slice(0, colon);
}

export interface ServicePortInfo {
  readonly name: ServicePortName;
  readonly clusterIP: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** 0 when the Service has no NodePort. */
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  /** status.loadBalancer.ingress[].ip (IPv4 only). */
  readonly loadBalancerIPs: readonly string[];
  readonly loadBalancerSourceRanges: readonly string[];
  readonly sessionAffinity: 'None' | 'ClientIP';
  /** The ClientIP affinity timeout (0 without affinity; 10800 is the API default). */
  readonly stickyMaxAgeSeconds: number;
  /** externalTrafficPolicy: Local on an externally reachable Service. */
  readonly externalPolicyLocal: boolean;
  /** internalTrafficPolicy: Local. */
  readonly internalPolicyLocal: boolean;
  /** 0 unless a LoadBalancer Service with externalTrafficPolicy: Local. */
  readonly healthCheckNodePort: number;
}

const DEFAULT_STICKY_MAX_AGE_SECONDS = 10800;

/**
 * The ServicePortInfo of every port of `svc` this (IPv4) proxy serves.
 * Headless (clusterIP None or empty) and ExternalName Services give none.
 */
export function toServicePorts(svc: Service): ServicePortInfo[] {
  const spec = svc.spec;
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name;
  if (!spec || !name || spec.type === 'ExternalName') return [];
  const clusterIP = spec.clusterIP ?? spec.clusterIPs?.[0] ?? '';
  if (clusterIP === '' || clusterIP === 'None' || !isIPv4(clusterIP)) return [];

  const type = spec.type ?? 'ClusterIP';
  const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
  // apiservice.ExternallyAccessible: NodePort, LoadBalancer, or a ClusterIP with external IPs.
  const externallyAccessible =
    type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && externalIPs.length > 0);
  const externalPolicyLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
  const internalPolicyLocal = spec.internalTrafficPolicy === 'Local';
  const sessionAffinity = spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None';
  const stickyMaxAgeSeconds =
    sessionAffinity === 'ClientIP'
      ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_STICKY_MAX_AGE_SECONDS
      : 0;
  const loadBalancerIPs: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip && isIPv4(ing.ip)) loadBalancerIPs.push(ing.ip);
  }
  // The API has accepted padded ranges in the past; kube-proxy trims them too.
  const loadBalancerSourceRanges = (spec.loadBalancerSourceRanges ?? [])
    .map((r) => r.trim())
    .filter((r) => parseIPv4Cidr(r) !== undefined && r.includes('/'));
  const healthCheckNodePort =
    type === 'LoadBalancer' && externalPolicyLocal ? spec.healthCheckNodePort ?? 0 : 0;
  const hasNodePorts = type === 'NodePort' || type === 'LoadBalancer';

  const out: ServicePortInfo[] = [];
  for (const p of spec.ports ?? []) {
    if (!Number.isInteger(p.port) || p.port <= 0 || p.port > 65535) continue;
    out.push({
      name: servicePortName(namespace, name, p.name),
      clusterIP,
      port: p.port,
      protocol: p.protocol ?? 'TCP',
      nodePort: hasNodePorts ? p.nodePort ?? 0 : 0,
      externalIPs,
      loadBalancerIPs,
      loadBalancerSourceRanges,
      sessionAffinity,
      stickyMaxAgeSeconds,
      externalPolicyLocal,
      internalPolicyLocal,
      healthCheckNodePort,
    });
  }
  return out;
}

/** Whether traffic can reach the port from outside the cluster (NodePort, ExternalIP, LoadBalancer IP). */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

/** Cluster-wide endpoints are needed unless all traffic is internal and policy Local. */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

/** Node-local endpoints are needed for internal policy Local, or external policy Local on a reachable port. */
export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp));
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function servicePortInfoEqual(a: ServicePortInfo, b: ServicePortInfo): boolean {
  return (
    a === b ||
    (a.name === b.name &&
      a.clusterIP === b.clusterIP &&
      a.port === b.port &&
      a.protocol === b.protocol &&
      a.nodePort === b.nodePort &&
      a.sessionAffinity === b.sessionAffinity &&
      a.stickyMaxAgeSeconds === b.stickyMaxAgeSeconds &&
      a.externalPolicyLocal === b.externalPolicyLocal &&
      a.internalPolicyLocal === b.internalPolicyLocal &&
      a.healthCheckNodePort === b.healthCheckNodePort &&
      sameStrings(a.externalIPs, b.externalIPs) &&
      sameStrings(a.loadBalancerIPs, b.loadBalancerIPs) &&
      sameStrings(a.loadBalancerSourceRanges, b.loadBalancerSourceRanges))
  );
}

export function servicePortListsEqual(a: readonly ServicePortInfo[], b: readonly ServicePortInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!servicePortInfoEqual(a[i]!, b[i]!)) return false;
  return true;
}
