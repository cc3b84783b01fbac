// The scheduler: watches Pods and Nodes, and binds each pending pod through
// pods/<name>/binding to the node scheduler-decision.ts picks. A pod's
// decision and its "assumed" placement happen in one synchronous step, so
// however many bindings are in flight at once, each decision already counts
// the pods placed before it (Kubernetes' assume-then-bind). A pod that fits
// nowhere gets PodScheduled=False/Unschedulable and a FailedScheduling event,
// and is tried again with backoff and whenever nodes change or room frees up.
import type { Node, Pod } from '../kube/api/core.js';
import { isApiError, Nodes, Pods } from '../kube/client.js';
import type { Controller, ControllerContext } from './controller-context.js';
import { keyOf, podCondition, splitKey } from './pod-status.js';
import { decide, NodeUsage, needsScheduling } from './scheduler-decision.js';
import { WorkQueue } from './work-queue.js';

export interface SchedulerOptions {
  schedulerName?: string;
  /** Bindings in flight at once. Default 16. */
  concurrency?: number;
  /** Retry delays for an unschedulable pod: initial, doubling to max. Default 1 s → 10 s (Kubernetes' pod backoff). */
  backoffMs?: { initial: number; max: number };
}

export function createScheduler(opts: SchedulerOptions = {}): Controller {
  const schedulerName = opts.schedulerName ?? 'default-scheduler';
  const backoff = opts.backoffMs ?? { initial: 1000, max: 10_000 };
  return {
    name: 'scheduler',
    setup(ctx: ControllerContext) {
      const pods = ctx.informers.for<Pod>(Pods);
      const nodes = ctx.informers.for<Node>(Nodes);
      const queue = new WorkQueue();
      const usage = new NodeUsage();
      /** Pods we bound whose binding the pod informer has not shown yet. */
      const assumed = new Set<string>();
      /** Pods that fit nowhere, with their current retry delay. */
      const unschedulable = new Map<string, number>();

      const retryUnschedulable = (): void => {
        for (const key of unschedulable.keys()) queue.add(key);
      };

      pods.on({
        add: (p) => {
          const key = keyOf(p);
          usage.observe(key, p);
          if (needsScheduling(p, schedulerName)) queue.add(key);
        },
        update: (old, p) => {
          const key = keyOf(p);
          if (assumed.has(key) && !p.spec?.nodeName) {
            // Our binding is in flight and this event predates it: keep the assumption.
          } else {
            assumed.delete(key);
            usage.observe(key, p);
          }
          // A pod waiting out its backoff comes back on its timer, not on the echo of our own status write.
          const backingOff = unschedulable.has(key) && JSON.stringify(old.spec) === JSON.stringify(p.spec);
          if (needsScheduling(p, schedulerName) && !backingOff) queue.add(key);
          // A pod finishing frees room on its node.
          if (old.spec?.nodeName && !isFinished(old) && isFinished(p)) retryUnschedulable();
        },
        delete: (p) => {
          const key = keyOf(p);
          assumed.delete(key);
          unschedulable.delete(key);
          const wasBound = !!(usage.nodeOf(key));
          usage.remove(key);
          if (wasBound) retryUnschedulable();
        },
      });
      nodes.on({
        add: () => retryUnschedulable(),
        update: (old, n) => {
          if (old.metadata.resourceVersion !== n.metadata.resourceVersion && nodeSchedulingChanged(old, n)) retryUnschedulable();
        },
        delete: () => undefined,
      });

      const reconcile = async (key: string): Promise<void> => {
        const { namespace, name } = splitKey(key);
        const pod = pods.get(namespace, name);
        if (!pod || !needsScheduling(pod, schedulerName) || assumed.has(key)) {
          unschedulable.delete(key);
          return;
        }
        const decision = decide(pod, nodes.list().map((n) => usage.view(n)));
        if (decision.node === undefined) {
          const delay = unschedulable.get(key) ?? backoff.initial;
          unschedulable.set(key, Math.min(backoff.max, delay * 2));
          queue.addAfter(key, delay);
          await markUnschedulable(ctx, pod, decision.message);
          return;
        }
        const nodeName = decision.node;
        // Assume before the first await: the next decision already sees this pod on its node.
        usage.set(key, pod, nodeName);
        assumed.add(key);
        unschedulable.delete(key);
        try {
          await ctx.client.create(
            Pods,
            { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
            { namespace, name, subresource: 'binding' },
          );
        } catch (e) {
          if (assumed.delete(key)) {
            const current = pods.get(namespace, name);
            if (current) usage.observe(key, current);
            else usage.remove(key);
          }
          // 404: the pod is gone; 409: someone else bound it or it is being deleted. Neither is ours to retry.
          if (isApiError(e, 404) || isApiError(e, 409)) return;
          throw e;
        }
        ctx.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`);
      };

      return {
        async run() {
          await queue.runUntil(ctx.signal, reconcile, opts.concurrency ?? 16, (key, err) => ctx.log(`scheduler: ${key}: ${(err as Error).message ?? String(err)}`));
        },
      };
    },
  };
}

export const schedulerController: Controller = createScheduler();

function isFinished(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** Only changes that can make a pod fit are worth a retry (heartbeats are not). */
function nodeSchedulingChanged(old: Node, cur: Node): boolean {
  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return (
    ready(old) !== ready(cur) ||
    JSON.stringify(old.spec ?? {}) !== JSON.stringify(cur.spec ?? {}) ||
    JSON.stringify(old.status?.allocatable ?? {}) !== JSON.stringify(cur.status?.allocatable ?? {}) ||
    JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})
  );
}

async function markUnschedulable(ctx: ControllerContext, pod: Pod, message: string): Promise<void> {
  const current = podCondition(pod, 'PodScheduled');
  const isNew = !(current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message);
  ctx.events.event(pod, 'Warning', 'FailedScheduling', message);
  if (!isNew) return;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const others = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  const conditions = [
    ...others,
    {
      type: 'PodScheduled',
      status: 'False' as const,
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: current?.status === 'False' && current.lastTransitionTime ? current.lastTransitionTime : now,
    },
  ];
  try {
    await ctx.client.update(Pods, { ...pod, status: { ...pod.status, phase: pod.status?.phase ?? 'Pending', conditions } }, { subresource: 'status' });
  } catch (e) {
    // A stale copy (409) or a pod that went away (404): the next event brings it back if it still matters.
    if (!isApiError(e, 409) && !isApiError(e, 404)) throw e;
  }
}
