// The controller manager: runs the selected controllers (and the scheduler)
// as ordinary API clients sharing one set of informers. `netkube apiserver`
// runs it in-process by default; `netkube controller-manager` runs it alone
// against any API server. Selection uses kube-controller-manager's
// --controllers syntax: "*" = all, "name" = enable, "-name" = disable.
import { setMaxListeners } from 'node:events';
import type { KubeClient } from '../kube/client.js';
import { SharedInformers, type Controller, type ControllerContext } from './controller-context.js';
import { deploymentController } from './deployment-controller.js';
import { createEndpointsController } from './endpoints-controller.js';
import { createEndpointSliceController } from './endpointslice-controller.js';
import { EventRecorder } from './event-recorder.js';
import { createGarbageCollector } from './garbage-collector-controller.js';
import { createNodeIpamController } from './node-ipam-controller.js';
import { createNodeLifecycleController } from './node-lifecycle-controller.js';
import { createReplicaSetController } from './replicaset-controller.js';
import { createScheduler } from './scheduler-controller.js';
import { statefulSetController } from './statefulset-controller.js';

export interface ControllerManagerOptions {
  /** --cluster-cidr for node IPAM. */
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  /** Node lifecycle: silence before a node is NotReady (default 40 s) and before its pods are evicted (default 300 s). */
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
}

export function buildControllers(o: ControllerManagerOptions = {}): Controller[] {
  return [
    createEndpointSliceController(),
    createEndpointsController(),
    createNodeIpamController({
      ...(o.clusterCIDR ? { clusterCIDR: o.clusterCIDR } : {}),
      ...(o.nodeCIDRMaskSize ? { nodeCIDRMaskSize: o.nodeCIDRMaskSize } : {}),
    }),
    createNodeLifecycleController({
      ...(o.nodeMonitorGracePeriodMs ? { nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs } : {}),
      ...(o.podEvictionTimeoutMs ? { podEvictionTimeoutMs: o.podEvictionTimeoutMs } : {}),
    }),
    createScheduler(),
    createReplicaSetController(),
    deploymentController,
    statefulSetController,
    createGarbageCollector(),
  ];
}

/** Apply a --controllers list ("*,-scheduler", "endpointslice,nodeipam") to the known controllers. */
export function selectControllers(spec: string, all: readonly Controller[]): Controller[] {
  const names = new Set(all.map((c) => c.name));
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    const n = item.replace(/^-/, '');
    if (n !== '*' && !names.has(n)) {
      throw new Error(`--controllers: unknown controller "${n}" (known: ${[...names].join(', ')})`);
    }
  }
  const star = items.includes('*');
  return all.filter((c) => (items.includes(c.name) || star) && !items.includes(`-${c.name}`));
}

export interface RunningControllers {
  names: string[];
  stop(): Promise<void>;
}

/** Start the controllers; resolves once their informers have synced and they are running. */
export async function runControllerManager(
  client: KubeClient,
  controllers: readonly Controller[],
  log: (msg: string) => void,
): Promise<RunningControllers> {
  const abort = new AbortController();
  // Every informer and controller listens on this one signal.
  setMaxListeners(64 + 8 * controllers.length, abort.signal);
  const informers = new SharedInformers(client, { onError: (e) => log(`informer: ${e instanceof Error ? e.message : String(e)}`) });
  const events = new EventRecorder(client, 'netkube-controller-manager', undefined, undefined, (e) => log(`event: ${(e as Error).message}`));
  const ctx: ControllerContext = { client, informers, events, log, signal: abort.signal };
  const runners = controllers.map((c) => ({ name: c.name, runner: c.setup({ ...ctx, log: (m) => log(`${c.name}: ${m}`) }) }));
  await informers.start(abort.signal);
  const done = runners.map(({ name, runner }) =>
    runner.run().catch((e: unknown) => log(`controller ${name} stopped: ${e instanceof Error ? e.message : String(e)}`)),
  );
  return {
    names: runners.map((r) => r.name),
    async stop() {
      abort.abort();
      await Promise.allSettled(done);
    },
  };
}
