import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/api/core.js';
import { ordinalOf, planStatefulSet, statefulSetPod, statefulSetStatus, updateRevision, type StatefulSetFull } from './statefulset-sync.js';

function sts(replicas: number, policy: 'OrderedReady' | 'Parallel' = 'OrderedReady', image = 'nginx:1'): StatefulSetFull {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'sts-uid', generation: 1 },
    spec: {
      replicas,
      podManagementPolicy: policy,
      serviceName: 'web-svc',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

type State = 'ready' | 'pending' | 'terminating' | 'failed';

/** Pods web-0.. in the given states, made from the set's template (so at its current revision). */
function pods(set: StatefulSetFull, states: State[]): Pod[] {
  return states.map((s, ord) => {
    const p = statefulSetPod(set, ord);
    p.metadata.uid = `p${ord}`;
    if (s === 'terminating') p.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    p.status =
      s === 'ready' || s === 'terminating'
        ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }
        : { phase: s === 'failed' ? 'Failed' : 'Pending' };
    return p;
  });
}

const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata.name ?? '');

describe('ordinalOf', () => {
  it.each<[string, number | undefined]>([
    ['web-0', 0],
    ['web-12', 12],
    ['web-01', undefined],
    ['web-x', undefined],
    ['webby-1', undefined],
    ['web-', undefined],
  ])('%s → %s', (name, want) => {
    expect(ordinalOf('web', name)).toBe(want);
  });
});

describe('statefulSetPod', () => {
  it('has a stable identity: name, hostname, subdomain, ordinal labels, controller reference', () => {
    const p = statefulSetPod(sts(3), 2);
    expect(p.metadata.name).toBe('web-2');
    expect(p.metadata.generateName).toBeUndefined();
    expect(p.spec?.hostname).toBe('web-2');
    expect(p.spec?.subdomain).toBe('web-svc');
    expect(p.metadata.labels).toMatchObject({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2' });
    expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true });
  });
});

describe('planStatefulSet', () => {
  it.each<[string, StatefulSetFull, State[], string[], string[]]>([
    ['OrderedReady creates web-0 first', sts(3), [], ['web-0'], []],
    ['then waits for it to be Running and Ready', sts(3), ['pending'], [], []],
    ['then creates the next', sts(3), ['ready'], ['web-1'], []],
    ['Parallel creates all at once', sts(3, 'Parallel'), [], ['web-0', 'web-1', 'web-2'], []],
    ['Parallel fills gaps without waiting', sts(3, 'Parallel'), ['pending'], ['web-1', 'web-2'], []],
    ['scales down from the highest ordinal, one at a time', sts(1), ['ready', 'ready', 'ready'], [], ['web-2']],
    ['waits for a terminating pod before the next', sts(1), ['ready', 'ready', 'terminating'], [], []],
    ['scales down only when the rest are ready', sts(1), ['pending', 'ready', 'ready'], [], []],
    ['Parallel scales down all at once', sts(1, 'Parallel'), ['ready', 'ready', 'ready'], [], ['web-2', 'web-1']],
    ['deletes a failed pod so it comes back under its name', sts(2), ['ready', 'failed'], [], ['web-1']],
    ['a deleted pod is recreated with the same name', sts(3), ['ready', 'ready'], ['web-2'], []],
    ['a pod still terminating blocks its own re-creation', sts(2), ['ready', 'terminating'], [], []],
    ['a steady set does nothing', sts(2), ['ready', 'ready'], [], []],
  ])('%s', (_name, set, states, create, del) => {
    const plan = planStatefulSet(set, pods(set, states));
    expect(names(plan.create)).toEqual(create);
    expect(names(plan.delete)).toEqual(del);
  });

  it('rolls a new template from the highest ordinal down, one ready pod at a time', () => {
    const oldSet = sts(3);
    const newSet = sts(3, 'OrderedReady', 'nginx:2');
    const current = pods(oldSet, ['ready', 'ready', 'ready']);
    expect(names(planStatefulSet(newSet, current).delete)).toEqual(['web-2']);
    // web-2 came back on the new template but is not ready yet: wait.
    const web2 = pods(newSet, ['ready', 'ready', 'pending'])[2]!;
    expect(planStatefulSet(newSet, [current[0]!, current[1]!, web2])).toEqual({ create: [], delete: [] });
    const web2Ready = pods(newSet, ['ready', 'ready', 'ready'])[2]!;
    expect(names(planStatefulSet(newSet, [current[0]!, current[1]!, web2Ready]).delete)).toEqual(['web-1']);
  });

  it('ignores pods it does not control', () => {
    const set = sts(1);
    const stranger = { ...pods(set, ['ready'])[0]!, metadata: { ...pods(set, ['ready'])[0]!.metadata, ownerReferences: [] } };
    expect(names(planStatefulSet(set, [stranger]).create)).toEqual(['web-0']);
  });
});

describe('statefulSetStatus', () => {
  it('counts live, ready, current and updated pods, and finishes the revision when all are updated and ready', () => {
    const set = sts(2);
    const s = statefulSetStatus(set, pods(set, ['ready', 'pending']));
    expect(s).toMatchObject({ replicas: 2, readyReplicas: 1, updatedReplicas: 2, observedGeneration: 1, updateRevision: updateRevision(set) });
    const newSet = { ...sts(2, 'OrderedReady', 'nginx:2'), status: { replicas: 2, currentRevision: updateRevision(set) } };
    const mid = statefulSetStatus(newSet, [pods(set, ['ready'])[0]!, pods(newSet, ['ready', 'ready'])[1]!]);
    expect(mid).toMatchObject({ currentRevision: updateRevision(set), updateRevision: updateRevision(newSet), currentReplicas: 1, updatedReplicas: 1 });
    const done = statefulSetStatus(newSet, pods(newSet, ['ready', 'ready']));
    expect(done).toMatchObject({ currentRevision: updateRevision(newSet), currentReplicas: 2, updatedReplicas: 2 });
  });
});
