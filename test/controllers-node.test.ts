// Node IPAM and node lifecycle against the real `netkube apiserver`. The test
// plays the node agents: it registers Nodes, posts their Ready status and
// renews their Leases, then stops renewing one of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Event, Lease, Node, Pod, PodSpec } from '../kube/api/core.js';
import { EndpointSlices, Events, KubeClient, Leases, Namespaces, Nodes, Pods, Services } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { createNodeIpamController } from '../controllers/node-ipam-controller.js';
import { createNodeLifecycleController } from '../controllers/node-lifecycle-controller.js';
import { endpointsliceController } from '../controllers/endpointslice-controller.js';
import { TAINT_UNREACHABLE } from '../controllers/node-lifecycle-health.js';
import { runControllers } from './support/controllers.js';
import { cleanup, eventually, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';

let server: ApiServerProcess;
let client: KubeClient;
const logs: string[] = [];


beforeAll(async () => {
  server = await startApiServer({ store: 'memory' });
  client = new KubeClient(await loadKubeconfig(server.kubeconfigPath));
});
afterAll(async () => {
  client?.close();
  await cleanup();
});

const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');

async function registerNode(name: string, ready = true): Promise<Node> {
  const n = await client.create<Node>(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  if (!ready) return n;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return client.patch<Node>(
    Nodes,
    name,
    'merge',
    { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }] } },
    { subresource: 'status' },
  );
}

async function podCIDR(name: string): Promise<string | undefined> {
  return (await client.get<Node>(Nodes, name)).spec?.podCIDR;
}

async function eventsFor(name: string, reason: string): Promise<Event[]> {
  const { items } = await client.list<Event>(Events, { namespace: 'default' });
  return items.filter((e) => e.involvedObject.name === name && e.reason === reason);
}

async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, show: () => Promise<unknown>, timeoutMs = 15_000): Promise<T> {
  try {
    return (await eventually(fn, what, timeoutMs)) as T;
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast state: ${JSON.stringify(await show().catch((x: unknown) => String(x)))}\n${logs.slice(-20).join('\n')}`);
  }
}

describe('node IPAM', () => {
  const stop = new AbortController();
  afterAll(() => stop.abort());

  it('nodes registered together get distinct /24s from the cluster CIDR, in podCIDR and podCIDRs', async () => {
    // Registered before the controller starts: the ones already holding a subnet must be honoured.
    await registerNode('pre', false);
    await client.patch(Nodes, 'pre', 'merge', { spec: { podCIDR: '10.250.0.0/24', podCIDRs: ['10.250.0.0/24'] } });
    await runControllers(client, [createNodeIpamController({ clusterCIDR: '10.250.0.0/22', nodeCIDRMaskSize: 24 })], stop.signal, logs);
    await Promise.all(['a', 'b', 'c'].map((n) => registerNode(n, false)));
    const cidrs = await waitFor(
      async () => {
        const all = await Promise.all(['a', 'b', 'c'].map(podCIDR));
        return all.every(Boolean) ? all : undefined;
      },
      'pod CIDRs on a, b, c',
      () => client.list(Nodes),
    );
    expect(new Set(cidrs).size).toBe(3);
    expect([...cidrs].sort()).toEqual(['10.250.1.0/24', '10.250.2.0/24', '10.250.3.0/24']);
    const a = await client.get<Node>(Nodes, 'a');
    expect(a.spec?.podCIDRs).toEqual([a.spec?.podCIDR]);
  });

  it('a full range is a CIDRNotAvailable warning; a deleted node frees its subnet for the waiting node', async () => {
    await registerNode('d', false);
    const ev = await waitFor(async () => (await eventsFor('d', 'CIDRNotAvailable'))[0], 'CIDRNotAvailable event on d', () => client.list(Events, { namespace: 'default' }));
    expect(ev.type).toBe('Warning');
    expect(await podCIDR('d')).toBeUndefined();
    const freed = await podCIDR('b');
    await client.delete(Nodes, 'b');
    const got = await waitFor(async () => podCIDR('d'), 'd gets a CIDR after b is deleted', () => client.get(Nodes, 'd'));
    expect(got).toBe(freed);
  });

  it('a restarted allocator rebuilds the taken set from the nodes', async () => {
    stop.abort();
    const again = new AbortController();
    try {
      await client.delete(Nodes, 'c');
      const freed = '10.250.3.0/24';
      await runControllers(client, [createNodeIpamController({ clusterCIDR: '10.250.0.0/22', nodeCIDRMaskSize: 24 })], again.signal, logs);
      await registerNode('e', false);
      const got = await waitFor(async () => podCIDR('e'), 'e gets a CIDR', () => client.get(Nodes, 'e'));
      // Everything else is taken by nodes the new allocator only knows from the API.
      expect(got).toBe(freed);
    } finally {
      again.abort();
    }
  });
});

describe('node lifecycle', () => {
  const stop = new AbortController();
  const ns = 'lifecycle';
  let beating = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const lease = (name: string): Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
  });

  beforeAll(async () => {
    await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const n of ['lc-1', 'lc-2']) {
      await registerNode(n);
      await client.create(Leases, lease(n), { namespace: 'kube-node-lease' });
    }
    beating = new Set(['lc-1', 'lc-2']);
    // The node agents: renew each lease every 300 ms while "alive".
    timer = setInterval(() => {
      for (const n of beating) void client.patch(Leases, n, 'merge', { spec: { renewTime: microTime() } }, { namespace: 'kube-node-lease' }).catch(() => undefined);
    }, 300);
    await client.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, { namespace: ns });
    const pods: [string, string, Partial<PodSpec>][] = [
      ['on-1', 'lc-1', {}],
      ['stays', 'lc-1', { tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }] }],
      ['on-2', 'lc-2', {}],
    ];
    for (const [i, [name, node, extra]] of pods.entries()) {
      await client.create<Pod>(
        Pods,
        { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'web' } }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], ...extra } },
        { namespace: ns },
      );
      await client.patch(Pods, name, 'merge', { status: { phase: 'Running', podIP: `10.244.9.${i + 1}`, conditions: [{ type: 'Ready', status: 'True' }] } }, { namespace: ns, subresource: 'status' });
    }
    await runControllers(
      client,
      [createNodeLifecycleController({ nodeMonitorGracePeriodMs: 2000, podEvictionTimeoutMs: 3000 }), endpointsliceController],
      stop.signal,
      logs,
    );
  });
  afterAll(() => {
    clearInterval(timer);
    stop.abort();
  });

  const slices = async () => (await client.list<EndpointSlice>(EndpointSlices, { namespace: ns })).items;
  const readyOf = async (ip: string) => (await slices()).flatMap((s) => s.endpoints ?? []).find((e) => e.addresses[0] === ip)?.conditions?.ready;
  const node = (n: string) => client.get<Node>(Nodes, n);

  it('heartbeating nodes stay Ready and untainted', async () => {
    await waitFor(async () => (await readyOf('10.244.9.1')) === true, 'endpoints ready', slices);
    // Wait past a grace period (2 s) by counting renewals, not by the clock: 10 renewals at 300 ms ≈ 3 s.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add((await client.get<Lease>(Leases, 'lc-1', { namespace: 'kube-node-lease' })).spec?.renewTime ?? '');
        return seen.size > 10;
      },
      'ten lease renewals',
      async () => [...seen],
    );
    const n = await node('lc-1');
    expect(n.spec?.taints ?? []).toEqual([]);
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a silent node turns Unknown and tainted, and its endpoints stop being ready', async () => {
    beating.delete('lc-1');
    const n = await waitFor(
      async () => {
        const x = await node('lc-1');
        return x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' && (x.spec?.taints ?? []).length === 2 ? x : undefined;
      },
      'lc-1 Unknown and tainted',
      () => node('lc-1'),
    );
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(n.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([`${TAINT_UNREACHABLE}:NoExecute`, `${TAINT_UNREACHABLE}:NoSchedule`]);
    await waitFor(async () => (await readyOf('10.244.9.1')) === false, 'on-1 endpoint not ready', slices);
    const p = await client.get<Pod>(Pods, 'on-1', { namespace: ns });
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(await readyOf('10.244.9.3')).toBe(true);
    await waitFor(async () => (await eventsFor('lc-1', 'NodeNotReady'))[0], 'NodeNotReady event', async () => null);
  });

  it('after the eviction timeout its pods are deleted, except one tolerating the taint forever', async () => {
    await waitFor(
      async () => !(await client.list<Pod>(Pods, { namespace: ns })).items.some((p) => p.metadata.name === 'on-1'),
      'on-1 evicted',
      async () => (await client.list<Pod>(Pods, { namespace: ns })).items.map((p) => p.metadata.name),
    );
    const left = (await client.list<Pod>(Pods, { namespace: ns })).items.map((p) => p.metadata.name).sort();
    expect(left).toEqual(['on-2', 'stays']);
  });

  it('when heartbeats return, the taints go', async () => {
    beating.add('lc-1');
    await waitFor(async () => ((await node('lc-1')).spec?.taints ?? []).length === 0, 'lc-1 untainted', () => node('lc-1'));
    expect((await node('lc-2')).spec?.taints ?? []).toEqual([]);
  });
});
