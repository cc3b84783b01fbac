// The node lifecycle controller: Nodes + node Leases + Pods informers → a
// queue of node names → planNode (pure) → the writes: node conditions through
// nodes/status, taints on the Node, pods' Ready=False through pods/status,
// and evictions. Every write carries the cached resourceVersion; a conflict
// is retried with the newer object. Each pass schedules the next look at the
// node (end of its grace period, next eviction), so a node that goes quiet is
// noticed without any event.
//
// Eviction deletes with gracePeriodSeconds=0. A graceful deletion would wait
// for the node agent to confirm, and the agent is exactly what is gone:
// Kubernetes leaves such pods Terminating until the node returns or is
// removed; here they would stay forever. The ReplicaSet (which ignores
// terminating pods anyway) recreates them on healthy nodes either way. The
// cost, as in a forced `kubectl delete --force`, is that a pod still running
// behind a network partition is not stopped by anyone until its node agent
// reconnects and finds the pod gone.
import type { Lease, Node, Pod } from '../kube/api/core.js';
import { Leases, Nodes, Pods, isApiError } from '../kube/client.js';
import type { Controller, ControllerContext } from './controller-context.js';
import {
  DEFAULT_TIMINGS,
  observeHeartbeat,
  planNode,
  podMarkedNotReady,
  type NodeHealth,
  type NodeLifecycleTimings,
} from './node-lifecycle-health.js';
import { WorkQueue } from './work-queue.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions extends Partial<NodeLifecycleTimings> {
  now?: () => number;
  workers?: number;
}

export function createNodeLifecycleController(opts: NodeLifecycleOptions = {}): Controller {
  const timings: NodeLifecycleTimings = {
    nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs ?? DEFAULT_TIMINGS.nodeMonitorGracePeriodMs,
    podEvictionTimeoutMs: opts.podEvictionTimeoutMs ?? DEFAULT_TIMINGS.podEvictionTimeoutMs,
  };
  const now = opts.now ?? Date.now;
  return {
    name: 'nodelifecycle',
    setup(ctx: ControllerContext) {
      const nodes = ctx.informers.for<Node>(Nodes);
      const leases = ctx.informers.for<Lease>(Leases);
      const pods = ctx.informers.for<Pod>(Pods);
      const queue = new WorkQueue();
      const health = new Map<string, NodeHealth>();
      const enqueueName = (name: string | undefined) => {
        if (name) queue.add(name);
      };
      nodes.on({ add: (n) => enqueueName(n.metadata.name), update: (_o, c) => enqueueName(c.metadata.name), delete: (n) => enqueueName(n.metadata.name) });
      const onLease = (l: Lease) => {
        if (l.metadata.namespace === NODE_LEASE_NAMESPACE) enqueueName(l.metadata.name);
      };
      leases.on({ add: onLease, update: (_o, c) => onLease(c), delete: onLease });
      // Pods matter only on a node we consider down (a pod bound there late must be marked too).
      const onPod = (p: Pod) => {
        const n = p.spec?.nodeName;
        if (n && health.get(n)?.readyStatus !== undefined && health.get(n)?.readyStatus !== 'True') queue.add(n);
      };
      pods.on({ add: onPod, update: (_o, c) => onPod(c), delete: () => undefined });

      const reconcile = async (name: string): Promise<void> => {
        const node = nodes.get('', name);
        if (!node) {
          health.delete(name);
          return;
        }
        const t = now();
        const h = observeHeartbeat(health.get(name), node, leases.get(NODE_LEASE_NAMESPACE, name), t);
        health.set(name, h);
        const onNode = pods.list().filter((p) => p.spec?.nodeName === name);
        const plan = planNode(node, h, onNode, t, timings);

        let current = node;
        if (plan.conditions) {
          current = await ctx.client.update(Nodes, { ...current, status: { ...(current.status ?? {}), conditions: plan.conditions } }, { subresource: 'status' });
        }
        if (plan.taints) {
          current = await ctx.client.update(Nodes, { ...current, spec: { ...(current.spec ?? {}), taints: plan.taints } });
        }
        // Only now is the state the events describe in the API.
        health.set(name, { ...h, readyStatus: plan.readyStatus });
        for (const e of plan.events) ctx.events.event(current, e.type, e.reason, e.message);

        const results = await Promise.allSettled([
          ...plan.markNotReady.map(async (p) => {
            await ctx.client.update(Pods, podMarkedNotReady(p, t), { subresource: 'status' });
            ctx.events.event(p, 'Warning', 'NodeNotReady', 'Node is not ready');
          }),
          ...plan.evict.map(async (p) => {
            ctx.events.event(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`);
            await ctx.client.delete(Pods, p.metadata.name ?? '', {
              namespace: p.metadata.namespace ?? '',
              gracePeriodSeconds: 0,
              ...(p.metadata.uid ? { preconditions: { uid: p.metadata.uid } } : {}),
            });
          }),
        ]);
        if (plan.recheckAt !== undefined) queue.addAfter(name, Math.max(1, plan.recheckAt - t));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isApiError(r.reason, 404));
        if (failed) throw failed.reason;
      };

      return {
        async run() {
          await queue.runUntil(ctx.signal, reconcile, opts.workers ?? 2, (key, err) => {
            if (!isApiError(err, 409)) ctx.log(`nodelifecycle: node="${key}": ${(err as Error).message ?? String(err)}`);
          });
        },
      };
    },
  };
}

export const nodeLifecycleController: Controller = createNodeLifecycleController();
