// The ReplicaSet controller's decisions, pure: which pods a ReplicaSet owns
// (and which orphans it adopts or owned pods it lets go), how many pods to
// create or which to delete, and the status it reports.
import type { Pod, PodTemplateSpec, ReplicaSet } from '../kube/api/core.js';
import type { OwnerReference } from '../kube/api/meta.js';
import { selectorFromLabelSelector } from '../kube/label-selector.js';
import { availableAt, controllerRefOf, controllerRefTo, creationTime, isPodActive, isPodAvailable, isPodReady, podCondition } from './pod-status.js';

export interface Claim {
  /** Active pods controlled by the ReplicaSet that match its selector (after adoption). */
  owned: Pod[];
  /** Orphans that match: to be adopted by patching in a controller ownerReference. */
  adopt: Pod[];
  /** Pods it controls that no longer match its selector: to be released. */
  release: Pod[];
}

/**
 * Kubernetes' pod claiming: a pod belongs to the ReplicaSet whose controller
 * reference it carries; an orphan that matches the selector is adopted
 * (unless either is being deleted); an owned pod whose labels stopped matching
 * is released. Terminal and terminating pods are not counted as replicas.
 */
export function claimPods(rs: ReplicaSet, pods: readonly Pod[]): Claim {
  const selector = selectorFromLabelSelector(rs.spec?.selector);
  const claim: Claim = { owned: [], adopt: [], release: [] };
  const uid = rs.metadata.uid;
  for (const pod of pods) {
    if (pod.metadata.namespace !== rs.metadata.namespace) continue;
    const ref = controllerRefOf(pod);
    const matches = !selector.empty() && selector.matches(pod.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (!matches) {
        if (!pod.metadata.deletionTimestamp) claim.release.push(pod);
        continue;
      }
      if (isPodActive(pod)) claim.owned.push(pod);
      continue;
    }
    if (!matches || rs.metadata.deletionTimestamp || !isPodActive(pod)) continue;
    claim.adopt.push(pod);
  }
  return claim;
}

export type ReplicaDiff = { create: number; delete: Pod[] };

/** Pods to create (a count) or delete (which ones) to move from the active pods to `replicas`. */
export function diffReplicas(replicas: number, active: readonly Pod[], now: number): ReplicaDiff {
  if (active.length < replicas) return { create: replicas - active.length, delete: [] };
  if (active.length > replicas) return { create: 0, delete: rankForDeletion(active, now).slice(0, active.length - replicas) };
  return { create: 0, delete: [] };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Pods ordered most-deletable first, as Kubernetes ranks them: unscheduled
 * before scheduled, Pending before Unknown before Running, not ready before
 * ready, ready for less time before longer, more restarts before fewer,
 * newer before older.
 */
export function rankForDeletion(pods: readonly Pod[], now: number): Pod[] {
  const readySince = (p: Pod): number => {
    const t = podCondition(p, 'Ready')?.lastTransitionTime;
    const v = t ? Date.parse(t) : NaN;
    return Number.isNaN(v) ? now : v;
  };
  const restarts = (p: Pod): number => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount));
  return [...pods].sort((a, b) => {
    const sa = a.spec?.nodeName ? 1 : 0;
    const sb = b.spec?.nodeName ? 1 : 0;
    if (sa !== sb) return sa - sb;
    const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
    const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a) ? 1 : 0;
    const rb = isPodReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    if (ra === 1 && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ca = creationTime(a);
    const cb = creationTime(b);
    if (ca !== cb) return cb - ca;
    return (b.metadata.name ?? '').localeCompare(a.metadata.name ?? '');
  });
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
}

export function replicaSetStatus(rs: ReplicaSet, active: readonly Pod[], now: number): ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
  };
  if (rs.metadata.generation !== undefined) status.observedGeneration = rs.metadata.generation;
  return status;
}

/** When the next ready-but-not-yet-available pod becomes available (so status can be refreshed then), if any. */
export function nextAvailableAt(rs: ReplicaSet, active: readonly Pod[], now: number): number | undefined {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  if (minReady <= 0) return undefined;
  let next: number | undefined;
  for (const p of active) {
    const at = availableAt(p, minReady);
    if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}

export function statusEqual(a: Partial<ReplicaSetStatus> | undefined, b: ReplicaSetStatus): boolean {
  return (
    (a?.replicas ?? 0) === b.replicas &&
    (a?.fullyLabeledReplicas ?? 0) === b.fullyLabeledReplicas &&
    (a?.readyReplicas ?? 0) === b.readyReplicas &&
    (a?.availableReplicas ?? 0) === b.availableReplicas &&
    a?.observedGeneration === b.observedGeneration
  );
}

/** The pod a controller creates from its template: labels and annotations from the template, a controller reference to the owner. */
export function podFromTemplate(template: PodTemplateSpec | undefined, namespace: string, generateName: string, ownerRef: OwnerReference): Pod {
  const meta = template?.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerRef],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
  return pod;
}

export function replicaSetPod(rs: ReplicaSet): Pod {
  return podFromTemplate(rs.spec?.template, rs.metadata.namespace ?? 'default', `${rs.metadata.name}-`, controllerRefTo(rs, 'apps/v1', 'ReplicaSet'));
}

/**
 * Batch sizes for creating `n` pods: 1, 2, 4, … (Kubernetes' slow start), so a
 * template the server rejects fails one request rather than hundreds.
 */
export function slowStartBatches(n: number, initial = 1): number[] {
  const out: number[] = [];
  let size = Math.max(1, initial);
  let left = n;
  while (left > 0) {
    const b = Math.min(size, left);
    out.push(b);
    left -= b;
    size *= 2;
  }
  return out;
}
