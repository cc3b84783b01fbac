import { describe, expect, it } from 'vitest';
import { PatchError } from './patch-error.js';
import { patchMetaFor, type PatchMeta } from './patch-meta.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

// Expected results were cross-checked against `kubectl patch --local --type
// strategic` (kubectl v1.32, which runs the same strategicpatch code as
// kube-apiserver), except where a case says netkube differs on purpose.

const pod = patchMetaFor('', 'Pod');
const service = patchMetaFor('', 'Service');
const node = patchMetaFor('', 'Node');
const deployment = patchMetaFor('apps', 'Deployment');
const statefulSet = patchMetaFor('apps', 'StatefulSet');
const endpoints = patchMetaFor('', 'Endpoints');
const endpointSlice = patchMetaFor('discovery.k8s.io', 'EndpointSlice');

interface Case {
  name: string;
  meta: PatchMeta;
  original: Record<string, unknown>;
  patch: Record<string, unknown>;
  want: Record<string, unknown>;
}

const containers = (...names: string[]) => names.map((name) => ({ name, image: `${name}:1` }));
const podWith = (spec: Record<string, unknown>) => ({ metadata: { name: 'p' }, spec });
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

const mapCases: Case[] = [
  {
    name: 'maps merge recursively; untouched fields stay',
    meta: pod,
    original: { metadata: { name: 'p', labels: { a: '1' } }, spec: { nodeName: 'n1' } },
    patch: { metadata: { labels: { b: '2' } } },
    want: { metadata: { name: 'p', labels: { a: '1', b: '2' } }, spec: { nodeName: 'n1' } },
  },
  {
    name: 'null deletes a key',
    meta: pod,
    original: { metadata: { name: 'p', labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { a: null, c: '3' } } },
    want: { metadata: { name: 'p', labels: { b: '2', c: '3' } } },
  },
  {
    name: 'null for a missing key is ignored, also inside a new value',
    meta: pod,
    original: { metadata: { name: 'p' } },
    patch: { metadata: { annotations: { x: null }, labels: { a: '1', b: null } } },
    want: { metadata: { name: 'p', annotations: {}, labels: { a: '1' } } },
  },
  {
    name: 'a value of another type replaces',
    meta: patchMetaFor('', 'ConfigMap'),
    original: { metadata: { name: 'c' }, data: { a: '1' } },
    patch: { data: 'x' },
    want: { metadata: { name: 'c' }, data: 'x' },
  },
  {
    name: '$patch: replace on a map takes the map literally',
    meta: pod,
    original: { metadata: { name: 'p', labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
    want: { metadata: { name: 'p', labels: { c: '3' } } },
  },
  {
    name: '$patch: delete on a map removes it (netkube: the field goes, like null; Go leaves {})',
    meta: deployment,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } },
    want: { spec: { strategy: { type: 'RollingUpdate' } } },
  },
  {
    name: '$patch: merge on a map is the default made explicit (netkube accepts it; Go rejects it)',
    meta: pod,
    original: { metadata: { name: 'p', labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'merge', b: '2' } } },
    want: { metadata: { name: 'p', labels: { a: '1', b: '2' } } },
  },
  {
    name: 'a map field with patchStrategy replace is replaced, not merged',
    meta: { spec: { patchStrategy: 'replace' } },
    original: { spec: { a: 1, b: 2 } },
    patch: { spec: { b: 3 } },
    want: { spec: { b: 3 } },
  },
  {
    name: '$retainKeys clears every field it does not name (Deployment strategy)',
    meta: deployment,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: '$retainKeys inside a list item (volume source switch)',
    meta: pod,
    original: podWith({ volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }] }),
    patch: { spec: { volumes: [{ $retainKeys: ['configMap', 'name'], name: 'v', configMap: { name: 'cm' } }] } },
    want: podWith({ volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }] }),
  },
];

const listCases: Case[] = [
  {
    name: 'merge list: a new item goes before the server-only items',
    meta: pod,
    original: podWith({ containers: containers('a', 'b') }),
    patch: { spec: { containers: [{ name: 'c', image: 'c:1' }] } },
    want: podWith({ containers: containers('c', 'a', 'b') }),
  },
  {
    name: 'merge list: items in the patch update in place, new ones follow them',
    meta: pod,
    original: podWith({ containers: containers('a', 'b') }),
    patch: { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } },
    want: podWith({ containers: [...containers('a'), { name: 'b', image: 'b:2' }, ...containers('c')] }),
  },
  {
    name: 'merge list: patch items take the patch order, server-only items keep their place',
    meta: pod,
    original: podWith({ containers: containers('a', 'b', 'c') }),
    patch: { spec: { containers: [{ name: 'c', image: 'c:2' }, { name: 'a', image: 'a:2' }] } },
    want: podWith({ containers: [...containers('b'), { name: 'c', image: 'c:2' }, { name: 'a', image: 'a:2' }] }),
  },
  {
    name: 'merge list: a new item between two known ones',
    meta: pod,
    original: podWith({ containers: containers('a', 'b', 'c') }),
    patch: { spec: { containers: [{ name: 'a' }, { name: 'n', image: 'n:1' }, { name: 'c' }] } },
    want: podWith({ containers: containers('a', 'n', 'b', 'c') }),
  },
  {
    name: 'nested merge lists: container ports by containerPort',
    meta: pod,
    original: podWith({ containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 81 }] }] }),
    patch: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 81, name: 'm' }, { containerPort: 82 }] }] } },
    want: podWith({ containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 81, name: 'm' }, { containerPort: 82 }] }] }),
  },
  {
    name: 'ownerReferences merge by uid',
    meta: pod,
    original: { metadata: { name: 'p', ownerReferences: [{ uid: '1', name: 'a' }] } },
    patch: { metadata: { ownerReferences: [{ uid: '2', name: 'b' }] } },
    want: { metadata: { name: 'p', ownerReferences: [{ uid: '2', name: 'b' }, { uid: '1', name: 'a' }] } },
  },
  {
    name: 'Node status conditions and addresses merge by type',
    meta: node,
    original: {
      status: {
        conditions: [{ type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' }],
        addresses: [{ type: 'InternalIP', address: '172.18.0.11' }],
      },
    },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'n1' }] } },
    want: {
      status: {
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }],
        addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '172.18.0.11' }],
      },
    },
  },
  {
    name: 'pod status: podIPs merge by ip, containerStatuses are replaced (atomic upstream)',
    meta: pod,
    original: { status: { podIPs: [{ ip: '10.244.1.5' }], containerStatuses: [{ name: 'a', ready: true }, { name: 'b', ready: true }] } },
    patch: { status: { podIPs: [{ ip: 'fd00::5' }], containerStatuses: [{ name: 'a', ready: false }] } },
    want: { status: { podIPs: [{ ip: 'fd00::5' }, { ip: '10.244.1.5' }], containerStatuses: [{ name: 'a', ready: false }] } },
  },
  {
    name: 'list of primitives with merge strategy is a set union (finalizers)',
    meta: pod,
    original: { metadata: { name: 'p', finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['c', 'a'] } },
    want: { metadata: { name: 'p', finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: 'Node podCIDRs union',
    meta: node,
    original: { spec: { podCIDRs: ['a', 'b', 'c'] } },
    patch: { spec: { podCIDRs: ['d', 'b'] } },
    want: { spec: { podCIDRs: ['d', 'a', 'b', 'c'] } },
  },
  {
    name: 'lists without a strategy are replaced: tolerations',
    meta: pod,
    original: podWith({ tolerations: [{ key: 'a' }, { key: 'b' }] }),
    patch: { spec: { tolerations: [{ key: 'c' }] } },
    want: podWith({ tolerations: [{ key: 'c' }] }),
  },
  {
    name: 'lists without a strategy are replaced: Node taints',
    meta: node,
    original: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } },
    patch: { spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } },
    want: { spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } },
  },
  {
    name: 'lists without a strategy are replaced: Endpoints subsets',
    meta: endpoints,
    original: { subsets: [{ addresses: [{ ip: '10.244.1.5' }] }] },
    patch: { subsets: [{ addresses: [{ ip: '10.244.2.7' }] }] },
    want: { subsets: [{ addresses: [{ ip: '10.244.2.7' }] }] },
  },
  {
    name: 'lists without a strategy are replaced: EndpointSlice endpoints',
    meta: endpointSlice,
    original: { addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.5'] }] },
    patch: { endpoints: [{ addresses: ['10.244.2.7'] }] },
    want: { addressType: 'IPv4', endpoints: [{ addresses: ['10.244.2.7'] }] },
  },
  {
    name: 'StatefulSet spec.template follows the pod spec rules',
    meta: statefulSet,
    original: { spec: { template: { spec: { containers: containers('a') } } } },
    patch: { spec: { template: { spec: { containers: containers('b') } } } },
    want: { spec: { template: { spec: { containers: containers('b', 'a') } } } },
  },
  {
    name: '$patch: delete in a list removes every item with that merge key',
    meta: pod,
    original: podWith({ containers: [{ name: 'a', image: '1' }, { name: 'a', image: '2' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
    want: podWith({ containers: [{ name: 'b' }] }),
  },
  {
    name: '$patch: delete of an item that is not there is a no-op',
    meta: service,
    original: { spec: { ports: [{ port: 1 }] } },
    patch: { spec: { ports: [{ port: 2, $patch: 'delete' }] } },
    want: { spec: { ports: [{ port: 1 }] } },
  },
  {
    name: '$patch: replace in a list makes the list exactly the other items',
    meta: pod,
    original: podWith({ containers: containers('a', 'b') }),
    patch: { spec: { containers: [{ name: 'c', image: 'c:1' }, { $patch: 'replace' }] } },
    want: podWith({ containers: containers('c') }),
  },
  {
    name: '$deleteFromPrimitiveList removes values',
    meta: pod,
    original: { metadata: { name: 'p', finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'c'] } },
    want: { metadata: { name: 'p', finalizers: ['a'] } },
  },
  {
    name: '$deleteFromPrimitiveList on a missing list is a no-op',
    meta: pod,
    original: { metadata: { name: 'p' } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
    want: { metadata: { name: 'p' } },
  },
  {
    name: '$setElementOrder reorders a list of maps without changing items',
    meta: pod,
    original: podWith({ containers: containers('a', 'b') }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } },
    want: podWith({ containers: containers('b', 'a') }),
  },
  {
    name: '$setElementOrder: server-only items keep their place among the ordered ones',
    meta: service,
    original: { spec: { ports: [{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }, { port: 5 }] } },
    patch: { spec: { '$setElementOrder/ports': [{ port: 4 }, { port: 2 }, { port: 9 }], ports: [{ port: 9 }] } },
    want: { spec: { ports: [{ port: 1 }, { port: 3 }, { port: 4 }, { port: 2 }, { port: 9 }, { port: 5 }] } },
  },
  {
    name: '$setElementOrder with a primitive list, additions and deletions (kubectl edit of finalizers)',
    meta: pod,
    original: { metadata: { name: 'p', finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a', 'd'], '$deleteFromPrimitiveList/finalizers': ['b'], finalizers: ['d'] } },
    want: { metadata: { name: 'p', finalizers: ['c', 'a', 'd'] } },
  },
  {
    name: 'a new field is taken from the patch with its directives removed',
    meta: pod,
    original: { metadata: { name: 'p' } },
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', image: 'x' }, { name: 'b', $patch: 'delete' }] } },
    want: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }] } },
  },
];

// What kubectl actually sends (captured shapes of its PATCH bodies).
const svcLastApplied = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090 }] },
});
const liveService = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '7', annotations: { [lastApplied]: '{"old":true}' } },
  spec: {
    clusterIP: '10.96.12.34',
    clusterIPs: ['10.96.12.34'],
    type: 'ClusterIP',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ],
  },
};

const kubectlCases: Case[] = [
  {
    name: 'kubectl label pod p env=prod',
    meta: pod,
    original: { metadata: { name: 'p', labels: { app: 'web' } } },
    patch: { metadata: { labels: { env: 'prod' } } },
    want: { metadata: { name: 'p', labels: { app: 'web', env: 'prod' } } },
  },
  {
    name: 'kubectl label pod p app-',
    meta: pod,
    original: { metadata: { name: 'p', labels: { app: 'web', env: 'prod' } } },
    patch: { metadata: { labels: { app: null } } },
    want: { metadata: { name: 'p', labels: { env: 'prod' } } },
  },
  {
    name: 'kubectl annotate --overwrite pod p note=new',
    meta: pod,
    original: { metadata: { name: 'p', annotations: { note: 'old', other: 'x' } } },
    patch: { metadata: { annotations: { note: 'new' } } },
    want: { metadata: { name: 'p', annotations: { note: 'new', other: 'x' } } },
  },
  {
    name: 'kubectl apply of a changed Service: port added and another removed, server fields kept',
    meta: service,
    original: liveService,
    patch: {
      metadata: { annotations: { [lastApplied]: svcLastApplied } },
      spec: {
        '$setElementOrder/ports': [{ port: 80 }, { port: 9090 }],
        ports: [{ name: 'metrics', port: 9090 }, { $patch: 'delete', port: 443 }],
      },
    },
    want: {
      ...liveService,
      metadata: { ...liveService.metadata, annotations: { [lastApplied]: svcLastApplied } },
      spec: {
        ...liveService.spec,
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'metrics', port: 9090 }],
      },
    },
  },
  {
    name: 'kubectl apply removing one Service port',
    meta: service,
    original: liveService,
    patch: {
      metadata: { annotations: { [lastApplied]: '{"new":true}' } },
      spec: { '$setElementOrder/ports': [{ port: 80 }], ports: [{ $patch: 'delete', port: 443 }] },
    },
    want: {
      ...liveService,
      metadata: { ...liveService.metadata, annotations: { [lastApplied]: '{"new":true}' } },
      spec: { ...liveService.spec, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
    },
  },
  {
    name: 'kubectl apply adding a container env var (a server-added var stays, after the new one)',
    meta: deployment,
    original: {
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [{ name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }, { name: 'S', value: 's' }, { name: 'C', value: '3' }] }],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [
              { name: 'web', '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }, { name: 'C' }], env: [{ name: 'B', value: '2' }] },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'web',
                image: 'web:1',
                env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'S', value: 's' }, { name: 'C', value: '3' }],
              },
            ],
          },
        },
      },
    },
  },
  {
    name: 'kubectl apply deleting a container',
    meta: deployment,
    original: { spec: { template: { spec: { containers: containers('web', 'sidecar') } } } },
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } } },
    want: { spec: { template: { spec: { containers: containers('web') } } } },
  },
  {
    name: 'kubectl apply switching the Deployment strategy to Recreate',
    meta: deployment,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
];

const errorCases: { name: string; meta: PatchMeta; original: unknown; patch: unknown; message: RegExp }[] = [
  {
    name: 'unknown $patch value',
    meta: pod,
    original: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'foo' } } },
    message: /unknown directive \$patch: foo at metadata\.labels/,
  },
  {
    name: 'unknown $patch value in a list',
    meta: pod,
    original: podWith({ containers: containers('a') }),
    patch: { spec: { containers: [{ name: 'a', $patch: 'frob' }] } },
    message: /unknown directive \$patch: frob at spec\.containers/,
  },
  { name: 'unknown $ key', meta: pod, original: {}, patch: { metadata: { $frobnicate: 1 } }, message: /unknown directive \$frobnicate/ },
  {
    name: '$patch: merge as a list item',
    meta: service,
    original: { spec: { ports: [{ port: 1 }] } },
    patch: { spec: { ports: [{ port: 2 }, { $patch: 'merge' }] } },
    message: /\$patch: merge cannot be used as a list item/,
  },
  {
    name: '$patch: delete without the merge key',
    meta: service,
    original: { spec: { ports: [{ port: 1 }] } },
    patch: { spec: { ports: [{ name: 'x', $patch: 'delete' }] } },
    message: /does not contain the merge key "port"/,
  },
  {
    name: 'a merge list item without the merge key',
    meta: service,
    original: { spec: { ports: [{ port: 1 }] } },
    patch: { spec: { ports: [{ name: 'x' }] } },
    message: /spec\.ports: item \{"name":"x"\} does not contain the merge key "port"/,
  },
  {
    name: 'patch list out of line with $setElementOrder',
    meta: service,
    original: { spec: { ports: [{ port: 80 }, { port: 443 }] } },
    patch: { spec: { '$setElementOrder/ports': [{ port: 80 }], ports: [{ port: 443, name: 'x' }] } },
    message: /does not match the \$setElementOrder list/,
  },
  {
    name: 'a field set by the patch but missing from $retainKeys',
    meta: deployment,
    original: { spec: { strategy: { type: 'RollingUpdate' } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } },
    message: /rollingUpdate at spec\.strategy is set by the patch but missing from its \$retainKeys list/,
  },
  {
    name: 'mixed element types in a merge list',
    meta: pod,
    original: { metadata: { finalizers: ['a'] } },
    patch: { metadata: { finalizers: ['b', { $patch: 'replace' }] } },
    message: /list element types are not identical/,
  },
  { name: '$patch: delete of the whole object', meta: pod, original: { a: 1 }, patch: { $patch: 'delete' }, message: /send a DELETE/ },
  { name: 'a patch that is not an object', meta: pod, original: {}, patch: [1], message: /must be a JSON object/ },
];

describe('applyStrategicMergePatch', () => {
  describe('maps', () => {
    it.each(mapCases)('$name', ({ meta, original, patch, want }) => {
      expect(applyStrategicMergePatch(original, patch, meta)).toEqual(want);
    });
  });

  describe('lists', () => {
    it.each(listCases)('$name', ({ meta, original, patch, want }) => {
      expect(applyStrategicMergePatch(original, patch, meta)).toEqual(want);
    });
  });

  describe('what kubectl sends', () => {
    it.each(kubectlCases)('$name', ({ meta, original, patch, want }) => {
      expect(applyStrategicMergePatch(original, patch, meta)).toEqual(want);
    });
  });

  describe('errors', () => {
    it.each(errorCases)('$name → PatchError', ({ meta, original, patch, message }) => {
      expect(() => applyStrategicMergePatch(original, patch, meta)).toThrow(PatchError);
      expect(() => applyStrategicMergePatch(original, patch, meta)).toThrow(message);
    });
  });

  it('does not mutate its inputs', () => {
    const original = structuredClone(liveService);
    const patch = {
      metadata: { labels: { a: '1' } },
      spec: { '$setElementOrder/ports': [{ port: 80 }], ports: [{ $patch: 'delete', port: 443 }, { port: 80, name: 'web' }] },
    };
    const before = structuredClone({ original, patch });
    const result = applyStrategicMergePatch(original, patch, service) as typeof liveService;
    expect({ original, patch }).toEqual(before);
    expect(result.spec.selector).not.toBe(original.spec.selector);
  });

  it('without patch metadata every list is replaced (unknown kinds)', () => {
    const result = applyStrategicMergePatch({ spec: { containers: containers('a') } }, { spec: { containers: containers('b') } }, {});
    expect(result).toEqual({ spec: { containers: containers('b') } });
  });
});
