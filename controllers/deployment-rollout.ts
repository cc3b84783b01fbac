// The Deployment controller's decisions, pure: which ReplicaSet is the new
// one (same template, ignoring pod-template-hash), what it looks like when it
// must be made, how far each ReplicaSet is scaled in one step of a
// RollingUpdate or Recreate rollout, which old ReplicaSets are history to
// delete, and the status `kubectl rollout status` reads.
import type { Deployment, IntOrString, PodTemplateSpec, ReplicaSet } from '../kube/api/core.js';
import { controllerRefTo } from './pod-status.js';
import { canonicalJson, podTemplateHash } from './deployment-hash.js';

export const TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

export type DeploymentCondition = NonNullable<NonNullable<Deployment['status']>['conditions']>[number];
export type DeploymentStatus = NonNullable<Deployment['status']> & { collisionCount?: number };

/**
 * An int, or a percentage of `total` rounded up (maxSurge) or down
 * (maxUnavailable), as Kubernetes resolves them. Throws on a malformed value.
 */
export function intOrPercent(v: IntOrString | undefined, total: number, roundUp: boolean, dflt: IntOrString): number {
  const value = v ?? dflt;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: "${value}" is neither an integer nor a percentage`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as pod counts; both 0 would deadlock, so unavailable is then 1. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const maxSurge = intOrPercent(ru?.maxSurge, replicas, true, '25%');
  let maxUnavailable = intOrPercent(ru?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

function withoutHashLabel(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(t ?? {});
  const labels = copy.metadata?.labels;
  if (labels) {
    delete labels[TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0) delete copy.metadata!.labels;
  }
  return copy;
}

export function templatesEqualIgnoringHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}

export function revisionOf(rs: ReplicaSet): number {
  const v = Number(rs.metadata.annotations?.[REVISION_ANNOTATION]);
  return Number.isFinite(v) ? v : 0;
}

export function replicasOf(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 0;
}

/** The oldest ReplicaSet whose template is the Deployment's (there should be one; after a rollback there may be more). */
export function findNewReplicaSet(d: Deployment, owned: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...owned]
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .find((rs) => templatesEqualIgnoringHash(rs.spec?.template, d.spec?.template));
}

/** The ReplicaSet a Deployment makes for its current template: `<deploy>-<hash>`, hash label on selector, template and itself. */
export function newReplicaSetFor(d: Deployment, replicas: number, revision: number, collisionCount?: number): ReplicaSet {
  const template = structuredClone(d.spec!.template);
  const hash = podTemplateHash(template, collisionCount);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec!.selector);
  selector.matchLabels = { ...selector.matchLabels, [TEMPLATE_HASH_LABEL]: hash };
  const { maxSurge } = resolveFenceposts(d);
  const desired = d.spec?.replicas ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels: { ...d.spec!.template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hash },
      annotations: {
        [REVISION_ANNOTATION]: String(revision),
        [DESIRED_REPLICAS_ANNOTATION]: String(desired),
        [MAX_REPLICAS_ANNOTATION]: String(desired + (d.spec?.strategy?.type === 'Recreate' ? 0 : maxSurge)),
      },
      ownerReferences: [controllerRefTo(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
      selector,
      template,
    },
  };
}

/** One scaling write: set a ReplicaSet's spec.replicas. */
export interface ScaleAction {
  name: string;
  from: number;
  to: number;
}

/** Kubernetes' rolling-update step: scale the new ReplicaSet up within maxSurge; if it cannot grow, scale old ones down within maxUnavailable. */
export function rollingUpdateStep(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): ScaleAction[] {
  const up = scaleUpNew(d, newRS, oldRSs);
  if (up) return [up];
  return scaleDownOld(d, newRS, oldRSs);
}

function scaleUpNew(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): ScaleAction | undefined {
  const replicas = d.spec?.replicas ?? 1;
  const current = replicasOf(newRS);
  if (current === replicas) return undefined;
  if (current > replicas) return { name: newRS.metadata.name ?? '', from: current, to: replicas };
  const { maxSurge } = resolveFenceposts(d);
  const total = current + oldRSs.reduce((n, rs) => n + replicasOf(rs), 0);
  const maxTotal = replicas + maxSurge;
  if (total >= maxTotal) return undefined;
  const to = current + Math.min(maxTotal - total, replicas - current);
  return { name: newRS.metadata.name ?? '', from: current, to };
}

function scaleDownOld(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): ScaleAction[] {
  const replicas = d.spec?.replicas ?? 1;
  const { maxUnavailable } = resolveFenceposts(d);
  const live = oldRSs.filter((rs) => replicasOf(rs) > 0);
  if (live.length === 0) return [];
  const minAvailable = replicas - maxUnavailable;
  const allPods = replicasOf(newRS) + live.reduce((n, rs) => n + replicasOf(rs), 0);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  let budget = allPods - minAvailable - newUnavailable;
  if (budget <= 0) return [];
  const target = new Map<string, number>(live.map((rs) => [rs.metadata.name ?? '', replicasOf(rs)]));
  const oldestFirst = [...live].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  // Unhealthy old pods first: removing them costs no availability.
  for (const rs of oldestFirst) {
    if (budget <= 0) break;
    const name = rs.metadata.name ?? '';
    const unhealthy = Math.max(0, target.get(name)! - (rs.status?.availableReplicas ?? 0));
    const n = Math.min(budget, unhealthy);
    if (n > 0) {
      target.set(name, target.get(name)! - n);
      budget -= n;
    }
  }
  // Then healthy ones, as far as availability above minAvailable allows.
  const available = (newRS.status?.availableReplicas ?? 0) + live.reduce((n, rs) => n + Math.min(rs.status?.availableReplicas ?? 0, target.get(rs.metadata.name ?? '')!), 0);
  let healthyBudget = Math.min(budget, available - minAvailable);
  for (const rs of oldestFirst) {
    if (healthyBudget <= 0) break;
    const name = rs.metadata.name ?? '';
    const n = Math.min(healthyBudget, target.get(name)!);
    if (n > 0) {
      target.set(name, target.get(name)! - n);
      healthyBudget -= n;
    }
  }
  return oldestFirst
    .map((rs) => ({ name: rs.metadata.name ?? '', from: replicasOf(rs), to: target.get(rs.metadata.name ?? '')! }))
    .filter((a) => a.to !== a.from);
}

/** Recreate: old ReplicaSets to zero; only once none of their pods still run does the new one scale up. */
export function recreateStep(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[], oldPodsRunning: number): ScaleAction[] {
  const down = oldRSs.filter((rs) => replicasOf(rs) > 0).map((rs) => ({ name: rs.metadata.name ?? '', from: replicasOf(rs), to: 0 }));
  if (down.length > 0) return down;
  if (oldPodsRunning > 0) return [];
  const replicas = d.spec?.replicas ?? 1;
  return replicasOf(newRS) === replicas ? [] : [{ name: newRS.metadata.name ?? '', from: replicasOf(newRS), to: replicas }];
}

/** Old ReplicaSets beyond revisionHistoryLimit that have scaled to nothing, oldest revision first. */
export function historyToDelete(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  const idle = oldRSs
    .filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  return idle.slice(0, Math.max(0, idle.length - limit));
}

export function isRolloutComplete(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
  const replicas = d.spec?.replicas ?? 1;
  if (!newRS) return false;
  const updated = newRS.status?.replicas ?? 0;
  const oldPods = oldRSs.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
  return updated === replicas && (newRS.status?.availableReplicas ?? 0) === replicas && replicasOf(newRS) === replicas && oldPods === 0;
}

function condition(prev: readonly DeploymentCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): DeploymentCondition {
  const old = prev.find((c) => c.type === type);
  const same = old?.status === status && old.reason === reason && old.message === message;
  if (same) return old;
  return {
    type,
    status,
    lastUpdateTime: now,
    lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
    reason,
    message,
  };
}

export function deploymentStatus(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], now: string): DeploymentStatus {
  const all = newRS ? [newRS, ...oldRSs] : [...oldRSs];
  const sum = (f: (rs: ReplicaSet) => number | undefined): number => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const desired = d.spec?.replicas ?? 1;
  const available = sum((rs) => rs.status?.availableReplicas);
  const prev = d.status?.conditions ?? [];
  // Recreate promises no availability during a rollout, so "available" means all replicas (Kubernetes: maxUnavailable 0).
  const { maxUnavailable } = d.spec?.strategy?.type === 'Recreate' ? { maxUnavailable: 0 } : resolveFenceposts(d);
  const availableCond =
    available >= desired - maxUnavailable
      ? condition(prev, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
      : condition(prev, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now);
  const rsName = newRS?.metadata.name ?? '';
  let progressing: DeploymentCondition;
  if (isRolloutComplete(d, newRS, oldRSs)) {
    progressing = condition(prev, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, now);
  } else if (newRS) {
    progressing = condition(prev, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, now);
  } else {
    progressing = condition(prev, 'Progressing', 'True', 'NewReplicaSetCreated', 'Created new replica set.', now);
  }
  const status: DeploymentStatus = {
    ...(d.metadata.generation !== undefined ? { observedGeneration: d.metadata.generation } : {}),
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum(replicasOf) - available),
    conditions: [availableCond, progressing],
  };
  const collision = (d.status as DeploymentStatus | undefined)?.collisionCount;
  if (collision !== undefined) status.collisionCount = collision;
  return status;
}

/** Status equal apart from timestamps nobody should be woken for. */
export function deploymentStatusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
