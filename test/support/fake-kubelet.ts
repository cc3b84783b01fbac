// Plays the node agent for controller tests: pods bound to the nodes it
// serves become Running and Ready (with a pod IP) through pods/<name>/status,
// and graceful deletions of those pods are finished with gracePeriodSeconds=0,
// as the kubelet does once a pod's containers have stopped. Readiness can be
// held back per pod to exercise rollouts that wait on it.
import type { Pod } from '../../kube/api/core.js';
import { isApiError, Pods, type KubeClient } from '../../kube/client.js';
import { createInformer, listWatchFor } from '../../kube/informer.js';
import { WorkQueue } from '../../controllers/work-queue.js';

export interface FakeKubeletOptions {
  /** Serve only pods bound to these nodes (default: every bound pod). */
  nodes?: readonly string[];
  /** Decides whether a running pod reports Ready (default: always). Re-asked whenever the pod changes or on `refresh()`. */
  ready?: (pod: Pod) => boolean;
}

export interface FakeKubelet {
  /** Resolves once the kubelet has seen the initial pod list. */
  readonly started: Promise<void>;
  /** Re-evaluate every pod (e.g. after changing what `ready` answers). */
  refresh(): void;
  stop(): void;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function startFakeKubelet(client: KubeClient, opts: FakeKubeletOptions = {}): FakeKubelet {
  const abort = new AbortController();
  const informer = createInformer<Pod>(listWatchFor<Pod>(client, Pods), { onError: () => undefined });
  const queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 1000 });
  const ips = new Map<string, string>();
  let nextIp = 2;
  const serves = (p: Pod): boolean => !!p.spec?.nodeName && (!opts.nodes || opts.nodes.includes(p.spec.nodeName));
  const key = (p: Pod): string => `${p.metadata.namespace}/${p.metadata.name}`;
  informer.on({
    add: (p) => serves(p) && queue.add(key(p)),
    update: (_o, p) => serves(p) && queue.add(key(p)),
    delete: (p) => ips.delete(p.metadata.uid ?? ''),
  });

  const sync = async (k: string): Promise<void> => {
    const [namespace, name] = k.split('/') as [string, string];
    const pod = informer.get(namespace, name);
    if (!pod || !serves(pod)) return;
    if (pod.metadata.deletionTimestamp) {
      try {
        await client.delete(Pods, name, { namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } });
      } catch (e) {
        if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
      }
      return;
    }
    const uid = pod.metadata.uid ?? '';
    let ip = ips.get(uid);
    if (!ip) {
      ip = `10.244.${Math.floor(nextIp / 250)}.${(nextIp % 250) + 2}`;
      nextIp++;
      ips.set(uid, ip);
    }
    const ready = opts.ready ? opts.ready(pod) : true;
    const prevReady = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (pod.status?.phase === 'Running' && pod.status.podIP && (prevReady?.status === 'True') === ready) return;
    const now = rfc3339(new Date());
    const readyStatus = ready ? 'True' : 'False';
    const since = prevReady?.status === readyStatus && prevReady.lastTransitionTime ? prevReady.lastTransitionTime : now;
    const status: Pod['status'] = {
      ...pod.status,
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: '172.18.0.10',
      startTime: pod.status?.startTime ?? now,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: readyStatus, lastTransitionTime: since },
        { type: 'Ready', status: readyStatus, lastTransitionTime: since },
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        ready,
        started: true,
        restartCount: 0,
        image: c.image ?? '',
        imageID: '',
        state: { running: { startedAt: now } },
      })),
    };
    try {
      await client.update(Pods, { ...pod, status }, { subresource: 'status' });
    } catch (e) {
      if (isApiError(e, 404)) return;
      throw e; // 409: a newer pod is on its way through the informer; retried
    }
  };

  const started = informer.start(abort.signal);
  void queue.run(sync, 8);
  return {
    started,
    refresh: () => {
      for (const p of informer.list()) if (serves(p)) queue.add(key(p));
    },
    stop: () => {
      queue.stop();
      abort.abort();
    },
  };
}
