import { describe, expect, it } from 'vitest';
import { fieldPatchMetaAt, patchMetaFor, supportsStrategicMergePatch, type PatchStrategy } from './patch-meta.js';

// Each row is a struct tag in k8s.io/api (core/v1, apps/v1) or apimachinery
// meta/v1; `undefined` rows are lists that are atomic upstream.
const rows: [group: string, kind: string, path: string, strategy: PatchStrategy | undefined, mergeKey: string | undefined][] = [
  ['', 'Pod', 'metadata.ownerReferences', 'merge', 'uid'],
  ['', 'Pod', 'metadata.finalizers', 'merge', undefined],
  ['', 'Pod', 'spec.containers', 'merge', 'name'],
  ['', 'Pod', 'spec.initContainers', 'merge', 'name'],
  ['', 'Pod', 'spec.ephemeralContainers', 'merge', 'name'],
  ['', 'Pod', 'spec.containers.ports', 'merge', 'containerPort'],
  ['', 'Pod', 'spec.containers.env', 'merge', 'name'],
  ['', 'Pod', 'spec.containers.volumeMounts', 'merge', 'mountPath'],
  ['', 'Pod', 'spec.initContainers.env', 'merge', 'name'],
  ['', 'Pod', 'spec.ephemeralContainers.volumeMounts', 'merge', 'mountPath'],
  ['', 'Pod', 'spec.volumes', 'merge,retainKeys', 'name'],
  ['', 'Pod', 'spec.imagePullSecrets', 'merge', 'name'],
  ['', 'Pod', 'spec.hostAliases', 'merge', 'ip'],
  ['', 'Pod', 'spec.tolerations', undefined, undefined],
  ['', 'Pod', 'status.conditions', 'merge', 'type'],
  ['', 'Pod', 'status.podIPs', 'merge', 'ip'],
  ['', 'Pod', 'status.containerStatuses', undefined, undefined],
  ['', 'Service', 'spec.ports', 'merge', 'port'],
  ['', 'Service', 'status.conditions', 'merge', 'type'],
  ['', 'Node', 'spec.podCIDRs', 'merge', undefined],
  ['', 'Node', 'spec.taints', undefined, undefined],
  ['', 'Node', 'status.conditions', 'merge', 'type'],
  ['', 'Node', 'status.addresses', 'merge', 'type'],
  ['', 'Namespace', 'status.conditions', 'merge', 'type'],
  ['', 'Namespace', 'metadata.finalizers', 'merge', undefined],
  ['', 'Endpoints', 'subsets', undefined, undefined],
  ['', 'ServiceAccount', 'secrets', 'merge', 'name'],
  ['apps', 'Deployment', 'spec.strategy', 'retainKeys', undefined],
  ['apps', 'Deployment', 'spec.template.spec.containers', 'merge', 'name'],
  ['apps', 'Deployment', 'spec.template.spec.containers.env', 'merge', 'name'],
  ['apps', 'Deployment', 'spec.template.metadata.finalizers', 'merge', undefined],
  ['apps', 'Deployment', 'status.conditions', 'merge', 'type'],
  ['apps', 'ReplicaSet', 'spec.template.spec.volumes', 'merge,retainKeys', 'name'],
  ['apps', 'ReplicaSet', 'status.conditions', 'merge', 'type'],
  ['apps', 'StatefulSet', 'spec.template.spec.initContainers', 'merge', 'name'],
  ['apps', 'DaemonSet', 'status.conditions', 'merge', 'type'],
  ['discovery.k8s.io', 'EndpointSlice', 'endpoints', undefined, undefined],
  ['discovery.k8s.io', 'EndpointSlice', 'metadata.ownerReferences', 'merge', 'uid'],
  ['coordination.k8s.io', 'Lease', 'metadata.ownerReferences', 'merge', 'uid'],
  ['', 'ConfigMap', 'metadata.finalizers', 'merge', undefined],
  ['', 'Event', 'metadata.ownerReferences', 'merge', 'uid'],
];

describe('patchMetaFor', () => {
  it.each(rows)('%s %s %s → %s by %s', (group, kind, path, strategy, mergeKey) => {
    const meta = fieldPatchMetaAt(patchMetaFor(group, kind), path.split('.'));
    expect(meta?.patchStrategy).toBe(strategy);
    expect(meta?.patchMergeKey).toBe(mergeKey);
  });

  it('field names that are Object.prototype members find nothing', () => {
    expect(fieldPatchMetaAt(patchMetaFor('', 'Pod'), ['constructor'])).toBeUndefined();
    expect(fieldPatchMetaAt(patchMetaFor('', 'Pod'), ['spec', 'toString'])).toBeUndefined();
  });

  it('unknown kinds get ObjectMeta rules only and are reported unsupported', () => {
    expect(supportsStrategicMergePatch('example.com', 'Widget')).toBe(false);
    expect(supportsStrategicMergePatch('apps', 'Deployment')).toBe(true);
    expect(supportsStrategicMergePatch('', 'Deployment')).toBe(false);
    const meta = patchMetaFor('example.com', 'Widget');
    expect(fieldPatchMetaAt(meta, ['metadata', 'finalizers'])?.patchStrategy).toBe('merge');
    expect(fieldPatchMetaAt(meta, ['spec', 'containers'])).toBeUndefined();
  });
});
