// The scheduler against the real `netkube apiserver`: binds through
// pods/binding, explains in the pod's PodScheduled condition and in a
// FailedScheduling event why a pod fits nowhere, retries when nodes change,
// never overcommits a node when many pods arrive at once, and spreads the
// replicas of one owner.
import { setMaxListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Node, Pod, Toleration } from '../kube/api/core.js';
import { Events, KubeClient, Namespaces, Nodes, Pods } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { SharedInformers, type ControllerContext } from '../controllers/controller-context.js';
import { EventRecorder } from '../controllers/event-recorder.js';
import { createScheduler } from '../controllers/scheduler-controller.js';
import { cleanup, eventually, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';

let server: ApiServerProcess;
let client: KubeClient;
const stop = new AbortController();
const logs: string[] = [];

beforeAll(async () => {
  setMaxListeners(64, stop.signal);
  server = await startApiServer({ store: 'memory' });
  client = new KubeClient(await loadKubeconfig(server.kubeconfigPath));
  const informers = new SharedInformers(client, { onError: (e) => logs.push(String(e)) });
  const ctx: ControllerContext = { client, informers, events: new EventRecorder(client, 'default-scheduler'), log: (m) => logs.push(m), signal: stop.signal };
  // Short retry delays so the backoff path is exercised within the test.
  const run = createScheduler({ backoffMs: { initial: 200, max: 1000 } }).setup(ctx);
  await informers.start(stop.signal);
  void run.run();
  await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sched' } });
});
afterAll(async () => {
  stop.abort();
  client?.close();
  await cleanup();
});

const ns = 'sched';

async function addNode(name: string, cpu: string, labels: Record<string, string> = {}): Promise<void> {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
  await client.create(Nodes, node);
}

interface PodOpts {
  cpu?: string;
  owner?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

async function addPod(name: string, o: PodOpts = {}): Promise<void> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'busybox', ...(o.cpu ? { resources: { requests: { cpu: o.cpu } } } : {}) }],
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
  };
  await client.create(Pods, pod, { namespace: ns });
}

const getPod = (name: string): Promise<Pod> => client.get<Pod>(Pods, name, { namespace: ns });
const scheduledCondition = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled');

async function eventsFor(name: string): Promise<Event[]> {
  return (await client.list<Event>(Events, { namespace: ns })).items.filter((e) => e.involvedObject.name === name);
}

describe('scheduler', () => {
  it('marks a pod that fits nowhere Unschedulable with the reasons, and binds it once a node with room appears', async () => {
    await addNode('node-a', '1');
    await addNode('node-b', '1');
    await addPod('big', { cpu: '2' });
    const message = '0/2 nodes are available: 2 Insufficient cpu.';
    const pending = await eventually(async () => {
      const p = await getPod('big');
      return scheduledCondition(p)?.reason === 'Unschedulable' ? p : undefined;
    }, 'PodScheduled=False/Unschedulable');
    expect(scheduledCondition(pending)).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect(pending.spec?.nodeName).toBeUndefined();
    await eventually(async () => (await eventsFor('big')).some((e) => e.type === 'Warning' && e.reason === 'FailedScheduling' && e.message === message), 'a FailedScheduling event');

    await addNode('node-c', '4');
    const bound = await eventually(async () => {
      const p = await getPod('big');
      return p.spec?.nodeName ? p : undefined;
    }, 'the pod to be bound after node-c appeared');
    expect(bound.spec?.nodeName).toBe('node-c');
    expect(scheduledCondition(bound)?.status).toBe('True');
    await eventually(async () => (await eventsFor('big')).some((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned ${ns}/big to node-c`), 'a Scheduled event');
  });

  it('binds a burst of pods without overcommitting any node', async () => {
    // Free cpu now: node-a 1, node-b 1, node-c 2 → room for exactly four 1-cpu pods.
    for (let i = 0; i < 6; i++) await addPod(`burst-${i}`, { cpu: '1' });
    const pods = await eventually(async () => {
      const items = (await client.list<Pod>(Pods, { namespace: ns })).items.filter((p) => p.metadata.name!.startsWith('burst-'));
      const settled = items.filter((p) => p.spec?.nodeName || scheduledCondition(p)?.reason === 'Unschedulable');
      return settled.length === 6 ? items : undefined;
    }, 'every burst pod bound or marked unschedulable');
    const bound = pods.filter((p) => p.spec?.nodeName);
    expect(bound).toHaveLength(4);
    const perNode = (n: string) => bound.filter((p) => p.spec?.nodeName === n).length;
    expect([perNode('node-a'), perNode('node-b'), perNode('node-c')]).toEqual([1, 1, 2]);
    for (const p of pods.filter((x) => !x.spec?.nodeName)) {
      expect(scheduledCondition(p)?.message).toBe('0/3 nodes are available: 3 Insufficient cpu.');
    }
    for (const p of pods.filter((x) => !x.spec?.nodeName)) await client.delete(Pods, p.metadata.name!, { namespace: ns });
  });

  it('spreads the replicas of one owner across nodes', async () => {
    for (let i = 0; i < 6; i++) await addPod(`spread-${i}`, { owner: 'web' });
    const pods = await eventually(async () => {
      const items = (await client.list<Pod>(Pods, { namespace: ns })).items.filter((p) => p.metadata.name!.startsWith('spread-'));
      return items.every((p) => p.spec?.nodeName) ? items : undefined;
    }, 'all replicas bound');
    const counts = ['node-a', 'node-b', 'node-c'].map((n) => pods.filter((p) => p.spec?.nodeName === n).length);
    expect(counts).toEqual([2, 2, 2]);
  });

  it('honours nodeSelector and NoSchedule taints, and retries when a node changes', async () => {
    await addPod('picky', { nodeSelector: { disk: 'ssd' } });
    await eventually(
      async () => scheduledCondition(await getPod('picky'))?.message === "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
      'a selector message',
    );
    await client.patch(Nodes, 'node-c', 'merge', { metadata: { labels: { disk: 'ssd' } }, spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    await eventually(
      async () =>
        scheduledCondition(await getPod('picky'))?.message ===
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector.",
      'the message to follow the node change',
    );
    await addPod('tolerant', { nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] });
    await eventually(async () => (await getPod('tolerant')).spec?.nodeName === 'node-c', 'the tolerating pod on node-c');
    expect((await getPod('picky')).spec?.nodeName).toBeUndefined();
    await client.patch(Nodes, 'node-c', 'merge', { spec: { taints: null } });
    await eventually(async () => (await getPod('picky')).spec?.nodeName === 'node-c', 'picky bound once the taint is gone');
  });

  it('leaves pods for another scheduler and pods with a nodeName alone', async () => {
    await client.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: ns }, spec: { schedulerName: 'other-scheduler', containers: [{ name: 'c', image: 'x' }] } }, { namespace: ns });
    await client.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pinned', namespace: ns }, spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'x' }] } }, { namespace: ns });
    // A pod created after them that is scheduled proves the scheduler has seen them.
    await addPod('marker');
    await eventually(async () => (await getPod('marker')).spec?.nodeName, 'marker bound');
    expect((await getPod('other')).spec?.nodeName).toBeUndefined();
    expect(scheduledCondition(await getPod('other'))).toBeUndefined();
    expect((await getPod('pinned')).spec?.nodeName).toBe('node-b');
    expect((await eventsFor('pinned')).filter((e) => e.reason === 'Scheduled')).toEqual([]);
  });
});
