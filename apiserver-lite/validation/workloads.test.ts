import { describe, it, expect } from 'vitest';
import { validateDeployment, validateDeploymentUpdate } from './deployment.js';
import { validateReplicaSet, validateReplicaSetUpdate } from './replica-set.js';
import { validateStatefulSet, validateStatefulSetUpdate } from './stateful-set.js';

const template = (labels: Record<string, string> | undefined) => ({
  metadata: labels === undefined ? {} : { labels },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
});
function workload(kind: string, spec: Record<string, unknown>, name = 'web'): unknown {
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace: 'default' }, spec };
}
const good = { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web', tier: 'fe' }) };
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe.each([
  { kind: 'Deployment', validate: validateDeployment, emptyWord: 'deployment' },
  { kind: 'ReplicaSet', validate: validateReplicaSet, emptyWord: 'deployment' },
  { kind: 'StatefulSet', validate: validateStatefulSet, emptyWord: 'statefulset' },
])('$kind', ({ kind, validate, emptyWord }) => {
  it.each([
    { name: 'valid', spec: good, want: [] },
    { name: 'selector required', spec: { ...good, selector: undefined }, want: ['spec.selector: Required value'] },
    {
      name: 'empty selector',
      spec: { ...good, selector: {} },
      want: [`spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for ${emptyWord}`],
    },
    {
      name: 'selector does not match template labels',
      spec: { ...good, selector: { matchLabels: { app: 'api' } } },
      want: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "tier":"fe"}: `selector` does not match template `labels`'],
    },
    {
      name: 'matchExpressions are honoured',
      spec: { ...good, selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['fe'] }] } },
      want: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "tier":"fe"}: `selector` does not match template `labels`'],
    },
    {
      name: 'bad operator',
      spec: { ...good, selector: { matchExpressions: [{ key: 'app', operator: 'Is', values: ['web'] }] } },
      want: ['spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator'],
    },
    { name: 'negative replicas', spec: { ...good, replicas: -1 }, want: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'] },
    {
      name: 'pods must restart Always',
      spec: { ...good, template: { ...template({ app: 'web' }), spec: { containers: [{ name: 'app', image: 'x' }], restartPolicy: 'Never' } } },
      want: ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    },
  ])('$name', ({ spec, want }) => {
    expect(strings(validate(workload(kind, spec)))).toEqual(want);
  });
});

describe('updates', () => {
  it('a Deployment selector is immutable', () => {
    const next = workload('Deployment', { ...good, selector: { matchLabels: { app: 'web', tier: 'fe' } } });
    expect(strings(validateDeploymentUpdate(next, workload('Deployment', good)))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });
  it('scaling a Deployment or ReplicaSet is fine', () => {
    expect(strings(validateDeploymentUpdate(workload('Deployment', { ...good, replicas: 5 }), workload('Deployment', good)))).toEqual([]);
    expect(strings(validateReplicaSetUpdate(workload('ReplicaSet', { ...good, replicas: 0 }), workload('ReplicaSet', good)))).toEqual([]);
  });
  it('a StatefulSet may only change replicas, template, strategy...', () => {
    const old = workload('StatefulSet', { ...good, serviceName: 'web' });
    expect(strings(validateStatefulSetUpdate(workload('StatefulSet', { ...good, serviceName: 'web', replicas: 3 }), old))).toEqual([]);
    expect(strings(validateStatefulSetUpdate(workload('StatefulSet', { ...good, serviceName: 'other' }), old))).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
  it('Deployment rollout strategy rules', () => {
    const spec = { ...good, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } };
    expect(strings(validateDeployment(workload('Deployment', spec)))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
  });
  it('StatefulSet names are DNS labels', () => {
    expect(strings(validateStatefulSet(workload('StatefulSet', good, 'web.db')))).toEqual(['metadata.name: Invalid value: "web.db": must not contain dots']);
  });
});
