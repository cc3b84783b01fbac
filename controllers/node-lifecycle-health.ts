// The node lifecycle controller's decisions, as pure functions of (node,
// lease, pods, what we last observed, now):
//
//  - Heartbeats are the Lease's renewTime in kube-node-lease and the Ready
//    condition's lastHeartbeatTime. As in Kubernetes, the controller does not
//    compare those timestamps with its own clock (clocks differ); it notes the
//    local time at which it saw either change ("probe time").
//  - A node not heard from for the grace period is silent: its Ready (and
//    pressure) conditions become Unknown (NodeStatusUnknown, "Kubelet stopped
//    posting node status."), it is tainted node.kubernetes.io/unreachable
//    with NoSchedule and NoExecute, and the Ready condition of its pods turns
//    False at once (so endpoints stop being ready).
//  - NoExecute taints evict pods as Kubernetes' taint manager does: a pod that
//    tolerates the taint stays for its tolerationSeconds (forever without);
//    a pod without a matching toleration stays for podEvictionTimeout — the
//    300 s toleration Kubernetes' DefaultTolerationSeconds admission would
//    have given it (apiserver-lite does not add it).
//  - When heartbeats return, our taints go; the conditions are left to the node.
//  - A node that posts Ready=False itself gets node.kubernetes.io/not-ready.
import type { Node, NodeCondition, Pod, Taint, Toleration } from '../kube/api/core.js';

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
const OUR_TAINT_KEYS = [TAINT_UNREACHABLE, TAINT_NOT_READY];
const UNKNOWN_WHEN_SILENT = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeLifecycleTimings {
  /** Silence after which a node is unreachable. Kubernetes' default: 40 s. */
  nodeMonitorGracePeriodMs: number;
  /** How long pods without a matching toleration survive a NoExecute taint. Default 300 s. */
  podEvictionTimeoutMs: number;
}

export const DEFAULT_TIMINGS: NodeLifecycleTimings = { nodeMonitorGracePeriodMs: 40_000, podEvictionTimeoutMs: 300_000 };

/** What the controller remembers of a node between passes. */
export interface NodeHealth {
  /** The heartbeat values last seen (lease renewTime | Ready lastHeartbeatTime). */
  heartbeat: string;
  /** Local time (ms) at which the heartbeat last changed, or the node was first seen. */
  probeTime: number;
  /** The Ready status last acted on, for NodeReady/NodeNotReady events. */
  readyStatus?: NodeCondition['status'];
}

export interface LeaseLike {
  spec?: { renewTime?: string };
}

export function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

export function heartbeatOf(node: Node, lease: LeaseLike | undefined): string {
  return `${lease?.spec?.renewTime ?? ''}|${readyCondition(node)?.lastHeartbeatTime ?? ''}`;
}

/** A new probe time whenever either heartbeat moved; a node seen first starts its grace now. */
export function observeHeartbeat(prev: NodeHealth | undefined, node: Node, lease: LeaseLike | undefined, now: number): NodeHealth {
  const heartbeat = heartbeatOf(node, lease);
  if (!prev) return { heartbeat, probeTime: now };
  if (prev.heartbeat !== heartbeat) return { ...prev, heartbeat, probeTime: now };
  return prev;
}

export interface NodeEventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface NodePlan {
  silent: boolean;
  /** The node's whole conditions list, when it must be written (nodes/status). */
  conditions?: NodeCondition[];
  /** The node's whole taints list, when it must be written. */
  taints?: Taint[];
  /** Pods whose Ready condition must turn False now. */
  markNotReady: Pod[];
  /** Pods to delete now (grace 0: nobody is left on the node to finish a graceful deletion). */
  evict: Pod[];
  /** When to look at this node again even if nothing changes (ms, local clock). */
  recheckAt?: number;
  /** The Ready status this plan leaves the node in (store it in NodeHealth.readyStatus). */
  readyStatus: NodeCondition['status'];
  events: NodeEventSpec[];
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function silentConditions(node: Node, now: number): NodeCondition[] | undefined {
  const conds = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  const ts = rfc3339(now);
  for (const c of conds) {
    if (!UNKNOWN_WHEN_SILENT.includes(c.type) || c.status === 'Unknown') continue;
    c.status = 'Unknown';
    c.reason = 'NodeStatusUnknown';
    c.message = 'Kubelet stopped posting node status.';
    c.lastTransitionTime = ts;
    changed = true;
  }
  if (!conds.some((c) => c.type === 'Ready')) {
    conds.push({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
      ...(node.metadata.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
      lastTransitionTime: ts,
    });
    changed = true;
  }
  return changed ? conds : undefined;
}

function desiredTaints(node: Node, silent: boolean, now: number): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const want: { key: string; effect: Taint['effect'] }[] = [];
  if (silent) want.push({ key: TAINT_UNREACHABLE, effect: 'NoSchedule' }, { key: TAINT_UNREACHABLE, effect: 'NoExecute' });
  else if (readyCondition(node)?.status === 'False') want.push({ key: TAINT_NOT_READY, effect: 'NoSchedule' }, { key: TAINT_NOT_READY, effect: 'NoExecute' });
  const keep = current.filter((t) => !OUR_TAINT_KEYS.includes(t.key) || want.some((w) => w.key === t.key && w.effect === t.effect));
  const add = want.filter((w) => !current.some((t) => t.key === w.key && t.effect === w.effect));
  if (add.length === 0 && keep.length === current.length) return undefined;
  return [...keep, ...add.map((w) => ({ key: w.key, effect: w.effect, timeAdded: rfc3339(now) }))];
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/**
 * When `pod` must leave a node carrying `taints` (ms), or undefined for never.
 * Each of our NoExecute taints allows the minimum tolerationSeconds of the
 * pod's matching tolerations (none without any: forever), or the default
 * eviction timeout when nothing matches; the earliest deadline wins.
 */
export function evictionTime(pod: Pod, taints: readonly Taint[], defaultMs: number, now: number): number | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute' || !OUR_TAINT_KEYS.includes(taint.key)) continue;
    const since = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    const start = Number.isNaN(since) ? now : since;
    const matching = (pod.spec?.tolerations ?? []).filter((t) => tolerates(t, taint));
    let allowMs: number | undefined;
    if (matching.length === 0) allowMs = defaultMs;
    else {
      const secs = matching.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
      allowMs = secs.length === 0 ? undefined : Math.max(0, Math.min(...secs)) * 1000;
    }
    if (allowMs === undefined) continue;
    at = Math.min(at ?? Infinity, start + allowMs);
  }
  return at;
}

function isPodTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** The plan for one node; `pods` are the pods bound to it. */
export function planNode(node: Node, health: NodeHealth, pods: readonly Pod[], now: number, timings: NodeLifecycleTimings = DEFAULT_TIMINGS): NodePlan {
  const name = node.metadata.name ?? '';
  const silent = now > health.probeTime + timings.nodeMonitorGracePeriodMs;
  const conditions = silent ? silentConditions(node, now) : undefined;
  const taints = desiredTaints(node, silent, now);
  const effectiveTaints = taints ?? node.spec?.taints ?? [];
  const readyStatus: NodeCondition['status'] = silent ? 'Unknown' : (readyCondition(node)?.status ?? 'Unknown');
  const plan: NodePlan = { silent, markNotReady: [], evict: [], readyStatus, events: [] };
  if (conditions) plan.conditions = conditions;
  if (taints) plan.taints = taints;

  const was = health.readyStatus;
  if (was === 'True' && readyStatus !== 'True') plan.events.push({ type: 'Normal', reason: 'NodeNotReady', message: `Node ${name} status is now: NodeNotReady` });
  if (was !== undefined && was !== 'True' && readyStatus === 'True') plan.events.push({ type: 'Normal', reason: 'NodeReady', message: `Node ${name} status is now: NodeReady` });

  if (!silent) {
    plan.recheckAt = health.probeTime + timings.nodeMonitorGracePeriodMs + 1;
  }
  for (const pod of pods) {
    if (isPodTerminal(pod)) continue;
    if (silent && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) plan.markNotReady.push(pod);
    // Evict only from a node that is unreachable (or posts NotReady) right now.
    if (!effectiveTaints.some((t) => t.effect === 'NoExecute' && OUR_TAINT_KEYS.includes(t.key))) continue;
    let at: number | undefined;
    if (pod.metadata.deletionTimestamp) {
      // Already being deleted: once its grace is over, nobody on the node will finish it.
      at = silent ? Date.parse(pod.metadata.deletionTimestamp) : undefined;
    } else {
      at = evictionTime(pod, effectiveTaints, timings.podEvictionTimeoutMs, now);
    }
    if (at === undefined || Number.isNaN(at)) continue;
    if (at <= now) plan.evict.push(pod);
    else plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, at);
  }
  return plan;
}

/** The pod with its Ready condition turned False (what the controller writes to pods/status). */
export function podMarkedNotReady(pod: Pod, now: number): Pod {
  const conditions = (pod.status?.conditions ?? []).map((c) =>
    c.type === 'Ready' && c.status !== 'False'
      ? { ...c, status: 'False' as const, reason: 'NodeNotReady', message: 'Node is not ready', lastTransitionTime: rfc3339(now) }
      : c,
  );
  return { ...pod, status: { ...(pod.status ?? {}), conditions } };
}
