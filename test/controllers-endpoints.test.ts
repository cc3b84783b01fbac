// The EndpointSlice and Endpoints controllers against the real `netkube
// apiserver`: the test plays the kubelet (pod status through pods/status) and
// asserts on what the API shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Endpoints as EndpointsObject, Pod, Service } from '../kube/api/core.js';
import { EndpointSlices, Endpoints, KubeClient, Namespaces, Pods, Services } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { endpointsliceController } from '../controllers/endpointslice-controller.js';
import { endpointsController } from '../controllers/endpoints-controller.js';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../controllers/endpointslice-reconcile.js';
import { runControllers } from './support/controllers.js';
import { cleanup, eventually, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';

let server: ApiServerProcess;
let client: KubeClient;
const stop = new AbortController();
const logs: string[] = [];


beforeAll(async () => {
  server = await startApiServer({ store: 'memory' });
  client = new KubeClient(await loadKubeconfig(server.kubeconfigPath));
  await runControllers(client, [endpointsliceController, endpointsController], stop.signal, logs);
});
afterAll(async () => {
  stop.abort();
  client?.close();
  await cleanup();
});

async function namespace(name: string): Promise<string> {
  await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function service(ns: string, name: string, spec: Service['spec']): Promise<Service> {
  return client.create<Service>(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec }, { namespace: ns });
}

interface PodOpts {
  labels?: Record<string, string>;
  ports?: { name: string; containerPort: number }[];
  hostname?: string;
  subdomain?: string;
}

async function pod(ns: string, name: string, o: PodOpts = {}): Promise<Pod> {
  const spec: Pod['spec'] = {
    nodeName: 'node-1',
    terminationGracePeriodSeconds: 30,
    containers: [{ name: 'app', image: 'busybox', ports: o.ports ?? [] }],
  };
  if (o.hostname) spec.hostname = o.hostname;
  if (o.subdomain) spec.subdomain = o.subdomain;
  return client.create<Pod>(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: o.labels ?? { app: 'web' } }, spec }, { namespace: ns });
}

/** Play the kubelet: Running with an IP, Ready as given. */
async function setStatus(ns: string, name: string, ip: string, ready: boolean): Promise<void> {
  await client.patch(
    Pods,
    name,
    'merge',
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }],
      },
    },
    { namespace: ns, subresource: 'status' },
  );
}

async function slicesOf(ns: string, svc: string): Promise<EndpointSlice[]> {
  const { items } = await client.list<EndpointSlice>(EndpointSlices, { namespace: ns, labelSelector: `${SERVICE_NAME_LABEL}=${svc}` });
  return items;
}

const readyAddrs = (slices: EndpointSlice[]) =>
  slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)).sort();

async function waitSlices(ns: string, svc: string, pred: (s: EndpointSlice[]) => boolean, what: string, timeoutMs = 15_000): Promise<EndpointSlice[]> {
  let last: EndpointSlice[] = [];
  try {
    return await eventually(async () => {
      last = await slicesOf(ns, svc);
      return pred(last) ? last : undefined;
    }, what, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last slices: ${JSON.stringify(last.map((s) => ({ name: s.metadata.name, ports: s.ports, endpoints: s.endpoints })))}\n${logs.join('\n')}`);
  }
}

async function endpointsOf(ns: string, name: string): Promise<EndpointsObject | undefined> {
  return client.get<EndpointsObject>(Endpoints, name, { namespace: ns }).catch(() => undefined);
}

describe('EndpointSlices and Endpoints follow pods', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await namespace('ep-basic');
    await service(ns, 'web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    for (const i of [1, 2, 3]) {
      await pod(ns, `web-${i}`);
      await setStatus(ns, `web-${i}`, `10.244.1.${i}`, true);
    }
    await pod(ns, 'other', { labels: { app: 'other' } });
    await setStatus(ns, 'other', '10.244.1.99', true);
  });

  it('ready pods appear as ready endpoints in a managed slice owned by the Service', async () => {
    const slices = await waitSlices(ns, 'web', (s) => readyAddrs(s).length === 3, '3 ready endpoints');
    expect(readyAddrs(slices)).toEqual(['10.244.1.1', '10.244.1.2', '10.244.1.3']);
    expect(slices).toHaveLength(1);
    const s = slices[0]!;
    expect(s.metadata.name).toMatch(/^web-/);
    expect(s.metadata.labels).toMatchObject({ [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: CONTROLLER_NAME });
    expect(s.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Service', name: 'web', controller: true, blockOwnerDeletion: true })]);
    expect(s.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-/);
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s.endpoints.find((e) => e.addresses[0] === '10.244.1.1')).toMatchObject({
      nodeName: 'node-1',
      targetRef: { kind: 'Pod', namespace: ns, name: 'web-1' },
      conditions: { ready: true, serving: true, terminating: false },
    });
  });

  it('the Endpoints object lists the same addresses in one subset', async () => {
    const ep = await eventually(async () => {
      const e = await endpointsOf(ns, 'web');
      return e?.subsets?.[0]?.addresses?.length === 3 ? e : undefined;
    }, 'Endpoints web with 3 addresses');
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('a pod turning not ready updates the same slice and moves to notReadyAddresses', async () => {
    const before = await waitSlices(ns, 'web', (s) => readyAddrs(s).length === 3, '3 ready endpoints');
    await setStatus(ns, 'web-2', '10.244.1.2', false);
    const after = await waitSlices(ns, 'web', (s) => readyAddrs(s).length === 2, 'web-2 not ready');
    expect(after.map((s) => s.metadata.name)).toEqual(before.map((s) => s.metadata.name));
    expect(after[0]!.endpoints.find((e) => e.addresses[0] === '10.244.1.2')?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    const ep = await eventually(async () => {
      const e = await endpointsOf(ns, 'web');
      return e?.subsets?.[0]?.notReadyAddresses?.length === 1 ? e : undefined;
    }, 'Endpoints web with one not-ready address');
    expect(ep.subsets![0]!.notReadyAddresses![0]!.ip).toBe('10.244.1.2');
  });

  it('a terminating pod is reported terminating, then removed when gone', async () => {
    await client.delete(Pods, 'web-3', { namespace: ns });
    const slices = await waitSlices(ns, 'web', (s) => s.some((x) => x.endpoints.some((e) => e.addresses[0] === '10.244.1.3' && e.conditions?.terminating)), 'web-3 terminating');
    expect(slices[0]!.endpoints.find((e) => e.addresses[0] === '10.244.1.3')?.conditions).toEqual({ ready: false, serving: true, terminating: true });
    await eventually(async () => !(await endpointsOf(ns, 'web'))?.subsets?.some((s) => s.addresses?.some((a) => a.ip === '10.244.1.3')), 'web-3 gone from Endpoints');
    await client.delete(Pods, 'web-3', { namespace: ns, gracePeriodSeconds: 0 });
    await waitSlices(ns, 'web', (s) => !s.some((x) => x.endpoints.some((e) => e.addresses[0] === '10.244.1.3')), 'web-3 removed');
  });

  it('deleting the Service removes its managed slices and Endpoints', async () => {
    await service(ns, 'gone', { selector: { app: 'web' }, ports: [{ port: 81 }] });
    await waitSlices(ns, 'gone', (s) => s.length === 1 && s[0]!.endpoints.length > 0, 'slice for gone');
    await eventually(() => endpointsOf(ns, 'gone'), 'Endpoints gone');
    await client.delete(Services, 'gone', { namespace: ns });
    await waitSlices(ns, 'gone', (s) => s.length === 0, 'slices of gone deleted');
    await eventually(async () => (await endpointsOf(ns, 'gone')) === undefined, 'Endpoints gone deleted');
  });
});

describe('ports, hostnames and sizes', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await namespace('ep-ports');
  });

  it('named targetPorts resolve per pod into separate slices; pods lacking the name are left out of that port set', async () => {
    await service(ns, 'named', { selector: { app: 'named' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9100, targetPort: 9100 }] });
    await pod(ns, 'n1', { labels: { app: 'named' }, ports: [{ name: 'web', containerPort: 8080 }] });
    await pod(ns, 'n2', { labels: { app: 'named' }, ports: [{ name: 'web', containerPort: 9090 }] });
    await pod(ns, 'n3', { labels: { app: 'named' } });
    for (const [i, n] of ['n1', 'n2', 'n3'].entries()) await setStatus(ns, n, `10.244.2.${i + 1}`, true);
    const slices = await waitSlices(ns, 'named', (s) => readyAddrs(s).length === 3, '3 endpoints for named');
    const layout = slices
      .map((s) => `${(s.ports ?? []).map((p) => `${p.name}:${p.port}`).sort().join(',')} → ${s.endpoints.map((e) => e.targetRef?.name).join(',')}`)
      .sort();
    expect(layout).toEqual(['http:8080,metrics:9100 → n1', 'http:9090,metrics:9100 → n2', 'metrics:9100 → n3']);
  });

  it('a pod with subdomain = the Service name gets its hostname', async () => {
    await service(ns, 'db', { selector: { app: 'db' }, clusterIP: 'None', ports: [{ port: 5432 }] });
    await pod(ns, 'db-0', { labels: { app: 'db' }, hostname: 'db-0', subdomain: 'db' });
    await setStatus(ns, 'db-0', '10.244.3.1', true);
    const slices = await waitSlices(ns, 'db', (s) => readyAddrs(s).length === 1, 'db-0 endpoint');
    expect(slices[0]!.endpoints[0]!.hostname).toBe('db-0');
    expect(slices[0]!.metadata.labels).toHaveProperty('service.kubernetes.io/headless', '');
  });

  it('publishNotReadyAddresses lists a not-ready pod as ready', async () => {
    await service(ns, 'pnr', { selector: { app: 'pnr' }, publishNotReadyAddresses: true, ports: [{ port: 80 }] });
    await pod(ns, 'pnr-1', { labels: { app: 'pnr' } });
    await setStatus(ns, 'pnr-1', '10.244.4.1', false);
    const slices = await waitSlices(ns, 'pnr', (s) => readyAddrs(s).length === 1, 'pnr-1 ready');
    expect(slices[0]!.endpoints[0]!.conditions).toEqual({ ready: true, serving: false, terminating: false });
  });

  it('150 pods: two slices of at most 100, and the Endpoints holds all 150', async () => {
    await service(ns, 'big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    const names = Array.from({ length: 150 }, (_, i) => `big-${i}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(names.slice(i, i + 25).map((n) => pod(ns, n, { labels: { app: 'big' } })));
      await Promise.all(names.slice(i, i + 25).map((n, j) => setStatus(ns, n, `10.245.${Math.floor((i + j) / 200)}.${((i + j) % 200) + 1}`, true)));
    }
    const slices = await waitSlices(ns, 'big', (s) => readyAddrs(s).length === 150, '150 ready endpoints', 30_000);
    // Pods arrive one by one, so the split depends on timing (Kubernetes' reconciler gives e.g. 98 + 52 too); never more than 100, never a third slice.
    expect(slices).toHaveLength(2);
    expect(Math.max(...slices.map((s) => s.endpoints.length))).toBeLessThanOrEqual(100);
    const ep = await eventually(async () => {
      const e = await endpointsOf(ns, 'big');
      return e?.subsets?.[0]?.addresses?.length === 150 ? e : undefined;
    }, 'Endpoints big with 150 addresses');
    expect(ep.subsets).toHaveLength(1);
  });
});

describe('hand-made endpoints', () => {
  it('slices and Endpoints of a Service without a selector are left alone', async () => {
    const ns = await namespace('ep-manual');
    await service(ns, 'external', { ports: [{ port: 443 }] });
    const slice = await client.create<EndpointSlice>(
      EndpointSlices,
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'external-1', namespace: ns, labels: { [SERVICE_NAME_LABEL]: 'external' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.0.2.10'] }],
        ports: [{ port: 443, protocol: 'TCP' }],
      },
      { namespace: ns },
    );
    const ep = await client.create<EndpointsObject>(
      Endpoints,
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external', namespace: ns }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 443 }] }] },
      { namespace: ns },
    );
    // A Service with a selector created afterwards is served: once its slice exists, the controllers have passed over this namespace.
    await service(ns, 'probe', { selector: { app: 'none' }, ports: [{ port: 80 }] });
    await waitSlices(ns, 'probe', (s) => s.length === 1, 'placeholder slice for probe');
    await eventually(() => endpointsOf(ns, 'probe'), 'Endpoints probe');
    const slices = await slicesOf(ns, 'external');
    expect(slices.map((s) => [s.metadata.name, s.metadata.resourceVersion])).toEqual([['external-1', slice.metadata.resourceVersion]]);
    expect((await endpointsOf(ns, 'external'))?.metadata.resourceVersion).toBe(ep.metadata.resourceVersion);
    // The kubernetes Endpoints stay the API server's.
    const k = await endpointsOf('default', 'kubernetes');
    expect(k?.metadata.labels?.['endpoints.kubernetes.io/managed-by']).toBeUndefined();
  });
});
