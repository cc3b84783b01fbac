// The workload controllers (scheduler, ReplicaSet, Deployment, StatefulSet,
// garbage collector) against the real `netkube apiserver`, with a fake
// kubelet making bound pods Running and Ready and finishing their graceful
// deletions. Assertions are on what the API (and kubectl) shows.
import { setMaxListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, Node, Pod, ReplicaSet, StatefulSet } from '../kube/api/core.js';
import { Deployments, KubeClient, Namespaces, Nodes, Pods, ReplicaSets, StatefulSets } from '../kube/client.js';
import { createInformer, listWatchFor, type Informer } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { deploymentController } from '../controllers/deployment-controller.js';
import { garbageCollectorController } from '../controllers/garbage-collector-controller.js';
import { isPodReady } from '../controllers/pod-status.js';
import { replicaSetController } from '../controllers/replicaset-controller.js';
import { schedulerController } from '../controllers/scheduler-controller.js';
import { statefulSetController } from '../controllers/statefulset-controller.js';
import { runControllers } from './support/controllers.js';
import { cleanup, eventually, kubectlFor, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';
import { startFakeKubelet, type FakeKubelet } from './support/fake-kubelet.js';

let server: ApiServerProcess;
let client: KubeClient;
let kubelet: FakeKubelet;
let pods: Informer<Pod>;
const stop = new AbortController();
const logs: string[] = [];
/** Images whose pods the fake kubelet keeps not-ready (to hold a rollout at its limit). */
const unready = new Set<string>();


function node(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      capacity: { cpu: '8', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
    },
  };
}

beforeAll(async () => {
  setMaxListeners(64, stop.signal); // one listener per informer and controller
  server = await startApiServer({ store: 'memory' });
  client = new KubeClient(await loadKubeconfig(server.kubeconfigPath));
  for (const n of ['node-1', 'node-2', 'node-3']) await client.create(Nodes, node(n));
  kubelet = startFakeKubelet(client, { ready: (p) => !unready.has(p.spec?.containers[0]?.image ?? '') });
  await kubelet.started;
  pods = createInformer<Pod>(listWatchFor<Pod>(client, Pods), { onError: () => undefined });
  await pods.start(stop.signal);
  await runControllers(client, [schedulerController, replicaSetController, deploymentController, statefulSetController, garbageCollectorController], stop.signal, logs);
});
afterAll(async () => {
  if (process.env.DEBUG_LOGS) console.log(logs.join('\n'));
  stop.abort();
  kubelet?.stop();
  client?.close();
  await cleanup();
});

async function namespace(name: string): Promise<string> {
  await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function deployment(ns: string, name: string, replicas: number, image = 'nginx:1', rolling = { maxSurge: 1 as number | string, maxUnavailable: 1 as number | string }): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image, resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: rolling },
    },
  };
}

const livePods = (ns: string, app: string): Pod[] =>
  pods.list().filter((p) => p.metadata.namespace === ns && p.metadata.labels?.['app'] === app && !p.metadata.deletionTimestamp);

async function listRS(ns: string): Promise<ReplicaSet[]> {
  return (await client.list<ReplicaSet>(ReplicaSets, { namespace: ns })).items;
}

describe('Deployment, ReplicaSet and scheduler together', () => {
  it('scales 0 → 5 → 2, and the pods follow', async () => {
    const ns = await namespace('scale');
    await client.create(Deployments, deployment(ns, 'web', 0), { namespace: ns });
    const rs = await eventually(async () => (await listRS(ns))[0], 'the Deployment to make its ReplicaSet');
    expect(rs.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.spec?.selector.matchLabels?.['pod-template-hash']).toBe(rs.metadata.labels?.['pod-template-hash']);
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true, blockOwnerDeletion: true });

    await client.patch(Deployments, 'web', 'merge', { spec: { replicas: 5 } }, { namespace: ns });
    await eventually(() => livePods(ns, 'web').filter((p) => isPodReady(p) && p.spec?.nodeName).length === 5, '5 ready, scheduled pods', 20_000);
    const five = livePods(ns, 'web');
    expect(five.every((p) => p.metadata.generateName === `${rs.metadata.name}-` && p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid)).toBe(true);
    // Spread: 5 replicas over 3 nodes is 2/2/1.
    const perNode = [...new Set(five.map((p) => p.spec!.nodeName!))].map((n) => five.filter((p) => p.spec!.nodeName === n).length).sort();
    expect(perNode).toEqual([1, 2, 2]);
    await eventually(async () => {
      const d = await client.get<Deployment>(Deployments, 'web', { namespace: ns });
      return d.status?.availableReplicas === 5 && d.status.updatedReplicas === 5 && d.status.replicas === 5 && d.status.observedGeneration === d.metadata.generation;
    }, 'Deployment status 5/5');

    await client.patch(Deployments, 'web', 'merge', { spec: { replicas: 2 } }, { namespace: ns });
    await eventually(async () => {
      const all = (await client.list<Pod>(Pods, { namespace: ns })).items;
      return all.length === 2 && all.every(isPodReady);
    }, 'exactly 2 pods left', 20_000);
    await eventually(async () => {
      const r = await client.get<ReplicaSet>(ReplicaSets, rs.metadata.name!, { namespace: ns });
      return r.status?.replicas === 2 && r.status.readyReplicas === 2 && r.status.availableReplicas === 2;
    }, 'ReplicaSet status 2/2');
    const events = (await client.request<{ items: { reason: string; message: string; involvedObject: { kind: string } }[] }>('GET', `/api/v1/namespaces/${ns}/events`)).items;
    expect(events.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set ${rs.metadata.name} to 5 from 0`)).toBe(true);
    expect(events.some((e) => e.reason === 'SuccessfulCreate' && e.involvedObject.kind === 'ReplicaSet')).toBe(true);
    expect(events.some((e) => e.reason === 'SuccessfulDelete' && e.involvedObject.kind === 'ReplicaSet')).toBe(true);
    expect(events.some((e) => e.reason === 'Scheduled' && /^Successfully assigned scale\/web-\S+ to node-\d$/.test(e.message))).toBe(true);
  });

  it('rolls out a new template without dropping below replicas − maxUnavailable ready, and kubectl rollout status succeeds', async () => {
    const ns = await namespace('rolling');
    const replicas = 4;
    const maxUnavailable = 1;
    await client.create(Deployments, deployment(ns, 'web', replicas), { namespace: ns });
    await eventually(() => livePods(ns, 'web').filter(isPodReady).length === replicas, '4 ready pods', 20_000);
    const kubectl = kubectlFor(server);
    const first = await kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(first.code, first.stderr).toBe(0);

    // Sample the number of ready, not-terminating pods on every pod event from here on.
    let min = Infinity;
    let maxTotal = 0;
    const sample = (): void => {
      const live = livePods(ns, 'web');
      min = Math.min(min, live.filter(isPodReady).length);
      maxTotal = Math.max(maxTotal, live.length);
    };
    const off = pods.on({ add: sample, update: sample, delete: sample });

    // New pods stay unready at first: the rollout must stop at its limit rather than go on.
    unready.add('nginx:2');
    await client.patch(Deployments, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } } }, { namespace: ns });
    const held = await eventually(async () => {
      const sets = await listRS(ns);
      const next = sets.find((r) => r.spec?.template?.spec?.containers[0]?.image === 'nginx:2');
      const old = sets.find((r) => r.spec?.template?.spec?.containers[0]?.image === 'nginx:1');
      return next?.spec?.replicas === 2 && old?.spec?.replicas === 3 && livePods(ns, 'web').length === 5 ? { next, old } : undefined;
    }, 'the rollout to stop at 2 new (unready) + 3 old', 20_000);
    expect(held.next.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(livePods(ns, 'web').filter(isPodReady).length).toBe(3);

    unready.delete('nginx:2');
    kubelet.refresh();
    const done = await kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('deployment "web" successfully rolled out');
    off();
    expect(min).toBeGreaterThanOrEqual(replicas - maxUnavailable);
    expect(maxTotal).toBeLessThanOrEqual(replicas + 1);

    const d = await client.get<Deployment>(Deployments, 'web', { namespace: ns });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True' });
    await eventually(() => livePods(ns, 'web').every((p) => p.spec?.containers[0]?.image === 'nginx:2') && livePods(ns, 'web').length === 4, 'only new pods');
  });

  it('Recreate stops every old pod before starting new ones', async () => {
    const ns = await namespace('recreate');
    const d = deployment(ns, 'web', 3);
    d.spec!.strategy = { type: 'Recreate' };
    await client.create(Deployments, d, { namespace: ns });
    await eventually(() => livePods(ns, 'web').filter(isPodReady).length === 3, '3 ready pods', 20_000);
    let mixed = false;
    const check = (): void => {
      const images = new Set(pods.list().filter((p) => p.metadata.namespace === ns).map((p) => p.spec?.containers[0]?.image));
      if (images.size > 1) mixed = true;
    };
    const off = pods.on({ add: check, update: check, delete: check });
    await client.patch(Deployments, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:3' }] } } } }, { namespace: ns });
    const res = await kubectlFor(server)(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    off();
    expect(res.code, res.stderr).toBe(0);
    expect(mixed).toBe(false);
  });

  it('a ReplicaSet adopts a matching orphan and replaces a pod that was deleted', async () => {
    const ns = await namespace('adopt');
    await client.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: ns, labels: { app: 'cache' } }, spec: { containers: [{ name: 'c', image: 'redis' }] } }, { namespace: ns });
    const rs = await client.create<ReplicaSet>(
      ReplicaSets,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'cache', namespace: ns },
        spec: { replicas: 2, selector: { matchLabels: { app: 'cache' } }, template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [{ name: 'c', image: 'redis' }] } } },
      },
      { namespace: ns },
    );
    await eventually(() => livePods(ns, 'cache').filter(isPodReady).length === 2, '2 ready pods', 20_000);
    const stray = await client.get<Pod>(Pods, 'stray', { namespace: ns });
    expect(stray.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', uid: rs.metadata.uid, controller: true })]);
    const victim = livePods(ns, 'cache').find((p) => p.metadata.name !== 'stray')!;
    await client.delete(Pods, victim.metadata.name!, { namespace: ns });
    await eventually(() => {
      const live = livePods(ns, 'cache');
      return live.length === 2 && !live.some((p) => p.metadata.name === victim.metadata.name) && live.every(isPodReady);
    }, 'a replacement pod', 20_000);
  });
});

describe('garbage collection', () => {
  it('deleting a Deployment removes its ReplicaSets and pods', async () => {
    const ns = await namespace('gc-background');
    await client.create(Deployments, deployment(ns, 'web', 3), { namespace: ns });
    await eventually(() => livePods(ns, 'web').filter(isPodReady).length === 3, '3 ready pods', 20_000);
    const res = await kubectlFor(server)(['-n', ns, 'delete', 'deployment', 'web']);
    expect(res.code, res.stderr).toBe(0);
    await eventually(async () => (await listRS(ns)).length === 0 && (await client.list(Pods, { namespace: ns })).items.length === 0, 'ReplicaSets and pods gone', 20_000);
  });

  it('propagationPolicy Foreground keeps the Deployment until its ReplicaSets and pods are gone', async () => {
    const ns = await namespace('gc-foreground');
    await client.create(Deployments, deployment(ns, 'web', 2), { namespace: ns });
    await eventually(() => livePods(ns, 'web').filter(isPodReady).length === 2, '2 ready pods', 20_000);
    let deploymentGoneWhilePodsLeft = false;
    const res = await kubectlFor(server)(['-n', ns, 'delete', 'deployment', 'web', '--cascade=foreground', '--wait=false']);
    expect(res.code, res.stderr).toBe(0);
    await eventually(async () => {
      let gone = false;
      try {
        const d = await client.get<Deployment>(Deployments, 'web', { namespace: ns });
        expect(d.metadata.finalizers).toContain('foregroundDeletion');
      } catch {
        gone = true;
      }
      const left = (await client.list(Pods, { namespace: ns })).items.length + (await listRS(ns)).length;
      if (gone && left > 0) deploymentGoneWhilePodsLeft = true;
      return gone && left === 0;
    }, 'the Deployment, its ReplicaSet and pods all gone', 20_000);
    expect(deploymentGoneWhilePodsLeft).toBe(false);
  });

  it('propagationPolicy Orphan leaves them, without owner references', async () => {
    const ns = await namespace('gc-orphan');
    await client.create(Deployments, deployment(ns, 'web', 2), { namespace: ns });
    await eventually(() => livePods(ns, 'web').filter(isPodReady).length === 2, '2 ready pods', 20_000);
    const res = await kubectlFor(server)(['-n', ns, 'delete', 'deployment', 'web', '--cascade=orphan']);
    expect(res.code, res.stderr).toBe(0);
    await eventually(async () => {
      try {
        await client.get(Deployments, 'web', { namespace: ns });
        return false;
      } catch {
        return true;
      }
    }, 'the Deployment to go once its dependents are orphaned', 20_000);
    const sets = await listRS(ns);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.metadata.ownerReferences ?? []).toEqual([]);
    const left = (await client.list<Pod>(Pods, { namespace: ns })).items;
    expect(left).toHaveLength(2);
    // The pods still belong to the (orphaned, living) ReplicaSet.
    expect(left.every((p) => p.metadata.ownerReferences?.[0]?.uid === sets[0]!.metadata.uid)).toBe(true);
    expect(left.every((p) => !p.metadata.deletionTimestamp)).toBe(true);
  });
});

describe('StatefulSet', () => {
  it('creates <set>-0..N-1 in order, each Running and Ready before the next, with stable DNS identity; scales down from the top; recreates a deleted pod under its name', async () => {
    const ns = await namespace('sts');
    const order: string[] = [];
    const readyAtCreate: boolean[] = [];
    const off = pods.on({
      add: (p) => {
        if (p.metadata.namespace !== ns) return;
        order.push(p.metadata.name!);
        const ord = Number(p.metadata.name!.split('-').pop());
        const prev = ord > 0 ? pods.get(ns, `db-${ord - 1}`) : undefined;
        readyAtCreate.push(ord === 0 || (!!prev && isPodReady(prev)));
      },
      update: () => undefined,
      delete: () => undefined,
    });
    await client.create<StatefulSet>(
      StatefulSets,
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: ns },
        spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } } },
      },
      { namespace: ns },
    );
    await eventually(() => livePods(ns, 'db').filter(isPodReady).length === 3, '3 ready pods', 20_000);
    off();
    expect(order).toEqual(['db-0', 'db-1', 'db-2']);
    expect(readyAtCreate).toEqual([true, true, true]);
    for (const [i, name] of order.entries()) {
      const p = pods.get(ns, name)!;
      expect(p.spec).toMatchObject({ hostname: name, subdomain: 'db' });
      expect(p.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) });
    }
    await eventually(async () => {
      const s = await client.get<StatefulSet>(StatefulSets, 'db', { namespace: ns });
      return s.status?.replicas === 3 && s.status.readyReplicas === 3 && s.status.currentReplicas === 3 && s.status.observedGeneration === s.metadata.generation;
    }, 'StatefulSet status 3/3');

    const old0 = pods.get(ns, 'db-0')!;
    await client.delete(Pods, 'db-0', { namespace: ns });
    await eventually(() => {
      const p = pods.get(ns, 'db-0');
      return p && p.metadata.uid !== old0.metadata.uid && isPodReady(p);
    }, 'db-0 to come back under its name', 20_000);

    const goingOrder: string[] = [];
    const off2 = pods.on({
      add: () => undefined,
      update: (o, p) => {
        if (p.metadata.namespace === ns && !o.metadata.deletionTimestamp && p.metadata.deletionTimestamp) goingOrder.push(p.metadata.name!);
      },
      delete: (p) => {
        if (p.metadata.namespace === ns && !goingOrder.includes(p.metadata.name!)) goingOrder.push(p.metadata.name!);
      },
    });
    await client.patch(StatefulSets, 'db', 'merge', { spec: { replicas: 1 } }, { namespace: ns });
    await eventually(async () => (await client.list(Pods, { namespace: ns })).items.length === 1, 'one pod left', 20_000);
    off2();
    expect(goingOrder).toEqual(['db-2', 'db-1']);
    expect((await client.list(Pods, { namespace: ns })).items[0]!.metadata.name).toBe('db-0');
  });
});
