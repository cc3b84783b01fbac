// The /scale subresource of Deployments, ReplicaSets and StatefulSets
// (autoscaling/v1 Scale), which `kubectl scale` reads and patches: a view of
// spec.replicas, status.replicas and the selector as a string.
import type { KubeObject } from '../kube/api/meta.js';
import { selectorFromLabelSelector, type LabelSelector } from '../kube/label-selector.js';
import { badRequest } from './api-error.js';

export interface Scale extends KubeObject {
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

export function toScale(obj: KubeObject): Scale {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
  const status = (obj.status ?? {}) as { replicas?: number };
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  const selector = spec.selector ? selectorFromLabelSelector(spec.selector).toString() : '';
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** The replicas a client's Scale asks for; a 400 naming the field when it is not a non-negative integer. */
export function replicasOf(scale: unknown): number {
  const r = (scale as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) {
    throw badRequest(`spec.replicas: Invalid value: ${JSON.stringify(r)}: must be a non-negative integer`);
  }
  return r;
}
