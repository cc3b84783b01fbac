// One lab cluster as the demo sees it: its plan (lab.json), an API client,
// and the few things the demo does to it — apply its objects, wait for the
// web pods, kill one, notice its replacement.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod, Service } from '../kube/api/core.js';
import type { Deployment } from '../kube/api/core.js';
import { Deployments, isApiError, KubeClient, Pods, Services, type ResourceDescriptor } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import type { LabConfig } from '../lab/lab-config.js';
import { readLabState } from '../lab/lab-state.js';
import { CLIENT, DEMO_NAMESPACE, WEB, WEB_LABELS, type SidecarPolicy, clientPod, webDeployment, webHeadlessService, webService } from './demo-manifests.js';

export interface DemoCluster {
  readonly name: string;
  readonly cfg: LabConfig;
  readonly client: KubeClient;
}

export async function openCluster(home: string, name: string): Promise<DemoCluster | undefined> {
  const state = await readLabState(home, name);
  if (!state) return undefined;
  const client = new KubeClient(await loadKubeconfig(state.config.paths.kubeconfig), { userAgent: 'netkube-demo', requestTimeoutMs: 15_000 });
  return { name, cfg: state.config, client };
}

const NS = { namespace: DEMO_NAMESPACE };

/**
 * Creates the object, or leaves an existing one as it is (a re-run of the demo reuses what it made).
 * Looks first: creating a Service that exists with a pinned NodePort fails on the port (422), as in Kubernetes, not on the name.
 */
async function ensure<T extends Pod | Service | Deployment>(c: KubeClient, res: ResourceDescriptor, obj: T): Promise<'created' | 'exists'> {
  const name = obj.metadata.name ?? '';
  try {
    await c.get<T>(res, name, NS);
    return 'exists';
  } catch (e) {
    if (!isApiError(e, 404)) throw e;
  }
  try {
    await c.create<T>(res, obj, NS);
    return 'created';
  } catch (e) {
    if (isApiError(e, 409)) return 'exists';
    throw e;
  }
}

export interface ApplyOptions {
  replicas: number;
  nodePort: number;
  /** Only the cluster the client runs in gets the client pod. */
  withClient?: SidecarPolicy;
}

/** Returns one line per object ("deployment/web created"). */
export async function applyDemoObjects(c: DemoCluster, o: ApplyOptions): Promise<string[]> {
  const lines: string[] = [];
  lines.push(`deployment.apps/${WEB} ${await ensure(c.client, Deployments, webDeployment(o.replicas))}`);
  await scaleWeb(c, o.replicas);
  const svc = await ensure(c.client, Services, webService(o.nodePort));
  if (svc === 'exists') {
    const have = await c.client.get<Service>(Services, WEB, NS);
    const port = have.spec?.ports?.[0]?.nodePort;
    if (port !== o.nodePort) throw new Error(`cluster ${c.name}: service ${DEMO_NAMESPACE}/${WEB} exists with nodePort ${port ?? 'none'}, the demo needs ${o.nodePort}; delete it (kubectl delete svc ${WEB}) or pass --node-port ${port}`);
  }
  lines.push(`service/${WEB} ${svc}`);
  lines.push(`service/web-headless ${await ensure(c.client, Services, webHeadlessService())}`);
  if (o.withClient) lines.push(`pod/${CLIENT} ${await ensureClientPod(c, o.withClient)}`);
  return lines;
}

/** The client pod with the sidecar policy asked for: a pod's containers cannot change, so another policy means a new pod. */
async function ensureClientPod(c: DemoCluster, policy: SidecarPolicy): Promise<string> {
  const want = clientPod(policy);
  const have = await c.client.get<Pod>(Pods, CLIENT, NS).catch((e: unknown) => {
    if (isApiError(e, 404)) return undefined;
    throw e;
  });
  if (have) {
    const args = (p: Pod) => JSON.stringify(p.spec?.containers.map((x) => x.args ?? []));
    if (args(have) === args(want)) return 'exists';
    await c.client.delete(Pods, CLIENT, { ...NS, gracePeriodSeconds: 0 });
    for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
      const gone = await c.client.get<Pod>(Pods, CLIENT, NS).then(() => false, (e: unknown) => isApiError(e, 404));
      if (gone) break;
      if (Date.now() > deadline) throw new Error(`cluster ${c.name}: pod ${CLIENT} was not deleted within 60 s`);
    }
  }
  await c.client.create<Pod>(Pods, want, NS);
  return have ? `replaced (sidecar --policy ${policy})` : 'created';
}

export async function scaleWeb(c: DemoCluster, replicas: number): Promise<void> {
  await c.client.patch<Deployment>(Deployments, WEB, 'merge', { spec: { replicas } }, NS);
}

export function podName(p: Pod): string {
  return p.metadata.name ?? '';
}

export function isPodReady(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && (p.status.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
}

export async function webPods(c: DemoCluster): Promise<Pod[]> {
  const list = await c.client.list<Pod>(Pods, { ...NS, labelSelector: `app=${WEB_LABELS.app}` });
  return list.items.sort((a, b) => podName(a).localeCompare(podName(b)));
}

export async function readyWebPods(c: DemoCluster): Promise<Pod[]> {
  return (await webPods(c)).filter(isPodReady);
}

/** Waits until exactly `n` web pods exist and are ready (none terminating), and the client pod too when asked. */
export async function waitForWeb(c: DemoCluster, n: number, o: { client?: boolean; timeoutMs?: number } = {}): Promise<Pod[]> {
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  let last = '';
  for (;;) {
    const pods = await webPods(c);
    const ready = pods.filter(isPodReady);
    let clientReady = true;
    if (o.client) {
      const p = await c.client.get<Pod>(Pods, CLIENT, NS).catch(() => undefined);
      clientReady = p !== undefined && isPodReady(p);
    }
    if (ready.length === n && pods.length === n && clientReady) return ready;
    last = `${ready.length}/${n} web pods ready (${pods.length} exist)${o.client ? `, client ${clientReady ? 'ready' : 'not ready'}` : ''}`;
    if (Date.now() > deadline) throw new Error(`cluster ${c.name}: timed out waiting: ${last}`);
    await sleep(250);
  }
}

/** A backend dies: the pod is deleted with no grace period (`kubectl delete pod --grace-period=0 --force`). */
export async function killPod(c: DemoCluster, name: string): Promise<void> {
  await c.client.delete(Pods, name, { ...NS, gracePeriodSeconds: 0 });
}

/** Polls until a web pod whose name is not in `known` is ready; resolves with it and the time it was seen ready. */
export async function waitForNewReadyPod(c: DemoCluster, known: ReadonlySet<string>, signal: AbortSignal): Promise<{ pod: Pod; seenAt: number } | undefined> {
  while (!signal.aborted) {
    const fresh = (await readyWebPods(c).catch(() => [])).find((p) => !known.has(podName(p)));
    if (fresh) return { pod: fresh, seenAt: Date.now() };
    await sleep(100);
  }
  return undefined;
}
