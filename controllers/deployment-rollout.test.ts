import { describe, expect, it } from 'vitest';
import type { Deployment, IntOrString, ReplicaSet } from '../kube/api/core.js';
import {
  deploymentStatus,
  findNewReplicaSet,
  historyToDelete,
  intOrPercent,
  newReplicaSetFor,
  recreateStep,
  resolveFenceposts,
  rollingUpdateStep,
  TEMPLATE_HASH_LABEL,
} from './deployment-rollout.js';

function deployment(replicas: number, maxSurge: IntOrString = '25%', maxUnavailable: IntOrString = '25%', image = 'nginx:2'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
    },
  };
}

function rs(name: string, replicas: number, available: number, created = '2024-01-01T00:00:00Z', revision = 1): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', creationTimestamp: created, annotations: { 'deployment.kubernetes.io/revision': String(revision) } },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  };
}

describe('intOrPercent and resolveFenceposts', () => {
  it.each<[IntOrString, number, boolean, number]>([
    [3, 10, true, 3],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['50%', 5, true, 3],
    ['50%', 5, false, 2],
    ['100%', 7, false, 7],
    ['0%', 7, true, 0],
    ['1%', 1, true, 1],
    ['1%', 1, false, 0],
  ])('%j of %d (round up %s) = %d', (v, total, up, want) => {
    expect(intOrPercent(v, total, up, 0)).toBe(want);
  });

  it('rejects nonsense', () => {
    expect(() => intOrPercent('lots', 10, true, 0)).toThrow('"lots"');
  });

  it.each<[number, IntOrString, IntOrString, number, number]>([
    [4, '25%', '25%', 1, 1],
    [10, '25%', '25%', 3, 2],
    [3, 0, 0, 0, 1], // both zero would never progress
    [3, 1, 0, 1, 0],
    [2, '0%', '10%', 0, 1],
    [1, 0, 5, 0, 1], // never more unavailable than replicas
  ])('replicas %d, surge %j, unavailable %j → %d/%d', (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    expect(resolveFenceposts(deployment(replicas, surge, unavailable))).toEqual({ maxSurge: wantSurge, maxUnavailable: wantUnavailable });
  });
});

describe('rollingUpdateStep', () => {
  it.each<[string, Deployment, ReplicaSet, ReplicaSet[], [string, number][]]>([
    ['scales the new RS up within surge', deployment(4, 1, 1), rs('new', 0, 0), [rs('old', 4, 4)], [['new', 1]]],
    ['then, unable to surge further, scales old down within unavailable', deployment(4, 1, 1), rs('new', 1, 0), [rs('old', 4, 4)], [['old', 3]]],
    ['waits while nothing can move', deployment(4, 0, 1), rs('new', 1, 0), [rs('old', 3, 3)], []],
    ['removes unhealthy old pods first (within the surplus over minAvailable)', deployment(4, 0, 1), rs('new', 1, 1), [rs('old', 3, 1)], [['old', 2]]],
    ['scales the oldest old RS down first', deployment(4, 0, 2), rs('new', 0, 0), [rs('b', 2, 2, '2024-02-01T00:00:00Z'), rs('a', 2, 2, '2024-01-01T00:00:00Z')], [['a', 0]]],
    ['a fresh deployment starts whole', deployment(5), rs('new', 0, 0), [], [['new', 5]]],
    ['scales down a new RS above replicas', deployment(2), rs('new', 5, 5), [], [['new', 2]]],
    ['a finished rollout does nothing', deployment(3), rs('new', 3, 3), [rs('old', 0, 0)], []],
  ])('%s', (_name, d, newRS, oldRSs, want) => {
    expect(rollingUpdateStep(d, newRS, oldRSs).map((a) => [a.name, a.to])).toEqual(want);
  });

  // Play the rollout to the end with ReplicaSets whose pods become available
  // one sync later, checking Kubernetes' two promises at every step.
  it.each<[number, IntOrString, IntOrString]>([
    [4, '25%', '25%'],
    [10, '25%', '25%'],
    [5, 0, 1],
    [5, 2, 0],
    [3, '100%', 0],
    [7, '50%', '50%'],
  ])('replicas %d, surge %j, unavailable %j: bounded and always available enough', (replicas, surge, unavailable) => {
    const d = deployment(replicas, surge, unavailable);
    const { maxSurge, maxUnavailable } = resolveFenceposts(d);
    const sets = new Map<string, ReplicaSet>([
      ['new', rs('new', 0, 0, '2024-03-01T00:00:00Z')],
      ['old', rs('old', replicas, replicas)],
    ]);
    for (let step = 0; step < 100; step++) {
      const newRS = sets.get('new')!;
      const old = [sets.get('old')!];
      const actions = rollingUpdateStep(d, newRS, old);
      for (const a of actions) sets.get(a.name)!.spec!.replicas = a.to;
      const total = [...sets.values()].reduce((n, s) => n + s.spec!.replicas!, 0);
      expect(total).toBeLessThanOrEqual(replicas + maxSurge);
      // Scale-down takes pods away at once; scale-up pods become available only on the next step.
      for (const s of sets.values()) {
        const spec = s.spec!.replicas!;
        s.status = { replicas: spec, availableReplicas: Math.min(spec, s.status!.availableReplicas ?? 0), readyReplicas: 0 };
      }
      const available = [...sets.values()].reduce((n, s) => n + (s.status!.availableReplicas ?? 0), 0);
      expect(available).toBeGreaterThanOrEqual(replicas - maxUnavailable);
      for (const s of sets.values()) s.status = { replicas: s.spec!.replicas!, availableReplicas: s.spec!.replicas!, readyReplicas: 0 };
      if (actions.length === 0 && sets.get('old')!.spec!.replicas === 0 && sets.get('new')!.spec!.replicas === replicas) return;
    }
    throw new Error(`rollout did not finish: ${JSON.stringify([...sets.values()].map((s) => [s.metadata.name, s.spec!.replicas]))}`);
  });
});

describe('recreateStep', () => {
  const d: Deployment = { ...deployment(3), spec: { ...deployment(3).spec!, strategy: { type: 'Recreate' } } };
  it.each<[string, ReplicaSet, ReplicaSet[], number, [string, number][]]>([
    ['old to zero first', rs('new', 0, 0), [rs('old', 3, 3)], 3, [['old', 0]]],
    ['waits for old pods to stop', rs('new', 0, 0), [rs('old', 0, 0)], 2, []],
    ['then new up', rs('new', 0, 0), [rs('old', 0, 0)], 0, [['new', 3]]],
    ['done', rs('new', 3, 3), [rs('old', 0, 0)], 0, []],
  ])('%s', (_name, newRS, old, running, want) => {
    expect(recreateStep(d, newRS, old, running).map((a) => [a.name, a.to])).toEqual(want);
  });
});

describe('new ReplicaSet', () => {
  it('is named by template hash, selects and labels by it, and is controlled by the Deployment', () => {
    const d = deployment(3);
    const made = newReplicaSetFor(d, 1, 4);
    const hash = made.spec!.template!.metadata!.labels![TEMPLATE_HASH_LABEL]!;
    expect(made.metadata.name).toBe(`web-${hash}`);
    expect(made.spec!.selector.matchLabels).toEqual({ app: 'web', [TEMPLATE_HASH_LABEL]: hash });
    expect(made.metadata.labels).toEqual({ app: 'web', [TEMPLATE_HASH_LABEL]: hash });
    expect(made.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('4');
    expect(made.metadata.ownerReferences![0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true });
    expect(made.spec!.replicas).toBe(1);
    // It is found again as the new RS, while a RS of another template is not.
    expect(findNewReplicaSet(d, [made])?.metadata.name).toBe(made.metadata.name);
    expect(findNewReplicaSet(deployment(3, '25%', '25%', 'nginx:3'), [made])).toBeUndefined();
    expect(newReplicaSetFor(d, 1, 4).metadata.name).toBe(made.metadata.name);
  });
});

describe('historyToDelete', () => {
  it('keeps revisionHistoryLimit idle old ReplicaSets, deleting the oldest revisions', () => {
    const d = { ...deployment(1), spec: { ...deployment(1).spec!, revisionHistoryLimit: 2 } };
    const old = [rs('r3', 0, 0, undefined, 3), rs('r1', 0, 0, undefined, 1), rs('r2', 0, 0, undefined, 2), rs('r4', 1, 1, undefined, 4)];
    expect(historyToDelete(d, old).map((r) => r.metadata.name)).toEqual(['r1']);
  });
});

describe('deploymentStatus', () => {
  const now = '2024-05-01T00:00:00Z';
  it('reports a finished rollout the way kubectl rollout status wants it', () => {
    const s = deploymentStatus(deployment(3), rs('web-new', 3, 3), [rs('web-old', 0, 0)], now);
    expect(s).toMatchObject({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(s.conditions).toEqual([
      expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
      expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-new" has successfully progressed.' }),
    ]);
  });

  it('reports a rollout in progress, and unavailability below the minimum', () => {
    const s = deploymentStatus(deployment(4, 1, 1), rs('web-new', 2, 0), [rs('web-old', 2, 2)], now);
    expect(s).toMatchObject({ replicas: 4, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 2 });
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'False', 'MinimumReplicasUnavailable'],
      ['Progressing', 'True', 'ReplicaSetUpdated'],
    ]);
  });

  it('keeps condition timestamps while nothing changes', () => {
    const first = deploymentStatus(deployment(3), rs('web-new', 3, 3), [], now);
    const again = deploymentStatus({ ...deployment(3), status: first }, rs('web-new', 3, 3), [], '2024-05-02T00:00:00Z');
    expect(again.conditions).toEqual(first.conditions);
  });
});
