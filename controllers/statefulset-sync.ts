// The StatefulSet controller's decisions, pure: pods named <set>-<ordinal>,
// each with a stable network identity (hostname = pod name, subdomain = the
// governing Service, so DNS answers <pod>.<service>.<ns>.svc), created in
// ordinal order and removed from the highest ordinal down. OrderedReady moves
// one pod at a time and only past Running+Ready predecessors; Parallel acts on
// all at once. A template change rolls pods from the highest ordinal down,
// each pod replaced under the same name.
import type { Pod, StatefulSet } from '../kube/api/core.js';
import { podTemplateHash } from './deployment-hash.js';
import { controllerRefOf, controllerRefTo, isPodReady, isTerminating } from './pod-status.js';
import { podFromTemplate } from './replicaset-sync.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

/** The fields apiserver-lite keeps that kube/api/core.ts does not spell out. */
export type StatefulSetFull = StatefulSet & {
  spec?: StatefulSet['spec'] & { updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } } };
  status?: StatefulSetStatus;
};

export interface StatefulSetStatus {
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  observedGeneration?: number;
}

/** The ordinal of a pod named <set>-<n>, or undefined for any other name. */
export function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  if (!podName?.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** The revision name pods of the current template carry: <set>-<template hash>. */
export function updateRevision(sts: StatefulSet): string {
  return `${sts.metadata.name}-${podTemplateHash(sts.spec?.template ?? {})}`;
}

export function statefulSetPod(sts: StatefulSet, ordinal: number): Pod {
  const setName = sts.metadata.name ?? '';
  const name = `${setName}-${ordinal}`;
  const pod = podFromTemplate(sts.spec?.template, sts.metadata.namespace ?? 'default', '', controllerRefTo(sts, 'apps/v1', 'StatefulSet'));
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  pod.metadata.labels = { ...pod.metadata.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: updateRevision(sts) };
  pod.spec = { ...pod.spec!, hostname: name };
  if (sts.spec?.serviceName) pod.spec.subdomain = sts.spec.serviceName;
  return pod;
}

function runningAndReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && isPodReady(p) && !isTerminating(p);
}

export interface StatefulSetPlan {
  create: Pod[];
  delete: Pod[];
}

/** The pods the set controls, by ordinal (pods with names outside the pattern are not its replicas). */
export function podsByOrdinal(sts: StatefulSet, pods: readonly Pod[]): Map<number, Pod> {
  const out = new Map<number, Pod>();
  for (const p of pods) {
    if (p.metadata.namespace !== sts.metadata.namespace || controllerRefOf(p)?.uid !== sts.metadata.uid) continue;
    const ord = ordinalOf(sts.metadata.name ?? '', p.metadata.name);
    if (ord !== undefined) out.set(ord, p);
  }
  return out;
}

export function planStatefulSet(sts: StatefulSetFull, pods: readonly Pod[]): StatefulSetPlan {
  const replicas = sts.spec?.replicas ?? 1;
  const parallel = sts.spec?.podManagementPolicy === 'Parallel';
  const byOrdinal = podsByOrdinal(sts, pods);
  const plan: StatefulSetPlan = { create: [], delete: [] };
  const revision = updateRevision(sts);

  // Failed pods are replaced under the same name: delete now, create once gone.
  for (const [ord, p] of byOrdinal) {
    if (ord < replicas && p.status?.phase === 'Failed' && !isTerminating(p)) plan.delete.push(p);
  }
  if (plan.delete.length > 0 && !parallel) return plan;

  // Bring up 0..replicas-1 in order.
  for (let ord = 0; ord < replicas; ord++) {
    const p = byOrdinal.get(ord);
    if (!p) {
      plan.create.push(statefulSetPod(sts, ord));
      if (!parallel) return plan;
      continue;
    }
    if (!parallel && !runningAndReady(p)) return plan;
  }
  if (plan.create.length > 0) return plan;

  // Scale down from the highest ordinal.
  const condemned = [...byOrdinal.entries()].filter(([ord]) => ord >= replicas).sort(([a], [b]) => b - a);
  for (const [, p] of condemned) {
    if (isTerminating(p)) {
      if (!parallel) return plan;
      continue;
    }
    plan.delete.push(p);
    if (!parallel) return plan;
  }
  if (plan.delete.length > 0 || condemned.length > 0) return plan;

  // Roll a changed template from the highest ordinal down, above the partition, one pod at a time.
  const strategy = sts.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete') return plan;
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  for (let ord = replicas - 1; ord >= partition; ord--) {
    const p = byOrdinal.get(ord)!;
    if (p.metadata.labels?.[REVISION_LABEL] === revision) {
      if (!runningAndReady(p)) return plan;
      continue;
    }
    if (!isTerminating(p)) plan.delete.push(p);
    return plan;
  }
  return plan;
}

export function statefulSetStatus(sts: StatefulSetFull, pods: readonly Pod[]): StatefulSetStatus {
  const replicas = sts.spec?.replicas ?? 1;
  const live = [...podsByOrdinal(sts, pods).values()].filter((p) => !isTerminating(p));
  const revision = updateRevision(sts);
  const updated = live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
  const ready = live.filter(isPodReady).length;
  // The update is complete once every replica runs the new template and is ready; until then "current" is the old revision.
  const done = updated === replicas && ready === replicas && live.length === replicas;
  const currentRevision = done ? revision : sts.status?.currentRevision ?? revision;
  const status: StatefulSetStatus = {
    replicas: live.length,
    readyReplicas: ready,
    availableReplicas: ready,
    currentReplicas: live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
    updatedReplicas: updated,
    currentRevision,
    updateRevision: revision,
  };
  if (sts.metadata.generation !== undefined) status.observedGeneration = sts.metadata.generation;
  return status;
}
