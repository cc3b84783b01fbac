// The scheduler's decision, pure: given a pod and a view of every node (its
// allocatable resources and what the pods already on it request), pick the
// node or say, in Kubernetes' words, why none fits.
//
// Filters run in Kubernetes' order and a node fails on the first one it
// fails (not ready, unschedulable, untolerated NoSchedule/NoExecute taint,
// nodeSelector, then resources — where every short resource is named).
// Scoring among the nodes that pass: fewest pods of the same controller
// (spreading replicas of one owner), then the least requested share of
// cpu and memory, then the node name so equal nodes are chosen stably.
import type { Node, Pod, Taint, Toleration } from '../kube/api/core.js';
import { controllerRefOf } from './pod-status.js';
import { resourceAmount } from './scheduler-quantity.js';

export type Resources = Record<string, number>;

/** Requests used for scoring a pod that requests nothing, as Kubernetes does (100m cpu, 200Mi memory). */
const SCORING_DEFAULTS: Resources = { cpu: 100, memory: 200 * 2 ** 20 };

/**
 * What a pod asks of a node: the sum of its containers' requests (a limit
 * stands in for a missing request), or the largest init container's if that
 * is more — init containers run one at a time, before the others.
 */
export function podRequests(pod: Pod): Resources {
  const sum: Resources = {};
  for (const c of pod.spec?.containers ?? []) {
    for (const [r, v] of Object.entries(containerRequests(c.resources))) sum[r] = (sum[r] ?? 0) + v;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [r, v] of Object.entries(containerRequests(c.resources))) sum[r] = Math.max(sum[r] ?? 0, v);
  }
  return sum;
}

function containerRequests(res: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined): Resources {
  const out: Resources = {};
  for (const [r, v] of Object.entries(res?.limits ?? {})) out[r] = resourceAmount(r, v);
  for (const [r, v] of Object.entries(res?.requests ?? {})) out[r] = resourceAmount(r, v);
  return out;
}

/** The uid of the pod's controller (its ReplicaSet, StatefulSet, …), the unit replicas are spread by. */
export function ownerKey(pod: Pod): string | undefined {
  return controllerRefOf(pod)?.uid;
}

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** Whether a pod waits for this scheduler: unbound, ours, and neither finished nor being deleted. */
export function needsScheduling(pod: Pod, schedulerName = 'default-scheduler'): boolean {
  if (pod.spec?.nodeName) return false;
  if ((pod.spec?.schedulerName ?? 'default-scheduler') !== schedulerName) return false;
  if (pod.metadata.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint none of the tolerations tolerate. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => tolerates(tol, t)));
}

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** One node as the scheduler sees it: the Node and what the pods bound to it already take. */
export interface NodeView {
  node: Node;
  /** Sum of the requests of the pods on the node (fit: real requests). */
  requested: Resources;
  /** Sum with Kubernetes' defaults for pods that request nothing (scoring only). */
  requestedForScoring: Resources;
  pods: number;
  /** Pods on the node per controller uid. */
  owners: ReadonlyMap<string, number>;
}

export type Decision = { node: string } | { node?: undefined; reasons: Map<string, number>; message: string };

/** Why one node cannot take the pod, as Kubernetes words it; empty when it can. */
export function filterNode(pod: Pod, view: NodeView, requests: Resources): string[] {
  const node = view.node;
  const tolerations = pod.spec?.tolerations ?? [];
  if (!isNodeReady(node)) return ['node(s) were not ready'];
  if (node.spec?.unschedulable && !tolerations.some((t) => tolerates(t, UNSCHEDULABLE_TAINT))) return ['node(s) were unschedulable'];
  const taint = untoleratedTaint(node.spec?.taints ?? [], tolerations);
  if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return ["node(s) didn't match Pod's node affinity/selector"];
  }
  const allocatable = node.status?.allocatable ?? {};
  const reasons: string[] = [];
  // A node that does not say how many pods it takes is not limited by count.
  if (allocatable['pods'] !== undefined && view.pods + 1 > resourceAmount('pods', allocatable['pods'])) reasons.push('Too many pods');
  for (const r of Object.keys(requests).sort()) {
    const want = requests[r] ?? 0;
    if (want <= 0) continue;
    const have = allocatable[r] === undefined ? 0 : resourceAmount(r, allocatable[r]);
    if ((view.requested[r] ?? 0) + want > have) reasons.push(`Insufficient ${r}`);
  }
  return reasons;
}

/** Kubernetes' least-allocated score: the mean free share of cpu and memory after placing the pod, 0..1. */
export function leastRequestedScore(view: NodeView, requests: Resources): number {
  const allocatable = view.node.status?.allocatable ?? {};
  let total = 0;
  for (const r of ['cpu', 'memory']) {
    const cap = allocatable[r] === undefined ? 0 : resourceAmount(r, allocatable[r]);
    const want = (requests[r] ?? 0) > 0 ? requests[r]! : SCORING_DEFAULTS[r]!;
    const used = (view.requestedForScoring[r] ?? 0) + want;
    total += cap > 0 ? Math.max(0, cap - used) / cap : 0;
  }
  return total / 2;
}

/** "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable." (reasons sorted, as Kubernetes prints them). */
export function unschedulableMessage(nodeCount: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).sort();
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

export function decide(pod: Pod, views: readonly NodeView[]): Decision {
  const requests = podRequests(pod);
  const reasons = new Map<string, number>();
  const owner = ownerKey(pod);
  let best: { view: NodeView; same: number; score: number } | undefined;
  for (const view of views) {
    const why = filterNode(pod, view, requests);
    if (why.length > 0) {
      for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      continue;
    }
    const same = owner ? view.owners.get(owner) ?? 0 : 0;
    const score = leastRequestedScore(view, requests);
    if (
      !best ||
      same < best.same ||
      (same === best.same && score > best.score) ||
      (same === best.same && score === best.score && (view.node.metadata.name ?? '') < (best.view.node.metadata.name ?? ''))
    ) {
      best = { view, same, score };
    }
  }
  if (best) return { node: best.view.node.metadata.name ?? '' };
  return { reasons, message: unschedulableMessage(views.length, reasons) };
}

/**
 * What the pods bound to each node take, kept up to date pod by pod (informer
 * events and the scheduler's own bindings, which it "assumes" before the
 * API confirms them so one scheduling pass never overcommits a node).
 */
export class NodeUsage {
  private readonly byPod = new Map<string, { node: string; requests: Resources; scoring: Resources; owner?: string }>();
  private readonly byNode = new Map<string, { requested: Resources; requestedForScoring: Resources; pods: number; owners: Map<string, number> }>();

  /** Account a pod under `key` on `nodeName` (replacing what was accounted under that key), or drop it when nodeName is undefined. */
  set(key: string, pod: Pod, nodeName: string | undefined): void {
    this.remove(key);
    if (!nodeName) return;
    const requests = podRequests(pod);
    const scoring: Resources = { ...requests };
    for (const [r, v] of Object.entries(SCORING_DEFAULTS)) if (!((scoring[r] ?? 0) > 0)) scoring[r] = v;
    const owner = ownerKey(pod);
    this.byPod.set(key, { node: nodeName, requests, scoring, ...(owner ? { owner } : {}) });
    const n = this.nodeEntry(nodeName);
    add(n.requested, requests, 1);
    add(n.requestedForScoring, scoring, 1);
    n.pods++;
    if (owner) n.owners.set(owner, (n.owners.get(owner) ?? 0) + 1);
  }

  /** Account a pod as the API shows it: bound and not finished pods take room, others none. */
  observe(key: string, pod: Pod): void {
    const phase = pod.status?.phase;
    this.set(key, pod, phase === 'Succeeded' || phase === 'Failed' ? undefined : pod.spec?.nodeName);
  }

  remove(key: string): void {
    const prev = this.byPod.get(key);
    if (!prev) return;
    this.byPod.delete(key);
    const n = this.nodeEntry(prev.node);
    add(n.requested, prev.requests, -1);
    add(n.requestedForScoring, prev.scoring, -1);
    n.pods--;
    if (prev.owner) {
      const c = (n.owners.get(prev.owner) ?? 0) - 1;
      if (c > 0) n.owners.set(prev.owner, c);
      else n.owners.delete(prev.owner);
    }
  }

  nodeOf(key: string): string | undefined {
    return this.byPod.get(key)?.node;
  }

  view(node: Node): NodeView {
    const n = this.nodeEntry(node.metadata.name ?? '');
    return { node, requested: n.requested, requestedForScoring: n.requestedForScoring, pods: n.pods, owners: n.owners };
  }

  private nodeEntry(name: string) {
    let n = this.byNode.get(name);
    if (!n) {
      n = { requested: {}, requestedForScoring: {}, pods: 0, owners: new Map() };
      this.byNode.set(name, n);
    }
    return n;
  }
}

function add(into: Resources, from: Resources, sign: 1 | -1): void {
  for (const [r, v] of Object.entries(from)) into[r] = (into[r] ?? 0) + sign * v;
}
