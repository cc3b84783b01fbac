// @kubernetes/client-node v1 and netkube's own informer (kube/informer.ts)
// against the real `netkube apiserver` process: CRUD, informers seeing add,
// update and delete in order, and recovery after a 410 Expired.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, WatchEvent } from '../kube/api/meta.js';
import { ConfigMaps, EndpointSlices, KubeClient, Pods, Services, type ResourceDescriptor } from '../kube/client.js';
import { createInformer, listWatchFor, type ListWatchSource } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { cleanup, eventually, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';

/** Small, so a watch resuming after a few dozen writes gets 410 Expired. */
const WATCH_CACHE_SIZE = 30;

let server: ApiServerProcess;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let discovery: k8s.DiscoveryV1Api;
let client: KubeClient;
const stops: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  server = await startApiServer({ store: 'memory', env: { NETKUBE_WATCH_CACHE_SIZE: String(WATCH_CACHE_SIZE) } });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  client = new KubeClient(await loadKubeconfig(server.kubeconfigPath));
});
afterAll(async () => {
  for (const s of stops) await s();
  client?.close();
  await cleanup();
});

async function makeNamespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const service = (name: string, port = 80): k8s.V1Service => ({ metadata: { name, labels: { app: name } }, spec: { selector: { app: name }, ports: [{ port }] } });
const pod = (name: string): k8s.V1Pod => ({ metadata: { name, labels: { app: 'p' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const slice = (name: string, ip: string): k8s.V1EndpointSlice => ({
  metadata: { name, labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [ip] }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategicPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

/** "type name" lines in the order an informer's handlers were called. */
type Seen = string[];
function record(inf: k8s.Informer<k8s.KubernetesObject>, seen: Seen): void {
  inf.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
  inf.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
  inf.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
}

/** name → resourceVersion, for comparing an informer's cache with the server. */
function byName(items: readonly { metadata?: { name?: string; resourceVersion?: string } }[]): Record<string, string> {
  return Object.fromEntries(items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']));
}

describe('@kubernetes/client-node CoreV1Api', () => {
  it('lists, creates, patches and deletes', async () => {
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', 'kube-system']));
    expect(namespaces.metadata?.resourceVersion).toMatch(/^\d+$/);

    const ns = await makeNamespace('crud');
    const created = await core.createNamespacedService({ namespace: ns, body: service('web') });
    expect(created.spec?.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(created.spec?.ports?.[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });

    const dup = await core.createNamespacedService({ namespace: ns, body: service('web') }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(k8s.ApiException);
    expect((dup as k8s.ApiException<string>).code).toBe(409);

    const merged = await core.patchNamespacedService({ name: 'web', namespace: ns, body: { metadata: { labels: { env: 'prod' } } } }, mergePatch);
    expect(merged.metadata?.labels).toEqual({ app: 'web', env: 'prod' });
    const strategic = await core.patchNamespacedService({ name: 'web', namespace: ns, body: { spec: { ports: [{ name: 'alt', port: 81 }, { port: 80, name: 'http' }] } } }, strategicPatch);
    // Merged by port: 80 gains a name, 81 is added; items named in the patch keep the patch's order.
    expect(strategic.spec?.ports?.map((p) => [p.name, p.port])).toEqual([['alt', 81], ['http', 80]]);
    // client-node's default patch type is JSON patch.
    const json = await core.patchNamespacedService({ name: 'web', namespace: ns, body: [{ op: 'remove', path: '/metadata/labels/env' }] });
    expect(json.metadata?.labels).toEqual({ app: 'web' });
    expect(json.spec?.clusterIP).toBe(created.spec?.clusterIP);

    const list = await core.listNamespacedService({ namespace: ns, labelSelector: 'app=web' });
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['web']);

    await core.deleteNamespacedService({ name: 'web', namespace: ns });
    const gone = await core.readNamespacedService({ name: 'web', namespace: ns }).catch((e: unknown) => e);
    expect((gone as k8s.ApiException<string>).code).toBe(404);
  });

  it('a validation error reaches the caller as a 422 with the Status body', async () => {
    const err = await core.createNamespacedService({ namespace: 'default', body: service('bad', 0) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(k8s.ApiException);
    const e = err as k8s.ApiException<string>;
    expect(e.code).toBe(422);
    expect(JSON.parse(e.body)).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { causes: [{ field: 'spec.ports[0].port' }] } });
  });
});

describe('@kubernetes/client-node informers', () => {
  async function startInformer<T extends k8s.KubernetesObject>(path: string, list: () => Promise<k8s.KubernetesListObject<T>>) {
    let lists = 0;
    const errors: unknown[] = [];
    // makeInformer's declared type omits the cache it also is (a ListWatch).
    const inf = k8s.makeInformer<T>(kc, path, () => {
      lists++;
      return list();
    }) as k8s.Informer<T> & k8s.ObjectCache<T>;
    inf.on('error', (e) => errors.push(e));
    const seen: Seen = [];
    record(inf as unknown as k8s.Informer<k8s.KubernetesObject>, seen);
    await inf.start();
    stops.push(() => inf.stop());
    return { inf, seen, errors, lists: () => lists };
  }

  it('services: add, update, delete seen in order', async () => {
    const ns = await makeNamespace('inf-svc');
    await core.createNamespacedService({ namespace: ns, body: service('before') });
    const { inf, seen } = await startInformer(`/api/v1/namespaces/${ns}/services`, () => core.listNamespacedService({ namespace: ns }));
    expect(seen).toEqual(['add before']);
    await core.createNamespacedService({ namespace: ns, body: service('a') });
    await core.patchNamespacedService({ name: 'a', namespace: ns, body: { metadata: { labels: { v: '2' } } } }, mergePatch);
    await core.deleteNamespacedService({ name: 'before', namespace: ns });
    await core.deleteNamespacedService({ name: 'a', namespace: ns });
    await eventually(() => seen.length >= 5, `five events (got ${seen.join(', ')})`);
    expect(seen).toEqual(['add before', 'add a', 'update a', 'delete before', 'delete a']);
    expect(inf.list()).toEqual([]);
  });

  it('pods: add, update, delete seen in order', async () => {
    const ns = await makeNamespace('inf-pods');
    const { inf, seen } = await startInformer(`/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    await core.createNamespacedPod({ namespace: ns, body: pod('p1') });
    await core.patchNamespacedPod({ name: 'p1', namespace: ns, body: { metadata: { labels: { app: 'q' } } } }, mergePatch);
    // An unscheduled pod has no node agent to wait for: it goes at once.
    await core.deleteNamespacedPod({ name: 'p1', namespace: ns });
    await eventually(() => seen.length >= 3, `three events (got ${seen.join(', ')})`);
    expect(seen).toEqual(['add p1', 'update p1', 'delete p1']);
    expect(inf.list()).toEqual([]);
  });

  it('endpointslices (discovery.k8s.io/v1): add, update, delete seen in order', async () => {
    const ns = await makeNamespace('inf-eps');
    const { inf, seen } = await startInformer(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, () =>
      discovery.listNamespacedEndpointSlice({ namespace: ns }),
    );
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('web-1', '10.244.1.5') });
    await discovery.patchNamespacedEndpointSlice(
      { name: 'web-1', namespace: ns, body: { endpoints: [{ addresses: ['10.244.1.5'] }, { addresses: ['10.244.2.7'] }] } },
      mergePatch,
    );
    await eventually(() => seen.length >= 2, `two events (got ${seen.join(', ')})`);
    const cached = inf.get('web-1', ns) as k8s.V1EndpointSlice | undefined;
    expect(cached?.endpoints.map((e) => e.addresses[0])).toEqual(['10.244.1.5', '10.244.2.7']);
    await discovery.deleteNamespacedEndpointSlice({ name: 'web-1', namespace: ns });
    await eventually(() => seen.length >= 3, `three events (got ${seen.join(', ')})`);
    expect(seen).toEqual(['add web-1', 'update web-1', 'delete web-1']);
  });

  it('recovers after a 410: relists, reports the difference, and its cache matches the server', async () => {
    const ns = await makeNamespace('inf-410');
    for (const n of ['keep', 'drop', 'edit']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n }, data: { v: '0' } } });
    const { inf, seen, lists } = await startInformer(`/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
    expect(lists()).toBe(1);
    // The watch drops (stop), and while it is away more happens than the watch cache remembers.
    await inf.stop();
    seen.length = 0;
    await core.deleteNamespacedConfigMap({ name: 'drop', namespace: ns });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'new' }, data: { v: '0' } } });
    for (let i = 1; i <= WATCH_CACHE_SIZE + 5; i++) {
      await core.patchNamespacedConfigMap({ name: 'edit', namespace: ns, body: { data: { v: String(i) } } }, mergePatch);
    }
    // Resuming from the old resourceVersion gets ERROR 410; the informer must relist.
    await inf.start();
    await eventually(() => lists() >= 2, 'a relist after the 410');
    const server = await core.listNamespacedConfigMap({ namespace: ns });
    await eventually(() => JSON.stringify(byName(inf.list())) === JSON.stringify(byName(server.items)), 'the informer cache to match the server');
    expect(Object.keys(byName(inf.list())).sort()).toEqual(['edit', 'keep', 'new']);
    expect((inf.get('edit', ns) as k8s.V1ConfigMap).data).toEqual({ v: String(WATCH_CACHE_SIZE + 5) });
    expect(seen).toEqual(expect.arrayContaining(['delete drop', 'add new', 'update edit']));
    // And it keeps working afterwards.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
    await eventually(() => inf.get('after', ns) !== undefined, 'the informer to see a create after recovering');
  });
});

describe('netkube kube/informer.ts', () => {
  interface Recorded {
    seen: Seen;
    errors: unknown[];
    informer: ReturnType<typeof createInformer<KubeObject>>;
  }

  async function startOwn(res: ResourceDescriptor, ns: string, source?: ListWatchSource<KubeObject>): Promise<Recorded> {
    const seen: Seen = [];
    const errors: unknown[] = [];
    const informer = createInformer<KubeObject>(source ?? listWatchFor(client, res, { namespace: ns }), {
      name: res.resource,
      backoff: { initialMs: 20, maxMs: 100 },
      onError: (e) => errors.push(e),
    });
    informer.on({
      add: (o) => seen.push(`add ${o.metadata.name}`),
      update: (_old, o) => seen.push(`update ${o.metadata.name}`),
      delete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    const ctl = new AbortController();
    stops.push(() => ctl.abort());
    await informer.start(ctl.signal);
    return { seen, errors, informer };
  }

  it.each([
    ['services', Services, (n: string) => service(n) as KubeObject],
    ['pods', Pods, (n: string) => pod(n) as KubeObject],
    ['endpointslices', EndpointSlices, (n: string) => slice(n, '10.244.3.3') as unknown as KubeObject],
  ] as const)('%s: add, update, delete seen in order', async (resource, res, make) => {
    const ns = await makeNamespace(`own-${resource}`);
    const { seen, informer } = await startOwn(res, ns);
    await client.create(res, make('x'), { namespace: ns });
    await client.patch(res, 'x', 'merge', { metadata: { labels: { changed: 'yes' } } }, { namespace: ns });
    await client.delete(res, 'x', { namespace: ns });
    await eventually(() => seen.length >= 3, `three events (got ${seen.join(', ')})`);
    expect(seen).toEqual(['add x', 'update x', 'delete x']);
    expect(informer.list()).toEqual([]);
  });

  it('recovers after a 410: relists and its cache matches the server', async () => {
    const ns = await makeNamespace('own-410');
    for (const n of ['keep', 'drop', 'edit']) await client.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n }, data: { v: '0' } } as KubeObject, { namespace: ns });
    const base = listWatchFor<KubeObject>(client, ConfigMaps, { namespace: ns });
    let lists = 0;
    let gate: Promise<void> | undefined;
    let drop = new AbortController();
    const resumedFrom: string[] = [];
    // The real source, with a way to cut the connection and hold the reconnect.
    const source: ListWatchSource<KubeObject> = {
      list: (signal) => {
        lists++;
        return base.list(signal);
      },
      async watch(rv: string, onEvent: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal) {
        if (gate) await gate;
        resumedFrom.push(rv);
        drop = new AbortController();
        return base.watch(rv, onEvent, AbortSignal.any([signal, drop.signal]));
      },
    };
    const { seen, informer } = await startOwn(ConfigMaps, ns, source);
    await eventually(() => resumedFrom.length === 1, 'the first watch');
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    drop.abort(new Error('test: connection dropped'));
    await client.delete(ConfigMaps, 'drop', { namespace: ns });
    await client.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' } } as KubeObject, { namespace: ns });
    for (let i = 1; i <= WATCH_CACHE_SIZE + 5; i++) await client.patch(ConfigMaps, 'edit', 'merge', { data: { v: String(i) } }, { namespace: ns });
    seen.length = 0;
    gate = undefined;
    open();
    await eventually(() => lists >= 2, 'a relist after the 410');
    // It resumed from its old resourceVersion (that is what got the 410), not from a fresh list.
    expect(resumedFrom[1]).toBe(resumedFrom[0]);
    const onServer = await client.list(ConfigMaps, { namespace: ns });
    await eventually(() => JSON.stringify(byName(informer.list())) === JSON.stringify(byName(onServer.items)), 'the informer cache to match the server');
    expect(Object.keys(byName(informer.list())).sort()).toEqual(['edit', 'keep', 'new']);
    expect(seen).toContain('delete drop');
    expect(seen).toContain('add new');
    expect(seen).toContain('update edit');
    expect(seen).not.toContain('update keep');
    await client.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } } as KubeObject, { namespace: ns });
    await eventually(() => informer.get(ns, 'after') !== undefined, 'the informer to see a create after recovering');
  });
});
