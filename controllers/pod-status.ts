// Facts about pods that several workload controllers read the same way:
// readiness, availability (ready for minReadySeconds), whether a pod still
// counts as one of its owner's replicas, and who its controller is.
import type { Pod, PodCondition } from '../kube/api/core.js';
import type { KubeObject, OwnerReference } from '../kube/api/meta.js';

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

export function isPodReady(pod: Pod): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/**
 * Ready for at least minReadySeconds (measured from the Ready condition's
 * lastTransitionTime). Without a transition time a ready pod counts as available.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return true;
  return now - since >= minReadySeconds * 1000;
}

/** When a ready pod becomes available, in ms since the epoch (undefined if it is not ready or has no transition time). */
export function availableAt(pod: Pod, minReadySeconds: number): number | undefined {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True' || !ready.lastTransitionTime) return undefined;
  const since = Date.parse(ready.lastTransitionTime);
  return Number.isNaN(since) ? undefined : since + minReadySeconds * 1000;
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isTerminating(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp;
}

/** A pod that still counts as a replica: not finished and not on its way out (Kubernetes' "active" pod). */
export function isPodActive(pod: Pod): boolean {
  return !isTerminal(pod) && !isTerminating(pod);
}

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerRefOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

/** The ownerReference a controller writes into the objects it creates. */
export function controllerRefTo(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** "ns/name" (the work-queue key) of an object. */
export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : obj.metadata.name ?? '';
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function creationTime(obj: KubeObject): number {
  const t = obj.metadata.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
