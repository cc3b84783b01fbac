// Issue 3 end to end: "a node that stops heartbeating has its pods
// rescheduled". A real `netkube apiserver` runs every controller in-process
// with short node-lifecycle timings; the test plays one kubelet per node
// (heartbeats, pods Running+Ready) and then silences node-2.
//
// The order of what happens is read from the API's own history, not from the
// clock: informers in the test record every Node, Pod, EndpointSlice and
// Deployment event with its resourceVersion (one global revision in
// apiserver-lite, DELETED events carrying the deletion's revision), and each
// milestone is the first revision at which the replayed cluster state
// satisfies it. Milestones are found independently, so their order is a real
// assertion, not a consequence of how they were searched for.
import { setMaxListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, EndpointSlice, Event, Node, Pod, Service } from '../kube/api/core.js';
import { Deployments, EndpointSlices, Events, KubeClient, Namespaces, Nodes, Pods, Services, type ResourceDescriptor } from '../kube/client.js';
import { createInformer, listWatchFor } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { isPodReady } from '../controllers/pod-status.js';
import { TAINT_UNREACHABLE } from '../controllers/node-lifecycle-health.js';
import { cleanup, eventually, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';
import { startFakeKubelet, type FakeKubelet } from './support/fake-kubelet.js';

const NS = 'failover';
const REPLICAS = 4;
const GRACE_S = 4;
const EVICTION_S = 5;
const HEARTBEAT_MS = 300;
/** Generous: the machine is shared and loaded. Each wait still ends as soon as its condition holds. */
const WAIT_MS = 40_000;

let server: ApiServerProcess;
let client: KubeClient;
const kubelets = new Map<string, FakeKubelet>();
const stop = new AbortController();

// ---------------------------------------------------------------- history

type Kind = 'Node' | 'Pod' | 'EndpointSlice' | 'Deployment';
type Obj = Node | Pod | EndpointSlice | Deployment;
interface Recorded {
  rv: number;
  kind: Kind;
  deleted: boolean;
  obj: Obj;
}
const history: Recorded[] = [];

function record(kind: Kind, res: ResourceDescriptor, namespace?: string): Promise<void> {
  const informer = createInformer<Obj>(listWatchFor<Obj>(client, res, namespace ? { namespace } : {}), { onError: () => undefined });
  const push = (obj: Obj, deleted: boolean) => history.push({ rv: Number(obj.metadata.resourceVersion), kind, deleted, obj });
  informer.on({ add: (o) => push(o, false), update: (_old, o) => push(o, false), delete: (o) => push(o, true) });
  return informer.start(stop.signal);
}

/** The cluster as of some revision. */
interface State {
  nodes: Map<string, Node>;
  pods: Map<string, Pod>;
  slices: Map<string, EndpointSlice>;
  deployment?: Deployment;
  /** Names of the pods deleted so far. */
  gone: Set<string>;
}

function apply(s: State, r: Recorded): void {
  const name = r.obj.metadata.name ?? '';
  if (r.kind === 'Deployment') {
    if (r.deleted) delete s.deployment;
    else s.deployment = r.obj as Deployment;
    return;
  }
  const map = (r.kind === 'Node' ? s.nodes : r.kind === 'Pod' ? s.pods : s.slices) as Map<string, Obj>;
  if (r.deleted) map.delete(name);
  else map.set(name, r.obj);
  if (r.deleted && r.kind === 'Pod') s.gone.add(name);
}

const readyStatus = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const unreachableTaints = (n: Node | undefined) =>
  (n?.spec?.taints ?? [])
    .filter((t) => t.key === TAINT_UNREACHABLE)
    .map((t) => t.effect)
    .sort();
const endpoints = (s: State) => [...s.slices.values()].flatMap((sl) => sl.endpoints ?? []);

/** The pods that were running before node-2 died, by node (set once the steady state is reached). */
let before: { node1: string[]; node2: string[] } = { node1: [], node2: [] };

/**
 * Each milestone is a predicate over the replayed state; `dropped` tells
 * whether the Deployment's availability has fallen below REPLICAS yet (so a
 * stale "4 available" from before the failure does not count as recovery).
 */
const MILESTONES = {
  /** node-2 Ready=Unknown and tainted unreachable (NoSchedule + NoExecute). */
  nodeUnreachable: (s: State) => {
    const n = s.nodes.get('node-2');
    return readyStatus(n) === 'Unknown' && unreachableTaints(n).join(',') === 'NoExecute,NoSchedule';
  },
  /** Every endpoint of node-2's pods present but not ready, node-1's still ready. */
  endpointsNotReady: (s: State) => {
    const eps = endpoints(s);
    const on2 = eps.filter((e) => e.nodeName === 'node-2');
    const on1 = eps.filter((e) => e.nodeName === 'node-1');
    return on2.length === before.node2.length && on2.every((e) => e.conditions?.ready === false) && on1.length === before.node1.length && on1.every((e) => e.conditions?.ready === true);
  },
  /** The first of node-2's pods is deleted. */
  evictionStarted: (s: State) => before.node2.some((p) => s.gone.has(p)),
  /** All of node-2's pods are deleted. */
  evicted: (s: State) => before.node2.every((p) => s.gone.has(p)),
  /** As many new pods as were lost are bound to a node. */
  replacementsBound: (s: State) => [...s.pods.values()].filter((p) => !isBefore(p) && p.spec?.nodeName).length >= before.node2.length,
  /** The Deployment reports REPLICAS available again (after dropping), and they are all Ready pods on node-1. */
  deploymentRecovered: (s: State, dropped: boolean) => {
    const st = s.deployment?.status;
    const live = [...s.pods.values()].filter((p) => !p.metadata.deletionTimestamp);
    return (
      dropped &&
      st?.availableReplicas === REPLICAS &&
      st.readyReplicas === REPLICAS &&
      live.length === REPLICAS &&
      live.every((p) => p.spec?.nodeName === 'node-1' && isPodReady(p))
    );
  },
  /** The slices list exactly REPLICAS ready endpoints, all node-1 pods, including the replacements. */
  slicesRecovered: (s: State) => {
    const eps = endpoints(s);
    return (
      eps.length === REPLICAS &&
      eps.every((e) => e.nodeName === 'node-1' && e.conditions?.ready === true && !before.node2.includes(e.targetRef?.name ?? '')) &&
      eps.filter((e) => !before.node1.includes(e.targetRef?.name ?? '')).length === before.node2.length
    );
  },
};
type Milestone = keyof typeof MILESTONES;

const isBefore = (p: Pod) => [...before.node1, ...before.node2].includes(p.metadata.name ?? '');

/** Replays the history in revision order: the final state and the first revision of each milestone. */
function replay(): { state: State; at: Partial<Record<Milestone, number>> } {
  const state: State = { nodes: new Map(), pods: new Map(), slices: new Map(), gone: new Set() };
  const at: Partial<Record<Milestone, number>> = {};
  const watching = before.node2.length > 0;
  let dropped = false;
  for (const r of [...history].sort((a, b) => a.rv - b.rv)) {
    apply(state, r);
    if (!watching) continue;
    if ((state.deployment?.status?.availableReplicas ?? 0) < REPLICAS && at.nodeUnreachable !== undefined) dropped = true;
    for (const [name, holds] of Object.entries(MILESTONES) as [Milestone, (s: State, d: boolean) => boolean][]) {
      if (at[name] === undefined && holds(state, dropped)) at[name] = r.rv;
    }
  }
  return { state, at };
}

/** What a failure message shows: the cluster as last seen, the milestones so far and the server's last log lines. */
function describeState(): string {
  const { state, at } = replay();
  const nodes = [...state.nodes.values()].map((n) => `${n.metadata.name}: Ready=${readyStatus(n)} taints=[${(n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).join(' ')}]`);
  const pods = [...state.pods.values()].map(
    (p) => `${p.metadata.name}@${p.spec?.nodeName ?? '-'} ${p.status?.phase ?? ''} ready=${isPodReady(p)}${p.metadata.deletionTimestamp ? ' terminating' : ''}`,
  );
  const eps = endpoints(state).map((e) => `${e.targetRef?.name}@${e.nodeName} ${e.addresses.join(',')} ready=${e.conditions?.ready}`);
  const log = server
    .output()
    .split('\n')
    .filter((l) => l.includes('controller'))
    .slice(-15);
  return [
    `nodes:\n  ${nodes.join('\n  ')}`,
    `pods:\n  ${pods.join('\n  ')}`,
    `endpoints:\n  ${eps.join('\n  ')}`,
    `deployment status: ${JSON.stringify(state.deployment?.status ?? null)}`,
    `before the failure: ${JSON.stringify(before)}`,
    `milestones (revision): ${JSON.stringify(at)}`,
    `server log:\n  ${log.join('\n  ')}`,
  ].join('\n');
}

async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T> {
  try {
    return (await eventually(fn, what, WAIT_MS)) as T;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${describeState()}`);
  }
}

const milestone = (name: Milestone) => waitFor(() => replay().at[name], `milestone ${name}`);

// ---------------------------------------------------------------- setup

function node(name: string): Node {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

function kubeletFor(name: string): FakeKubelet {
  const k = startFakeKubelet(client, { nodes: [name], heartbeatMs: HEARTBEAT_MS });
  kubelets.set(name, k);
  return k;
}

beforeAll(async () => {
  setMaxListeners(64, stop.signal);
  server = await startApiServer({
    store: 'memory',
    controllers: '*',
    args: ['--node-monitor-grace-period', `${GRACE_S}s`, '--pod-eviction-timeout', `${EVICTION_S}s`],
  });
  client = new KubeClient(await loadKubeconfig(server.kubeconfigPath));
  await client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await Promise.all([record('Node', Nodes), record('Pod', Pods, NS), record('EndpointSlice', EndpointSlices, NS), record('Deployment', Deployments, NS)]);
  for (const n of ['node-1', 'node-2']) {
    await client.create(Nodes, node(n));
    await kubeletFor(n).started;
  }
});

afterAll(async () => {
  stop.abort();
  for (const k of kubelets.values()) k.stop();
  client?.close();
  await cleanup();
});

// ---------------------------------------------------------------- the scenario

describe('node failure, with every controller in the apiserver process', () => {
  it('runs 4 replicas spread over both nodes, all ready in the EndpointSlice', async () => {
    await client.create<Service>(
      Services,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] } },
      { namespace: NS },
    );
    await client.create<Deployment>(
      Deployments,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: NS },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
          },
        },
      },
      { namespace: NS },
    );
    const steady = await waitFor(() => {
      const { state } = replay();
      const pods = [...state.pods.values()];
      const eps = endpoints(state);
      const ok =
        pods.length === REPLICAS &&
        pods.every((p) => p.status?.phase === 'Running' && isPodReady(p) && p.spec?.nodeName) &&
        state.deployment?.status?.availableReplicas === REPLICAS &&
        eps.length === REPLICAS &&
        eps.every((e) => e.conditions?.ready === true);
      return ok ? state : undefined;
    }, '4 pods Running+Ready, Deployment available, 4 ready endpoints');
    const pods = [...steady.pods.values()];
    const on = (n: string) => pods.filter((p) => p.spec?.nodeName === n).map((p) => p.metadata.name ?? '');
    // Spreading replicas of one owner over two equal nodes: two each.
    expect(on('node-1')).toHaveLength(2);
    expect(on('node-2')).toHaveLength(2);
    expect(new Set(endpoints(steady).map((e) => e.addresses[0])).size).toBe(REPLICAS);
    before = { node1: on('node-1'), node2: on('node-2') };
  });

  it('a node that stops heartbeating is marked, its endpoints turn not ready, and its pods are rescheduled onto the healthy node', async () => {
    expect(before.node2).toHaveLength(2);
    // node-2 dies: no more heartbeats, nobody serving its pods.
    kubelets.get('node-2')!.stop();

    const unreachable = await milestone('nodeUnreachable');
    const notReady = await milestone('endpointsNotReady');
    const evictionStarted = await milestone('evictionStarted');
    const evicted = await milestone('evicted');
    const bound = await milestone('replacementsBound');
    const deploymentBack = await milestone('deploymentRecovered');
    const slicesBack = await milestone('slicesRecovered');

    // The order, by the API's revisions.
    expect(unreachable).toBeLessThan(notReady);
    expect(notReady).toBeLessThan(evictionStarted);
    expect(evictionStarted).toBeLessThanOrEqual(evicted);
    expect(evicted).toBeLessThan(bound);
    expect(bound).toBeLessThan(deploymentBack);
    expect(bound).toBeLessThan(slicesBack);

    // Every replacement ever bound went to node-1 (the taint keeps them off node-2),
    // and node-1 was never marked or tainted.
    const replacements = history.filter((r) => r.kind === 'Pod' && !isBefore(r.obj as Pod) && (r.obj as Pod).spec?.nodeName);
    expect(new Set(replacements.map((r) => (r.obj as Pod).spec?.nodeName))).toEqual(new Set(['node-1']));
    const node1 = history.filter((r) => r.kind === 'Node' && r.obj.metadata.name === 'node-1').map((r) => r.obj as Node);
    expect(node1.filter((n) => readyStatus(n) !== 'True' || (n.spec?.taints ?? []).length > 0).map((n) => n.metadata.resourceVersion)).toEqual([]);
    // node-1's pods were never disturbed.
    const { state } = replay();
    expect(before.node1.every((p) => state.pods.has(p))).toBe(true);

    // `kubectl describe` can tell the story.
    const events = async (ns: string) => (await client.list<Event>(Events, { namespace: ns })).items;
    await waitFor(async () => (await events('default')).some((e) => e.involvedObject.name === 'node-2' && e.reason === 'NodeNotReady'), 'NodeNotReady event for node-2');
    await waitFor(
      async () => {
        const evs = await events(NS);
        return before.node2.every((p) => evs.some((e) => e.involvedObject.name === p && e.reason === 'TaintManagerEviction'));
      },
      'TaintManagerEviction events for the evicted pods',
    );
  });

  it('when node-2 heartbeats again its unreachable taints are removed', async () => {
    expect(unreachableTaints(await client.get<Node>(Nodes, 'node-2'))).toEqual(['NoExecute', 'NoSchedule']);
    await kubeletFor('node-2').started;
    const back = await waitFor(async () => {
      const n = await client.get<Node>(Nodes, 'node-2');
      return readyStatus(n) === 'True' && unreachableTaints(n).length === 0 ? n : undefined;
    }, 'node-2 Ready=True without unreachable taints');
    expect(back.spec?.taints ?? []).toEqual([]);
    // Nothing moves back: the Deployment stays whole on node-1.
    const d = await client.get<Deployment>(Deployments, 'web', { namespace: NS });
    expect(d.status?.availableReplicas).toBe(REPLICAS);
  });
});
