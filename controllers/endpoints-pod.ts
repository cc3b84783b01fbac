// How a Pod appears behind a Service, shared by the EndpointSlice and the
// Endpoints controllers: whether it is listed at all, whether it is ready,
// serving or terminating, and which port each Service port reaches on it
// (named targetPorts are looked up in the pod's container ports).
import type { Pod, Protocol, Service, ServicePort } from '../kube/api/core.js';
import { selectorFromMap } from '../kube/label-selector.js';

/** The pod's Ready condition is True (regardless of termination). */
export function isPodReadyCondition(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isPodTerminating(pod: Pod): boolean {
  return !!pod.metadata.deletionTimestamp;
}

/**
 * Whether a pod is listed behind a Service at all: it needs an IP and must not
 * have finished. Terminating pods stay listed when `includeTerminating` (the
 * EndpointSlice API reports them with terminating=true; the Endpoints API
 * keeps them only for publishNotReadyAddresses, as Kubernetes does).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP) return false;
  if (!includeTerminating && isPodTerminating(pod)) return false;
  return true;
}

/** True when the Service selects pods (a Service without a selector has hand-made endpoints). */
export function hasSelector(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName' && Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** The pods a Service selects: same namespace, labels match. Callers check hasSelector first. */
export function podsForService(svc: Service, pods: readonly Pod[]): Pod[] {
  const sel = selectorFromMap(svc.spec?.selector);
  const ns = svc.metadata.namespace;
  return pods.filter((p) => p.metadata.namespace === ns && sel.matches(p.metadata.labels));
}

/**
 * The container port a Service port reaches on `pod`: a numeric targetPort
 * (or the port itself when unset) as is; a named one from the first container
 * port with that name and protocol. Undefined when the pod lacks the name.
 */
export function resolveTargetPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol: Protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
    }
  }
  return undefined;
}

/** One resolved port of a pod behind a Service port (EndpointPort's shape, every field set). */
export interface ResolvedPort {
  name: string;
  port: number;
  protocol: Protocol;
  appProtocol?: string;
}

/** The Service's ports as they resolve on `pod`; ports the pod cannot serve are left out. */
export function resolvePodPorts(svc: Service, pod: Pod): ResolvedPort[] {
  const out: ResolvedPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = resolveTargetPort(pod, sp);
    if (port === undefined) continue;
    const rp: ResolvedPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) rp.appProtocol = sp.appProtocol;
    out.push(rp);
  }
  return out;
}

/** A canonical key of a port set, independent of order. */
export function portSetKey(ports: readonly { name?: string; port?: number; protocol?: string; appProtocol?: string }[]): string {
  return ports
    .map((p) => `${p.name ?? ''}/${p.protocol ?? 'TCP'}/${p.port ?? ''}/${p.appProtocol ?? ''}`)
    .sort()
    .join(',');
}

/** The pod's DNS hostname under the Service: spec.hostname, when spec.subdomain names this Service. */
export function podHostnameFor(svc: Service, pod: Pod): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === svc.metadata.name ? h : undefined;
}

/**
 * The time of the latest change to the pods (or the Service) the endpoints were
 * computed from, for the `endpoints.kubernetes.io/last-change-trigger-time`
 * annotation: Ready transitions, creations and deletions. Undefined without any.
 */
export function lastChangeTriggerTime(svc: Service, pods: readonly Pod[]): string | undefined {
  let best = Date.parse(svc.metadata.creationTimestamp ?? '');
  let bestText = Number.isNaN(best) ? undefined : svc.metadata.creationTimestamp;
  if (Number.isNaN(best)) best = -Infinity;
  const consider = (t: string | undefined | null): void => {
    if (!t) return;
    const v = Date.parse(t);
    if (!Number.isNaN(v) && v > best) {
      best = v;
      bestText = t;
    }
  };
  for (const p of pods) {
    consider(p.metadata.creationTimestamp);
    consider(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
    if (p.metadata.deletionTimestamp && p.metadata.deletionGracePeriodSeconds !== undefined) {
      // deletionTimestamp is when the grace ends; the deletion started grace seconds earlier.
      const start = Date.parse(p.metadata.deletionTimestamp) - p.metadata.deletionGracePeriodSeconds * 1000;
      if (!Number.isNaN(start)) consider(new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
  }
  return bestText;
}
