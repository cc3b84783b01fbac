import { describe, expect, it } from 'vitest';
import type { Node, Pod, Taint, Toleration } from '../kube/api/core.js';
import { decide, NodeUsage, needsScheduling, podRequests, tolerates, unschedulableMessage, type Decision } from './scheduler-decision.js';

function node(name: string, opts: { cpu?: string; memory?: string; pods?: string; ready?: boolean; unschedulable?: boolean; taints?: Taint[]; labels?: Record<string, string> } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { ...(opts.unschedulable ? { unschedulable: true } : {}), ...(opts.taints ? { taints: opts.taints } : {}) },
    status: {
      allocatable: { cpu: opts.cpu ?? '2', memory: opts.memory ?? '4Gi', pods: opts.pods ?? '110' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

function pod(name: string, opts: { cpu?: string; memory?: string; nodeName?: string; owner?: string; nodeSelector?: Record<string, string>; tolerations?: Toleration[] } = {}): Pod {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests['cpu'] = opts.cpu;
  if (opts.memory) requests['memory'] = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: `uid-${opts.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests } }],
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
    },
  };
}

function run(p: Pod, nodes: Node[], existing: Pod[] = []): Decision {
  const usage = new NodeUsage();
  for (const e of existing) usage.observe(`default/${e.metadata.name}`, e);
  return decide(p, nodes.map((n) => usage.view(n)));
}

describe('decide: filters and the "0/N nodes are available" message', () => {
  it.each<[string, Pod, Node[], Pod[], string]>([
    ['both nodes short of cpu', pod('p', { cpu: '3' }), [node('a'), node('b')], [], '0/2 nodes are available: 2 Insufficient cpu.'],
    ['cpu used up by existing pods', pod('p', { cpu: '1500m' }), [node('a')], [pod('q', { cpu: '1', nodeName: 'a' })], '0/1 nodes are available: 1 Insufficient cpu.'],
    ['cpu and memory both short are both named', pod('p', { cpu: '3', memory: '8Gi' }), [node('a')], [], '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.'],
    [
      'a tainted node and a full node',
      pod('p', { cpu: '1' }),
      [node('a', { cpu: '500m' }), node('b', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] })],
      [],
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.',
    ],
    ['not ready', pod('p'), [node('a', { ready: false })], [], '0/1 nodes are available: 1 node(s) were not ready.'],
    ['cordoned', pod('p'), [node('a', { unschedulable: true })], [], '0/1 nodes are available: 1 node(s) were unschedulable.'],
    ['selector', pod('p', { nodeSelector: { disk: 'ssd' } }), [node('a')], [], "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."],
    ['pod count', pod('p'), [node('a', { pods: '1' })], [pod('q', { nodeName: 'a' })], '0/1 nodes are available: 1 Too many pods.'],
    ['taint with a value', pod('p'), [node('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })], [], '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.'],
  ])('%s', (_name, p, nodes, existing, message) => {
    const d = run(p, nodes, existing);
    expect(d.node).toBeUndefined();
    expect(d.node === undefined && d.message).toBe(message);
  });

  it('says there are no nodes when there are none', () => {
    expect(unschedulableMessage(0, new Map())).toBe('no nodes available to schedule pods');
  });

  it.each<[string, Pod, Node[], Pod[], string]>([
    ['the only node that fits', pod('p', { cpu: '1' }), [node('a', { cpu: '500m' }), node('b')], [], 'b'],
    ['the matching selector', pod('p', { nodeSelector: { disk: 'ssd' } }), [node('a'), node('b', { labels: { disk: 'ssd' } })], [], 'b'],
    ['a PreferNoSchedule taint does not filter', pod('p'), [node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })], [], 'a'],
    ['a tolerated taint', pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }), [node('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })], [], 'a'],
    ['a cordoned node with the unschedulable toleration', pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] }), [node('a', { unschedulable: true })], [], 'a'],
    ['least requested wins', pod('p'), [node('a'), node('b')], [pod('q', { cpu: '1', nodeName: 'a' })], 'b'],
    ['equal nodes: by name', pod('p'), [node('b'), node('a')], [], 'a'],
    [
      'replicas of one owner spread before balancing load',
      pod('p', { owner: 'web' }),
      [node('a'), node('b')],
      [pod('w1', { owner: 'web', nodeName: 'a' }), pod('x1', { cpu: '1', nodeName: 'b' }), pod('x2', { cpu: '500m', nodeName: 'b' })],
      'b',
    ],
    ['finished pods take no room', pod('p', { cpu: '2' }), [node('a')], [{ ...pod('q', { cpu: '2', nodeName: 'a' }), status: { phase: 'Succeeded' } }], 'a'],
  ])('picks %s', (_name, p, nodes, existing, want) => {
    expect(run(p, nodes, existing).node).toBe(want);
  });
});

describe('NodeUsage', () => {
  it('accounts assumed pods so a pass never overcommits a node', () => {
    const usage = new NodeUsage();
    const nodes = [node('a', { cpu: '1' }), node('b', { cpu: '1' })];
    const placed: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const p = pod(`p${i}`, { cpu: '400m' });
      const d = decide(p, nodes.map((n) => usage.view(n)));
      placed.push(d.node);
      if (d.node) usage.set(`default/p${i}`, p, d.node);
    }
    expect(placed.filter((n) => n === 'a')).toHaveLength(2);
    expect(placed.filter((n) => n === 'b')).toHaveLength(2);
    expect(placed[4]).toBeUndefined();
  });

  it('replaces the assumption when the API shows the pod, and frees the room when it goes', () => {
    const usage = new NodeUsage();
    const p = pod('p', { cpu: '1' });
    usage.set('default/p', p, 'a');
    usage.observe('default/p', { ...p, spec: { ...p.spec!, nodeName: 'a' } });
    expect(usage.view(node('a')).requested['cpu']).toBe(1000);
    expect(usage.view(node('a')).pods).toBe(1);
    usage.remove('default/p');
    expect(usage.view(node('a')).requested['cpu']).toBe(0);
    expect(usage.view(node('a')).pods).toBe(0);
  });
});

describe('podRequests', () => {
  it('sums containers, takes the larger init container, and lets a limit stand in for a request', () => {
    const p: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
          { name: 'b', resources: { limits: { cpu: '200m' } } },
        ],
        initContainers: [{ name: 'i', resources: { requests: { cpu: '1', memory: '32Mi' } } }],
      },
    };
    expect(podRequests(p)).toEqual({ cpu: 1000, memory: 64 * 2 ** 20 });
  });
});

describe('tolerates', () => {
  const taint: Taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  it.each<[Toleration, boolean]>([
    [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, true],
    [{ key: 'k', value: 'v' }, true],
    [{ key: 'k', operator: 'Equal', value: 'w' }, false],
    [{ key: 'k', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
  ])('%j → %s', (tol, want) => {
    expect(tolerates(tol, taint)).toBe(want);
  });
});

describe('needsScheduling', () => {
  it.each<[string, Pod, boolean]>([
    ['pending', pod('p'), true],
    ['bound', pod('p', { nodeName: 'a' }), false],
    ['another scheduler', { ...pod('p'), spec: { containers: [], schedulerName: 'other' } }, false],
    ['terminating', { ...pod('p'), metadata: { name: 'p', deletionTimestamp: '2024-01-01T00:00:00Z' } }, false],
    ['failed', { ...pod('p'), status: { phase: 'Failed' } }, false],
  ])('%s → %s', (_n, p, want) => {
    expect(needsScheduling(p)).toBe(want);
  });
});
