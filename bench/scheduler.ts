// bench/scheduler: time for the scheduler to bind a backlog of pending pods
// (default 1,000) onto Ready nodes (default 50), against a reference measured
// in the same run: the same number of pods/binding POSTs issued directly
// (round-robin onto the nodes, as many in flight as the scheduler allows),
// i.e. the API cost of binding with no scheduling decisions at all.
//
// Both runs end when a separate pod watch has seen every pod bound. The
// scheduler run starts when the scheduler is started (its informers' initial
// list is part of the figure, and reported on its own too).
//
// The server runs no controllers of its own (--controllers ""): only the scheduler under test binds pods.
//
// Usage: npm run build && node dist/bench/scheduler.js [--pods 1000] [--nodes 50] [--concurrency 16] [--store sqlite|memory]
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from '../kube/api/core.js';
import { KubeClient, Namespaces, Nodes, Pods } from '../kube/client.js';
import { createInformer, listWatchFor } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { SharedInformers, type ControllerContext } from '../controllers/controller-context.js';
import { createScheduler } from '../controllers/scheduler-controller.js';
import { podRequests } from '../controllers/scheduler-decision.js';
import { ms, ratio } from './bench-stats.js';
import { startBenchApiServer } from './bench-apiserver.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] ?? def : def;
}

const PODS = Number(arg('pods', '1000'));
const NODES = Number(arg('nodes', '50'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const STORE = arg('store', 'sqlite');


function node(i: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}` } },
    status: { allocatable: { cpu: '32', memory: '64Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(ns: string, i: number): Pod {
  const owner = `web-${i % 10}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: ns, labels: { app: owner }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  };
}

async function createPods(client: KubeClient, ns: string): Promise<void> {
  await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (let i = 0; i < PODS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, PODS - i) }, (_, j) => client.create(Pods, pod(ns, i + j), { namespace: ns })));
  }
}

/** Resolves with the time at which a pod watch in `ns` has seen every pod bound. */
async function allBound(client: KubeClient, ns: string, signal: AbortSignal): Promise<{ done: Promise<number>; pods: () => readonly Pod[] }> {
  const inf = createInformer<Pod>(listWatchFor<Pod>(client, Pods, { namespace: ns }), { onError: () => undefined });
  let resolve!: (t: number) => void;
  const done = new Promise<number>((r) => (resolve = r));
  const bound = new Set<string>();
  const check = (p: Pod): void => {
    if (p.spec?.nodeName) bound.add(p.metadata.name ?? '');
    if (bound.size === PODS) resolve(performance.now());
  };
  inf.on({ add: check, update: (_o, p) => check(p), delete: () => undefined });
  await inf.start(signal);
  return { done, pods: () => inf.list() };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'netkube-bench-sched-'));
  const { kubeconfig, stop: stopApiServer } = await startBenchApiServer(dataDir, { store: STORE === 'memory' ? 'memory' : 'sqlite' });
  const stop = new AbortController();
  setMaxListeners(64, stop.signal);
  const client = new KubeClient(await loadKubeconfig(kubeconfig), { userAgent: 'bench-scheduler' });
  try {
    process.stderr.write(`creating ${NODES} nodes and 2 × ${PODS} pending pods (store: ${STORE})…\n`);
    for (let i = 0; i < NODES; i++) await client.create(Nodes, node(i));
    await createPods(client, 'ref');
    await createPods(client, 'sched');

    // Reference: the binding POSTs alone, round-robin, CONCURRENCY in flight.
    const refWatch = await allBound(client, 'ref', stop.signal);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PODS) {
          const i = next++;
          await client.create(
            Pods,
            { apiVersion: 'v1', kind: 'Binding', metadata: { name: `p-${i}`, namespace: 'ref' }, target: { apiVersion: 'v1', kind: 'Node', name: `node-${i % NODES}` } },
            { namespace: 'ref', name: `p-${i}`, subresource: 'binding' },
          );
        }
      }),
    );
    const refMs = (await refWatch.done) - t0;

    // Measured: the scheduler, started against the pending backlog in 'sched' (it also sees the 'ref' pods as load on the nodes).
    const schedWatch = await allBound(client, 'sched', stop.signal);
    const informers = new SharedInformers(client, { onError: (e) => process.stderr.write(`informer: ${String(e)}\n`) });
    let finished = false;
    // A binding still in flight when the watch already showed it bound fails when the server stops: not worth a line.
    const log = (m: string): void => void (finished || process.stderr.write(`${m}\n`));
    const ctx: ControllerContext = { client, informers, events: { event: () => undefined }, log, signal: stop.signal };
    const t1 = performance.now();
    const run = createScheduler({ concurrency: CONCURRENCY }).setup(ctx);
    await informers.start(stop.signal);
    const synced = performance.now() - t1;
    void run.run();
    const schedMs = (await schedWatch.done) - t1;
    finished = true;

    // Sanity: no node over its allocatable, and how evenly the pods landed.
    const perNode = new Map<string, { pods: number; cpu: number }>();
    for (const p of [...refWatch.pods(), ...schedWatch.pods()]) {
      const n = perNode.get(p.spec!.nodeName!) ?? { pods: 0, cpu: 0 };
      n.pods++;
      n.cpu += podRequests(p)['cpu'] ?? 0;
      perNode.set(p.spec!.nodeName!, n);
    }
    const counts = [...perNode.values()].map((n) => n.pods);
    const overcommitted = [...perNode.values()].filter((n) => n.cpu > 32_000 || n.pods > 110).length;

    console.log(`scheduler: ${PODS} pending pods onto ${NODES} nodes (${STORE} store, ${CONCURRENCY} bindings in flight)`);
    console.log(`  reference (${PODS} binding POSTs, no decisions): ${ms(refMs)}  (${Math.round((PODS / refMs) * 1000)} pods/s)`);
    console.log(`  scheduler (start → all bound):             ${ms(schedMs)}  (${Math.round((PODS / schedMs) * 1000)} pods/s; informer sync ${ms(synced)})`);
    console.log(`  ratio scheduler/reference: ${ratio(schedMs, refMs)}`);
    console.log(`  pods per node (both runs): min ${Math.min(...counts)}, max ${Math.max(...counts)}; nodes over allocatable: ${overcommitted}`);
  } finally {
    stop.abort();
    client.close();
    await stopApiServer();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
