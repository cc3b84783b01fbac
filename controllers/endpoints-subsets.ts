// The Endpoints controller's decision, as pure functions: the core/v1
// Endpoints object (the older API some clients still read) a Service should
// have, given the pods it selects. Every (address, port) pair is collected and
// then repacked, as Kubernetes' RepackSubsets does: addresses that serve the
// same set of ports share one subset, so a Service whose pods all resolve the
// same ports has exactly one subset.
import type { EndpointAddress, EndpointSubset, Endpoints, Pod, Service } from '../kube/api/core.js';
import {
  isPodReadyCondition,
  podHostnameFor,
  portSetKey,
  resolvePodPorts,
  shouldPodBeInEndpoints,
  type ResolvedPort,
} from './endpoints-pod.js';
import { HEADLESS_LABEL, TRIGGER_TIME_ANNOTATION } from './endpointslice-reconcile.js';

/** Set on the Endpoints this controller writes, so it deletes only its own (Kubernetes 1.33 does the same). */
export const ENDPOINTS_MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';
export const ENDPOINTS_CONTROLLER_NAME = 'endpoint-controller';
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** Kubernetes truncates an Endpoints object beyond this many addresses. */
export const MAX_ENDPOINTS_ADDRESSES = 1000;

type Port = NonNullable<EndpointSubset['ports']>[number];

function addressFor(svc: Service, pod: Pod): EndpointAddress {
  const a: EndpointAddress = { ip: pod.status?.podIP ?? '' };
  const hostname = podHostnameFor(svc, pod);
  if (hostname) a.hostname = hostname;
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  a.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' };
  if (pod.metadata.uid) a.targetRef.uid = pod.metadata.uid;
  return a;
}

interface Entry {
  address: EndpointAddress;
  ready: boolean;
  ports: ResolvedPort[];
}

/**
 * Merge per-address port lists into subsets: one subset per distinct port
 * set (ready and not-ready addresses of that set together), addresses
 * sorted by IP, subsets sorted by their ports, so equal inputs give equal output.
 */
export function repackSubsets(entries: readonly Entry[]): EndpointSubset[] {
  const groups = new Map<string, { ports: Port[]; ready: Map<string, EndpointAddress>; notReady: Map<string, EndpointAddress> }>();
  for (const e of entries) {
    const ports: Port[] = e.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: sortPorts(ports), ready: new Map(), notReady: new Map() }));
    // An address ready under one pod wins over the same address not ready under another.
    if (e.ready) {
      g.notReady.delete(e.address.ip);
      g.ready.set(e.address.ip, e.address);
    } else if (!g.ready.has(e.address.ip)) {
      g.notReady.set(e.address.ip, e.address);
    }
  }
  const out: EndpointSubset[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const subset: EndpointSubset = {};
    if (g.ready.size > 0) subset.addresses = sortAddresses([...g.ready.values()]);
    if (g.notReady.size > 0) subset.notReadyAddresses = sortAddresses([...g.notReady.values()]);
    if (g.ports.length > 0) subset.ports = g.ports;
    out.push(subset);
  }
  return out;
}

function sortAddresses(a: EndpointAddress[]): EndpointAddress[] {
  return a.sort((x, y) => compareIPs(x.ip, y.ip));
}

function sortPorts(p: Port[]): Port[] {
  return [...p].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a.localeCompare(b);
}

/** The subsets a Service's Endpoints should hold, and whether they were truncated to MAX_ENDPOINTS_ADDRESSES. */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const hasPorts = (svc.spec?.ports ?? []).length > 0;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ready = publishNotReady || isPodReadyCondition(pod);
    const ports = resolvePodPorts(svc, pod);
    // A pod that resolves none of the Service's ports serves nothing; only a portless (headless) Service lists bare addresses.
    if (hasPorts && ports.length === 0) continue;
    entries.push({ address: addressFor(svc, pod), ready, ports });
  }
  return truncate(repackSubsets(entries));
}

/** Keep at most MAX_ENDPOINTS_ADDRESSES addresses, ready ones first. */
function truncate(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_ENDPOINTS_ADDRESSES) return { subsets, truncated: false };
  let budget = MAX_ENDPOINTS_ADDRESSES;
  const out = subsets.map((s) => ({ ...s }));
  for (const field of ['addresses', 'notReadyAddresses'] as const) {
    for (const s of out) {
      const list = s[field];
      if (!list) continue;
      const kept = list.slice(0, Math.max(0, budget));
      budget -= kept.length;
      if (kept.length > 0) s[field] = kept;
      else delete s[field];
    }
  }
  return { subsets: out.filter((s) => s.addresses || s.notReadyAddresses), truncated: true };
}

export function endpointsLabelsFor(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  labels[ENDPOINTS_MANAGED_BY_LABEL] = ENDPOINTS_CONTROLLER_NAME;
  return labels;
}

/** A canonical text of subsets (key order, sorted lists), so API read-backs compare equal to what we built. */
export function canonicalSubsets(subsets: readonly EndpointSubset[] | undefined): string {
  const addr = (a: EndpointAddress) => [a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef?.kind ?? '', a.targetRef?.namespace ?? '', a.targetRef?.name ?? '', a.targetRef?.uid ?? ''];
  const norm = (subsets ?? []).map((s) => ({
    a: (s.addresses ?? []).map(addr).sort(),
    n: (s.notReadyAddresses ?? []).map(addr).sort(),
    p: portSetKey(s.ports ?? []),
  }));
  return JSON.stringify(norm.sort((x, y) => x.p.localeCompare(y.p) || JSON.stringify(x).localeCompare(JSON.stringify(y))));
}

export type EndpointsAction = { action: 'none' } | { action: 'create' | 'update'; object: Endpoints };

/**
 * What to write for `svc`'s Endpoints given the current object (undefined if
 * none). Only a change of addresses, ports or labels causes a write; the
 * trigger time rides along with a write but never causes one.
 */
export function reconcileEndpoints(
  svc: Service,
  pods: readonly Pod[],
  current: Endpoints | undefined,
  opts: { triggerTime?: string } = {},
): EndpointsAction {
  const { subsets, truncated } = desiredSubsets(svc, pods);
  const labels = endpointsLabelsFor(svc);
  const curLabels = current?.metadata.labels ?? {};
  const sameLabels = Object.keys(curLabels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => curLabels[k] === v);
  const wasTruncated = current?.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated';
  if (current && sameLabels && wasTruncated === truncated && canonicalSubsets(current.subsets) === canonicalSubsets(subsets)) {
    return { action: 'none' };
  }
  const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
  if (opts.triggerTime) annotations[TRIGGER_TIME_ANNOTATION] = opts.triggerTime;
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const object: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { ...(current?.metadata ?? {}), name: svc.metadata.name ?? '', namespace: svc.metadata.namespace ?? '', labels },
    subsets,
  };
  if (Object.keys(annotations).length > 0) object.metadata.annotations = annotations;
  else delete object.metadata.annotations;
  return { action: current ? 'update' : 'create', object };
}
