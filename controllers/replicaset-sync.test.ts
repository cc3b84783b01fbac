import { describe, expect, it } from 'vitest';
import type { Pod, ReplicaSet } from '../kube/api/core.js';
import { Expectations } from './replicaset-expectations.js';
import { claimPods, diffReplicas, nextAvailableAt, rankForDeletion, replicaSetPod, replicaSetStatus, slowStartBatches } from './replicaset-sync.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString();

const rs: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-uid', generation: 3 },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
};

interface PodOpts {
  owner?: string | null;
  labels?: Record<string, string>;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  readySecondsAgo?: number;
  created?: number;
  restarts?: number;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const owner = o.owner === undefined ? 'rs-uid' : o.owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: o.labels ?? { app: 'web', tier: 'fe' },
      creationTimestamp: at(o.created ?? 100),
      ...(o.deleting ? { deletionTimestamp: at(0) } : {}),
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true }] } : {}),
    },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? (o.node ? 'Running' : 'Pending'),
      ...(o.readySecondsAgo !== undefined ? { conditions: [{ type: 'Ready', status: 'True' as const, lastTransitionTime: at(o.readySecondsAgo) }] } : {}),
      ...(o.restarts ? { containerStatuses: [{ name: 'c', ready: true, restartCount: o.restarts, image: '', imageID: '' }] } : {}),
    },
  };
}

describe('claimPods', () => {
  it('owns its active pods, adopts matching orphans, releases pods that stopped matching, ignores others', () => {
    const pods = [
      pod('mine'),
      pod('orphan', { owner: null }),
      pod('orphan-other-labels', { owner: null, labels: { app: 'db' } }),
      pod('someone-elses', { owner: 'other-uid' }),
      pod('relabelled', { labels: { app: 'debug' } }),
      pod('failed', { phase: 'Failed', node: 'n' }),
      pod('terminating', { deleting: true }),
      pod('orphan-terminating', { owner: null, deleting: true }),
    ];
    const c = claimPods(rs, pods);
    expect(c.owned.map((p) => p.metadata.name)).toEqual(['mine']);
    expect(c.adopt.map((p) => p.metadata.name)).toEqual(['orphan']);
    expect(c.release.map((p) => p.metadata.name)).toEqual(['relabelled']);
  });

  it('adopts nothing while the ReplicaSet is being deleted', () => {
    const dying = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: at(0) } };
    expect(claimPods(dying, [pod('orphan', { owner: null })]).adopt).toEqual([]);
  });
});

describe('diffReplicas', () => {
  it.each([
    [3, 0, 3, 0],
    [3, 2, 1, 0],
    [3, 3, 0, 0],
    [1, 3, 0, 2],
    [0, 2, 0, 2],
  ])('want %d, have %d → create %d, delete %d', (want, have, create, del) => {
    const active = Array.from({ length: have }, (_, i) => pod(`p${i}`, { node: 'n', readySecondsAgo: 10 }));
    const d = diffReplicas(want, active, NOW);
    expect(d.create).toBe(create);
    expect(d.delete).toHaveLength(del);
  });
});

describe('rankForDeletion', () => {
  it.each<[string, Pod, Pod]>([
    ['unscheduled before scheduled', pod('a'), pod('b', { node: 'n', phase: 'Pending' })],
    ['pending before running', pod('a', { node: 'n', phase: 'Pending' }), pod('b', { node: 'n', phase: 'Running' })],
    ['unknown before running', pod('a', { node: 'n', phase: 'Unknown' }), pod('b', { node: 'n', phase: 'Running' })],
    ['not ready before ready', pod('a', { node: 'n' }), pod('b', { node: 'n', readySecondsAgo: 5 })],
    ['ready for less time first', pod('a', { node: 'n', readySecondsAgo: 5 }), pod('b', { node: 'n', readySecondsAgo: 50 })],
    ['more restarts first', pod('a', { node: 'n', readySecondsAgo: 5, restarts: 3 }), pod('b', { node: 'n', readySecondsAgo: 5 })],
    ['newer first', pod('a', { node: 'n', readySecondsAgo: 5, created: 10 }), pod('b', { node: 'n', readySecondsAgo: 5, created: 60 })],
  ])('%s', (_name, first, second) => {
    expect(rankForDeletion([second, first], NOW).map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(rankForDeletion([first, second], NOW).map((p) => p.metadata.name)).toEqual(['a', 'b']);
  });
});

describe('replicaSetStatus', () => {
  it('counts replicas, fully labelled, ready and available (ready for minReadySeconds)', () => {
    const withMinReady = { ...rs, spec: { ...rs.spec!, minReadySeconds: 30 } };
    const active = [
      pod('a', { node: 'n', readySecondsAgo: 60 }),
      pod('b', { node: 'n', readySecondsAgo: 10 }),
      pod('c', { node: 'n', labels: { app: 'web' } }),
    ];
    expect(replicaSetStatus(withMinReady, active, NOW)).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 });
    expect(nextAvailableAt(withMinReady, active, NOW)).toBe(NOW + 20_000);
    expect(nextAvailableAt(rs, active, NOW)).toBeUndefined();
  });
});

describe('replicaSetPod', () => {
  it('is made from the template, named after the ReplicaSet, and controlled by it', () => {
    const p = replicaSetPod(rs);
    expect(p.metadata.generateName).toBe('web-abc-');
    expect(p.metadata.namespace).toBe('default');
    expect(p.metadata.labels).toEqual({ app: 'web', tier: 'fe' });
    expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    expect(p.spec).toEqual(rs.spec!.template!.spec);
    expect(p.spec).not.toBe(rs.spec!.template!.spec);
  });
});

describe('slowStartBatches', () => {
  it.each([
    [0, []],
    [1, [1]],
    [5, [1, 2, 2]],
    [10, [1, 2, 4, 3]],
  ])('%d → %j', (n, want) => {
    expect(slowStartBatches(n)).toEqual(want);
  });
});

describe('Expectations', () => {
  it('holds a controller back until its writes are observed', () => {
    const e = new Expectations(1000, () => 0);
    e.expect('default/rs', 2, ['default/p1']);
    expect(e.satisfied('default/rs')).toBe(false);
    e.creationObserved('default/rs');
    e.creationObserved('default/rs');
    expect(e.satisfied('default/rs')).toBe(false);
    e.deletionObserved('default/rs', 'default/p1');
    expect(e.satisfied('default/rs')).toBe(true);
  });

  it('gives up waiting after the TTL', () => {
    let now = 0;
    const e = new Expectations(1000, () => now);
    e.expect('k', 1);
    expect(e.satisfied('k')).toBe(false);
    now = 1001;
    expect(e.satisfied('k')).toBe(true);
  });
});
