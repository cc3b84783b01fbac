// The EndpointSlice controller's decision, as a pure function: from a
// Service, the pods it selects and the slices this controller already wrote
// for it, the slices to create, update and delete. The behaviour follows
// Kubernetes' endpointslice reconciler: endpoints are grouped by address type
// and resolved port set; an existing slice is rewritten only when one of its
// endpoints (or its labels) changed; new endpoints first fill slices that are
// being rewritten anyway, then go to new slices, and a last partial batch goes
// into an unchanged slice with room rather than a new one; a create paired
// with a delete becomes an update of the deleted slice; a Service with no
// endpoints keeps one empty placeholder slice.
import type { Endpoint, EndpointPort, EndpointSlice, Pod, Service } from '../kube/api/core.js';
import type { OwnerReference } from '../kube/api/meta.js';
import {
  isPodReadyCondition,
  isPodTerminating,
  podHostnameFor,
  portSetKey,
  resolvePodPorts,
  shouldPodBeInEndpoints,
} from './endpoints-pod.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

export type AddressType = 'IPv4' | 'IPv6';

export interface SliceChanges {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export interface ReconcileSliceOptions {
  maxEndpointsPerSlice?: number;
  /** Written as last-change-trigger-time on the slices created or updated. */
  triggerTime?: string;
}

/** True for slices this controller manages (it never touches any other). */
export function isManagedSlice(slice: EndpointSlice): boolean {
  return slice.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME;
}

export function addressTypesFor(svc: Service): AddressType[] {
  const fams = svc.spec?.ipFamilies;
  if (fams && fams.length > 0) return fams.map((f) => (f === 'IPv6' ? 'IPv6' : 'IPv4'));
  const ip = svc.spec?.clusterIP;
  return ip && ip !== 'None' && ip.includes(':') ? ['IPv6'] : ['IPv4'];
}

function podIPOf(pod: Pod, addressType: AddressType): string | undefined {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => ip.includes(':') === (addressType === 'IPv6'));
}

/** The labels a managed slice of `svc` carries: the Service's own, plus the controller's. */
export function sliceLabelsFor(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export function ownerReferenceFor(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The endpoint a pod contributes to slices of `addressType`, or undefined if it has no such address. */
export function endpointForPod(svc: Service, pod: Pod, addressType: AddressType): Endpoint | undefined {
  const ip = podIPOf(pod, addressType);
  if (!ip) return undefined;
  const serving = isPodReadyCondition(pod);
  const terminating = isPodTerminating(pod);
  const ep: Endpoint = {
    addresses: [ip],
    conditions: { ready: svc.spec?.publishNotReadyAddresses === true || (serving && !terminating), serving, terminating },
  };
  const hostname = podHostnameFor(svc, pod);
  if (hostname) ep.hostname = hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const ref: Endpoint['targetRef'] = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' };
  if (pod.metadata.uid) ref.uid = pod.metadata.uid;
  ep.targetRef = ref;
  return ep;
}

function endpointKey(ep: Endpoint): string {
  return ep.addresses[0] ?? '';
}

/** Field-by-field, so an endpoint read back from the API (any key order, extra fields) compares equal to the one we built. */
export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  const ra = a.targetRef ?? {};
  const rb = b.targetRef ?? {};
  return (
    a.addresses.length === b.addresses.length &&
    a.addresses.every((x, i) => x === b.addresses[i]) &&
    ca.ready === cb.ready &&
    ca.serving === cb.serving &&
    ca.terminating === cb.terminating &&
    (a.hostname ?? '') === (b.hostname ?? '') &&
    (a.nodeName ?? '') === (b.nodeName ?? '') &&
    (a.zone ?? '') === (b.zone ?? '') &&
    (ra.kind ?? '') === (rb.kind ?? '') &&
    (ra.namespace ?? '') === (rb.namespace ?? '') &&
    (ra.name ?? '') === (rb.name ?? '') &&
    (ra.uid ?? '') === (rb.uid ?? '')
  );
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a?.[k] === b[k]);
}

function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.kind === 'Service' && r.uid === svc.metadata.uid && r.controller === true);
}

interface PortGroup {
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** Desired endpoints of one address type, grouped by resolved port set (pods sorted by name for a stable layout). */
function desiredGroups(svc: Service, pods: readonly Pod[], addressType: AddressType): Map<string, PortGroup> {
  const groups = new Map<string, PortGroup>();
  const sorted = [...pods].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ep = endpointForPod(svc, pod, addressType);
    if (!ep) continue;
    const ports: EndpointPort[] = resolvePodPorts(svc, pod);
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    // Two pods with one IP (a stale pod and its replacement): the first wins, as each address is listed once.
    if (!g.endpoints.has(endpointKey(ep))) g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/**
 * What to write so the managed slices of `svc` match its pods. `existing`
 * are the slices labelled as this Service's and managed by this controller;
 * `pods` may include pods of other Services or namespaces (they are ignored
 * only if the caller filters them: pass the selected pods).
 */
export function reconcileEndpointSlices(
  svc: Service,
  pods: readonly Pod[],
  existing: readonly EndpointSlice[],
  opts: ReconcileSliceOptions = {},
): SliceChanges {
  const max = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  const labels = sliceLabelsFor(svc);
  const owner = ownerReferenceFor(svc);
  const annotate = (s: EndpointSlice): EndpointSlice => {
    if (opts.triggerTime) s.metadata.annotations = { ...(s.metadata.annotations ?? {}), [TRIGGER_TIME_ANNOTATION]: opts.triggerTime };
    return s;
  };
  const fresh = (addressType: AddressType, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice =>
    annotate({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${svc.metadata.name ?? ''}-`,
        namespace: svc.metadata.namespace ?? '',
        labels: { ...labels },
        ownerReferences: [owner],
      },
      addressType,
      endpoints,
      ports,
    });
  /** A rewrite of an existing slice: same name and resourceVersion, our labels and owner. */
  const rewrite = (s: EndpointSlice, patch: Partial<Pick<EndpointSlice, 'endpoints' | 'ports' | 'addressType'>>): EndpointSlice => {
    const others = (s.metadata.ownerReferences ?? []).filter((r) => !(r.kind === 'Service' && r.controller === true));
    return annotate({
      ...s,
      ...patch,
      metadata: { ...s.metadata, labels: { ...labels }, ownerReferences: [owner, ...others] },
    });
  };

  const changes: SliceChanges = { create: [], update: [], delete: [] };
  const types = addressTypesFor(svc);
  const ours = existing.filter((s) => isManagedSlice(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name);
  // Slices of an earlier Service with the same name, or of a family the Service no longer has, go.
  for (const s of ours) {
    if (!ownedBy(s, svc) || !types.includes(s.addressType as AddressType)) changes.delete.push(s);
  }
  const live = ours.filter((s) => !changes.delete.includes(s));
  const unchangedAll: EndpointSlice[] = [];

  for (const addressType of types) {
    const want = desiredGroups(svc, pods, addressType);
    const have = new Map<string, EndpointSlice[]>();
    for (const s of live) {
      if (s.addressType !== addressType) continue;
      const key = portSetKey(s.ports ?? []);
      have.set(key, [...(have.get(key) ?? []), s]);
    }
    const keys = [...new Set([...want.keys(), ...have.keys()])];
    for (const key of keys) {
      const group = want.get(key);
      const remaining = new Map(group?.endpoints ?? []);
      const toUpdate: EndpointSlice[] = [];
      const unchanged: EndpointSlice[] = [];
      for (const s of have.get(key) ?? []) {
        let changed = !labelsEqual(s.metadata.labels, labels);
        const kept: Endpoint[] = [];
        for (const ep of s.endpoints ?? []) {
          const wanted = remaining.get(endpointKey(ep));
          if (!wanted) {
            changed = true; // gone, or listed twice
            continue;
          }
          remaining.delete(endpointKey(ep));
          if (!endpointsEqual(ep, wanted)) changed = true;
          kept.push(wanted);
        }
        if (kept.length === 0) changes.delete.push(s);
        else if (changed) toUpdate.push(rewrite(s, { endpoints: kept }));
        else unchanged.push(s);
      }
      if (!group) {
        changes.update.push(...toUpdate);
        unchangedAll.push(...unchanged);
        continue;
      }
      const rest = [...remaining.values()];
      // 1. Fill the slices that are written anyway, fullest first.
      toUpdate.sort((a, b) => b.endpoints.length - a.endpoints.length);
      for (const s of toUpdate) {
        while (s.endpoints.length < max && rest.length > 0) s.endpoints.push(rest.shift()!);
      }
      // 2. Whole new slices.
      while (rest.length >= max) changes.create.push(fresh(addressType, group.ports, rest.splice(0, max)));
      // 3. A last partial batch: into the fullest unchanged slice it fits in, else a new slice.
      if (rest.length > 0) {
        const fits = unchanged.filter((s) => s.endpoints.length + rest.length <= max).sort((a, b) => b.endpoints.length - a.endpoints.length)[0];
        if (fits) {
          unchanged.splice(unchanged.indexOf(fits), 1);
          toUpdate.push(rewrite(fits, { endpoints: [...fits.endpoints, ...rest.splice(0)] }));
        } else {
          changes.create.push(fresh(addressType, group.ports, rest.splice(0)));
        }
      }
      changes.update.push(...toUpdate);
      unchangedAll.push(...unchanged);
    }
  }

  // A create paired with a delete of the same address type: reuse the deleted slice's name instead.
  for (let i = 0; i < changes.create.length; i++) {
    const c = changes.create[i]!;
    const j = changes.delete.findIndex((d) => d.addressType === c.addressType && ownedBy(d, svc));
    if (j < 0) continue;
    const [d] = changes.delete.splice(j, 1);
    changes.update.push(rewrite(d!, { endpoints: c.endpoints, ports: c.ports ?? [] }));
    changes.create.splice(i--, 1);
  }

  // No endpoints at all: keep (or make) one empty placeholder slice, as Kubernetes does.
  if (changes.create.length === 0 && changes.update.length === 0 && unchangedAll.length === 0) {
    const addressType = types[0] ?? 'IPv4';
    const isPlaceholder = (s: EndpointSlice): boolean =>
      s.addressType === addressType && ownedBy(s, svc) && (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0;
    const j = changes.delete.findIndex(isPlaceholder);
    const reuse = j >= 0 ? j : changes.delete.findIndex((s) => s.addressType === addressType && ownedBy(s, svc));
    if (reuse >= 0) {
      const [d] = changes.delete.splice(reuse, 1);
      if (!isPlaceholder(d!) || !labelsEqual(d!.metadata.labels, labels)) changes.update.push(rewrite(d!, { endpoints: [], ports: [] }));
    } else {
      changes.create.push(fresh(addressType, [], []));
    }
  }
  return changes;
}
