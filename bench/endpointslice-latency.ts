// bench/endpointslice-latency: time from a pod becoming Ready (its status
// write) to its address being ready in the Service's EndpointSlice, p50/p99
// over N pods (default 1,000) behind one Service.
//
// The apiserver runs as a child process on the SQLite store; the EndpointSlice
// controller runs in this process as an ordinary API client. The pods start
// Running but not Ready (so they already sit in ~N/100 slices). Then each pod
// in turn gets Ready=True through pods/status, and two watches started before
// the write note when they see it:
//   - reference: a plain watch on the pods (the raw delivery of that write),
//   - measured:  a watch on the EndpointSlices (the controller's reaction:
//                informer event → queue → reconcile → slice update → watch).
// The printed ratio is slice latency / pod-watch latency, per percentile.
//
// Usage: npm run build && node dist/bench/endpointslice-latency.js [--pods 1000] [--concurrency 1]
//   --concurrency C keeps C status writes in flight (1 = one pod at a time, each measured alone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointSlice, Pod } from '../kube/api/core.js';
import type { WatchEvent } from '../kube/api/meta.js';
import { EndpointSlices, KubeClient, Namespaces, Pods, Services } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { resourcePath } from '../kube/resource-path.js';
import { SharedInformers, type ControllerContext } from '../controllers/controller-context.js';
import { createEndpointSliceController } from '../controllers/endpointslice-controller.js';
import { ms, ratio, summarize } from './bench-stats.js';
import { startBenchApiServer } from './bench-apiserver.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const PODS = arg('pods', 1000);
const CONCURRENCY = Math.max(1, arg('concurrency', 1));
const NS = 'bench';


const ipOf = (i: number) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'netkube-bench-eps-'));
  const { kubeconfig, stop: stopApiServer } = await startBenchApiServer(dataDir, { store: 'sqlite' });
  const stop = new AbortController();
  const client = new KubeClient(await loadKubeconfig(kubeconfig), { userAgent: 'bench-endpointslice' });
  try {
    await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } }, { namespace: NS });
    process.stderr.write(`creating ${PODS} pods (Running, not Ready)…\n`);
    for (let i = 0; i < PODS; i += 50) {
      const batch = Array.from({ length: Math.min(50, PODS - i) }, (_, j) => i + j);
      await Promise.all(
        batch.map(async (k) => {
          const name = `web-${k}`;
          await client.create<Pod>(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: 'web' } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x' }] } }, { namespace: NS });
          await client.patch(Pods, name, 'merge', { status: { phase: 'Running', podIP: ipOf(k), conditions: [{ type: 'Ready', status: 'False' }] } }, { namespace: NS, subresource: 'status' });
        }),
      );
    }

    // The controller, in this process, as in `netkube apiserver`'s controller manager.
    const informers = new SharedInformers(client, { onError: (e) => process.stderr.write(`informer: ${String(e)}\n`) });
    const ctx: ControllerContext = { client, informers, events: { event: () => undefined }, log: (m) => process.stderr.write(`${m}\n`), signal: stop.signal };
    const run = createEndpointSliceController().setup(ctx);
    await informers.start(stop.signal);
    void run.run();

    // Wait until every pod is in a slice (not ready), then start both watches from that point.
    const ipToPod = new Map(Array.from({ length: PODS }, (_, k) => [ipOf(k), `web-${k}`]));
    let rv = '';
    for (;;) {
      const list = await client.list<EndpointSlice>(EndpointSlices, { namespace: NS });
      const n = list.items.reduce((a, s) => a + (s.endpoints ?? []).length, 0);
      if (n === PODS) {
        rv = list.resourceVersion;
        process.stderr.write(`${list.items.length} slices hold ${n} endpoints\n`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const podSeen = new Map<string, number>();
    const sliceSeen = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const watchSignal = stop.signal;
    void client
      .watch<Pod>(resourcePath({ ...Pods, namespace: NS }), { resourceVersion: rv }, (e: WatchEvent<Pod>) => {
        const name = e.object.metadata?.name;
        if (name && !podSeen.has(name) && e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) podSeen.set(name, performance.now());
      }, watchSignal)
      .catch(() => undefined);
    void client
      .watch<EndpointSlice>(resourcePath({ ...EndpointSlices, namespace: NS }), { resourceVersion: rv }, (e: WatchEvent<EndpointSlice>) => {
        const t = performance.now();
        for (const ep of e.object.endpoints ?? []) {
          const name = ipToPod.get(ep.addresses[0] ?? '');
          if (!name || !ep.conditions?.ready || sliceSeen.has(name)) continue;
          sliceSeen.set(name, t);
          waiters.get(name)?.();
        }
      }, watchSignal)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300)); // both watches connected

    process.stderr.write(`turning ${PODS} pods Ready, ${CONCURRENCY} at a time…\n`);
    const started = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < PODS) {
        const name = `web-${next++}`;
        const seen = new Promise<void>((r) => waiters.set(name, r));
        started.set(name, performance.now());
        await client.patch(Pods, name, 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] } }, { namespace: NS, subresource: 'status' });
        if (!sliceSeen.has(name)) await seen;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const wall = performance.now() - t0;

    const sliceLat: number[] = [];
    const podLat: number[] = [];
    for (const [name, t] of started) {
      const s = sliceSeen.get(name);
      const p = podSeen.get(name);
      if (s !== undefined) sliceLat.push(s - t);
      if (p !== undefined) podLat.push(p - t);
    }
    const S = summarize(sliceLat);
    const P = summarize(podLat);
    console.log(`EndpointSlice readiness latency, ${PODS} pods behind one Service, concurrency ${CONCURRENCY} (SQLite store)`);
    console.log(`  pod watch (reference):  n=${P.n} p50 ${ms(P.p50)}  p99 ${ms(P.p99)}  max ${ms(P.max)}`);
    console.log(`  endpoint ready in slice: n=${S.n} p50 ${ms(S.p50)}  p99 ${ms(S.p99)}  max ${ms(S.max)}`);
    console.log(`  ratio slice/pod-watch:   p50 ${ratio(S.p50, P.p50)}  p99 ${ratio(S.p99, P.p99)}`);
    console.log(`  ${PODS} pods made ready in ${(wall / 1000).toFixed(1)} s`);
  } finally {
    stop.abort();
    client.close();
    await stopApiServer();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
