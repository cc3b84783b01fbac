// Plays the node agent for controller tests: pods bound to the nodes it
// serves become Running and Ready (with a pod IP) through pods/<name>/status,
// and graceful deletions of those pods are finished with gracePeriodSeconds=0,
// as the kubelet does once a pod's containers have stopped. Readiness can be
// held back per pod to exercise rollouts that wait on it. With `heartbeatMs`
// it also heartbeats for its nodes (Lease renewals, Ready=True node status)
// until stop(): one kubelet per node lets a test make a single node go silent.
import type { Lease, Node, Pod } from '../../kube/api/core.js';
import { isApiError, Leases, Nodes, Pods, type KubeClient } from '../../kube/client.js';
import { createInformer, listWatchFor } from '../../kube/informer.js';
import { WorkQueue } from '../../controllers/work-queue.js';

export interface FakeKubeletOptions {
  /** Serve only pods bound to these nodes (default: every bound pod). */
  nodes?: readonly string[];
  /** Decides whether a running pod reports Ready (default: always). Re-asked whenever the pod changes or on `refresh()`. */
  ready?: (pod: Pod) => boolean;
  /**
   * Heartbeat for each of `nodes` (required then) every this many ms: renew
   * its Lease in kube-node-lease (created if missing) and post Ready=True with
   * a fresh lastHeartbeatTime on the first beat and every tenth after, as a
   * kubelet posts status less often than it renews its lease. Default: none.
   */
  heartbeatMs?: number;
}

export interface FakeKubelet {
  /** Resolves once the kubelet has seen the initial pod list (and sent its first heartbeat). */
  readonly started: Promise<void>;
  /** Re-evaluate every pod (e.g. after changing what `ready` answers). */
  refresh(): void;
  /** Stops serving pods and heartbeating: to the cluster, its nodes go silent. */
  stop(): void;
}

// Shared by every kubelet in the process, so pods on different fake nodes never share an IP.
let nextIp = 2;
const LEASE_NAMESPACE = 'kube-node-lease';
const STATUS_EVERY_BEATS = 10;

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function startFakeKubelet(client: KubeClient, opts: FakeKubeletOptions = {}): FakeKubelet {
  const abort = new AbortController();
  const informer = createInformer<Pod>(listWatchFor<Pod>(client, Pods), { onError: () => undefined });
  const queue = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 1000 });
  const ips = new Map<string, string>();
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

  const beats = opts.heartbeatMs === undefined ? Promise.resolve() : startHeartbeats(client, opts.nodes, opts.heartbeatMs, abort.signal);
  const started = Promise.all([informer.start(abort.signal), beats]).then(() => undefined);
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

function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

/** Starts the heartbeat loop; resolves after the first beat. Failed beats are retried on the next one. */
function startHeartbeats(client: KubeClient, nodes: readonly string[] | undefined, intervalMs: number, signal: AbortSignal): Promise<void> {
  if (!nodes || nodes.length === 0) throw new Error('fake kubelet: heartbeatMs needs the nodes to heartbeat for');
  const readySince = rfc3339(new Date());
  const renewLease = async (node: string): Promise<void> => {
    const renewTime = microTime(new Date());
    try {
      await client.patch<Lease>(Leases, node, 'merge', { spec: { holderIdentity: node, renewTime } }, { namespace: LEASE_NAMESPACE });
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: node, namespace: LEASE_NAMESPACE },
        spec: { holderIdentity: node, leaseDurationSeconds: Math.max(1, Math.ceil((intervalMs * 4) / 1000)), renewTime },
      };
      await client.create<Lease>(Leases, lease, { namespace: LEASE_NAMESPACE });
    }
  };
  // The whole conditions list, as a kubelet owns it: Ready=True since this agent started.
  const postStatus = (node: string): Promise<Node> =>
    client.patch<Node>(
      Nodes,
      node,
      'merge',
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: rfc3339(new Date()), lastTransitionTime: readySince },
          ],
        },
      },
      { subresource: 'status' },
    );
  let beat = 0;
  const once = async (): Promise<void> => {
    const withStatus = beat++ % STATUS_EVERY_BEATS === 0;
    await Promise.allSettled(nodes.flatMap((n) => (withStatus ? [renewLease(n), postStatus(n)] : [renewLease(n)])));
  };
  // Chained timeouts, not an interval: a slow beat never piles up behind itself.
  let timer: NodeJS.Timeout | undefined;
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  const loop = (): void => {
    if (!signal.aborted) timer = setTimeout(() => void once().then(loop), intervalMs);
  };
  return once().then(loop);
}
