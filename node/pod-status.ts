// The status the agent reports for a pod, computed from what it knows about
// the pod's sandbox and containers. Pure: the caller passes the clock, and
// the previous status so that lastTransitionTime only moves when a condition
// changes and the agent writes only when something changed.
import type { ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../kube/api/core.js';
import { shouldRestart } from './restart-backoff.js';

/** One container, as the agent tracks it. Times are RFC 3339. */
export interface ContainerView {
  name: string;
  image: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  /** Readiness: running and the readiness probe (if any) succeeds. */
  ready: boolean;
  /** Running and past its startup probe (if any). */
  started: boolean;
  containerID?: string;
}

export interface PodView {
  hostIP: string;
  podIPs: string[];
  /** When the agent first acted on the pod. */
  startTime?: string;
  sandboxReady: boolean;
  containers: ContainerView[];
  /** A reason that applies to the whole pod (e.g. a sandbox failure), shown in status.message. */
  message?: string;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function podPhase(pod: Pod, view: PodView): NonNullable<PodStatus['phase']> {
  const cs = view.containers;
  if (cs.length === 0) return 'Pending';
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let waitingFirst = 0;
  let running = 0;
  let succeeded = 0;
  let failed = 0;
  for (const c of cs) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      if (c.state.terminated.exitCode === 0) succeeded++;
      else failed++;
    } else if (c.lastState?.terminated) {
      // Waiting to restart (CrashLoopBackOff): the pod is still running as far as its phase goes.
      running++;
    } else waitingFirst++;
  }
  if (waitingFirst > 0) return 'Pending';
  if (running > 0) return 'Running';
  // Every container has terminated.
  if (policy === 'Always') return 'Running';
  if (policy === 'OnFailure') return failed > 0 ? 'Running' : 'Succeeded';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

/** True once no container will run again: the pod's phase is final. */
export function isTerminal(pod: Pod, view: PodView): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return (
    view.containers.length > 0 &&
    view.containers.every((c) => c.state.terminated && !shouldRestart(policy, c.state.terminated.exitCode))
  );
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  const c: PodCondition = { type, status: ok ? 'True' : 'False' };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function computePodStatus(pod: Pod, view: PodView, nowMs: number): PodStatus {
  const phase = podPhase(pod, view);
  const previous = pod.status?.conditions ?? [];
  const unready = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const allReady = view.containers.length > 0 && unready.length === 0;
  const done = phase === 'Succeeded' || phase === 'Failed';
  const notReadyReason = done ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = done ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const conds: PodCondition[] = [
    condition('PodReadyToStartContainers', view.sandboxReady),
    condition('Initialized', true),
    condition('Ready', allReady && !done, notReadyReason, notReadyMessage),
    condition('ContainersReady', allReady && !done, notReadyReason, notReadyMessage),
    // The scheduler's condition is kept; a pod created with spec.nodeName never had one, and the kubelet adds it.
    previous.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true),
  ];
  const now = rfc3339(nowMs);
  const conditions = conds.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    const same = before && before.status === c.status;
    return { ...c, lastProbeTime: null, lastTransitionTime: same && before.lastTransitionTime ? before.lastTransitionTime : now };
  });

  const status: PodStatus = { phase, conditions, hostIP: view.hostIP, hostIPs: [{ ip: view.hostIP }] };
  if (view.podIPs.length > 0) {
    status.podIP = view.podIPs[0]!;
    status.podIPs = view.podIPs.map((ip) => ({ ip }));
  }
  if (view.startTime) status.startTime = view.startTime;
  if (view.message) status.message = view.message;
  status.containerStatuses = view.containers.map(toContainerStatus);
  status.qosClass = pod.status?.qosClass ?? 'BestEffort';
  return status;
}

function toContainerStatus(c: ContainerView): ContainerStatus {
  const s: ContainerStatus = {
    name: c.name,
    state: c.state,
    lastState: c.lastState ?? {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: imageID(c.image),
    started: c.started,
  };
  if (c.containerID) s.containerID = c.containerID;
  return s;
}

/** Images are not pulled; the ID names the image as this agent resolved it. */
export function imageID(image: string): string {
  return `netkube://${image}`;
}

/** Whether writing `next` would change what the API server has (ignores key order). */
export function statusDiffers(current: PodStatus | undefined, next: PodStatus): boolean {
  return canonical(current ?? {}) !== canonical(next);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );
}
