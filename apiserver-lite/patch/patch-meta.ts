// How strategic merge patch treats each field of the kinds netkube serves.
//
// Kubernetes reads this from the `patchStrategy` / `patchMergeKey` struct tags
// of the Go API types (k8s.io/api core/v1, apps/v1; k8s.io/apimachinery
// meta/v1). We have no Go structs, so the same facts are written down here as
// a tree that mirrors the object's shape. Only fields that matter are listed:
// a field that is absent behaves like a Go field without tags (maps merge,
// lists are replaced whole), which is also what happens to every field of a
// kind netkube does not know.
//
// Lists that are atomic upstream (no tags) are deliberately absent, even when
// their items have an obvious key: Pod `tolerations`, Node `taints`,
// `containerStatuses`, Endpoints `subsets`, EndpointSlice `endpoints`/`ports`.
// A strategic patch replaces them whole, exactly as kube-apiserver does.

export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

export interface FieldPatchMeta {
  readonly patchStrategy?: PatchStrategy;
  /** For lists of maps with a merge strategy: the item field that identifies an item. */
  readonly patchMergeKey?: string;
  /** The fields of this field's value; for a list, the fields of each item. */
  readonly fields?: PatchMeta;
}

/** Patch metadata of the fields of one map (an object, or each item of a list). */
export interface PatchMeta {
  readonly [field: string]: FieldPatchMeta | undefined;
}

/** The metadata of one field, or undefined for a field without any. Own keys only: field names like `constructor` must not find Object.prototype. */
export function fieldPatchMeta(meta: PatchMeta | undefined, field: string): FieldPatchMeta | undefined {
  return meta !== undefined && Object.hasOwn(meta, field) ? meta[field] : undefined;
}

/** Walks `path` (field names; list items are transparent) and returns that field's metadata. */
export function fieldPatchMetaAt(meta: PatchMeta, path: readonly string[]): FieldPatchMeta | undefined {
  let fields: PatchMeta | undefined = meta;
  let found: FieldPatchMeta | undefined;
  for (const field of path) {
    found = fieldPatchMeta(fields, field);
    if (found === undefined) return undefined;
    fields = found.fields;
  }
  return found;
}

const mergeByType: FieldPatchMeta = { patchStrategy: 'merge', patchMergeKey: 'type' };

// meta/v1 ObjectMeta
const objectMeta: PatchMeta = {
  ownerReferences: { patchStrategy: 'merge', patchMergeKey: 'uid' },
  finalizers: { patchStrategy: 'merge' },
};

// core/v1 Container and EphemeralContainerCommon carry the same tags.
const container: PatchMeta = {
  ports: { patchStrategy: 'merge', patchMergeKey: 'containerPort' },
  env: { patchStrategy: 'merge', patchMergeKey: 'name' },
  volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath' },
  volumeDevices: { patchStrategy: 'merge', patchMergeKey: 'devicePath' },
};

const containers: FieldPatchMeta = { patchStrategy: 'merge', patchMergeKey: 'name', fields: container };

// core/v1 PodSpec (tolerations, readinessGates, resizePolicy: atomic upstream).
const podSpec: PatchMeta = {
  volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  initContainers: containers,
  containers,
  ephemeralContainers: containers,
  imagePullSecrets: { patchStrategy: 'merge', patchMergeKey: 'name' },
  hostAliases: { patchStrategy: 'merge', patchMergeKey: 'ip' },
  topologySpreadConstraints: { patchStrategy: 'merge', patchMergeKey: 'topologyKey' },
  schedulingGates: { patchStrategy: 'merge', patchMergeKey: 'name' },
  resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
};

// core/v1 PodStatus (containerStatuses and friends: atomic upstream).
const podStatus: PatchMeta = {
  conditions: mergeByType,
  podIPs: { patchStrategy: 'merge', patchMergeKey: 'ip' },
  hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip' },
  resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
};

const podTemplateSpec: PatchMeta = {
  metadata: { fields: objectMeta },
  spec: { fields: podSpec },
};

/** The shape shared by the workload kinds: spec.template is a pod template, status.conditions merge by type. */
function workload(extraSpec: PatchMeta = {}): PatchMeta {
  return {
    metadata: { fields: objectMeta },
    spec: { fields: { template: { fields: podTemplateSpec }, ...extraSpec } },
    status: { fields: { conditions: mergeByType } },
  };
}

function withMetadata(rest: PatchMeta = {}): PatchMeta {
  return { metadata: { fields: objectMeta }, ...rest };
}

const byGroupKind: ReadonlyMap<string, PatchMeta> = new Map<string, PatchMeta>([
  // core/v1
  ['/Pod', withMetadata({ spec: { fields: podSpec }, status: { fields: podStatus } })],
  ['/PodTemplate', withMetadata({ template: { fields: podTemplateSpec } })],
  ['/ReplicationController', workload()],
  [
    '/Service',
    withMetadata({
      spec: { fields: { ports: { patchStrategy: 'merge', patchMergeKey: 'port' } } },
      status: { fields: { conditions: mergeByType } },
    }),
  ],
  [
    '/Node',
    withMetadata({
      spec: { fields: { podCIDRs: { patchStrategy: 'merge' } } },
      status: { fields: { conditions: mergeByType, addresses: mergeByType } },
    }),
  ],
  ['/Namespace', withMetadata({ status: { fields: { conditions: mergeByType } } })],
  ['/ServiceAccount', withMetadata({ secrets: { patchStrategy: 'merge', patchMergeKey: 'name' } })],
  ['/Endpoints', withMetadata()],
  ['/ConfigMap', withMetadata()],
  ['/Secret', withMetadata()],
  ['/Event', withMetadata()],
  // apps/v1
  ['apps/Deployment', workload({ strategy: { patchStrategy: 'retainKeys' } })],
  ['apps/ReplicaSet', workload()],
  ['apps/StatefulSet', workload()],
  ['apps/DaemonSet', workload()],
  // others
  ['discovery.k8s.io/EndpointSlice', withMetadata()],
  ['coordination.k8s.io/Lease', withMetadata()],
  ['events.k8s.io/Event', withMetadata()],
]);

const unknownKind: PatchMeta = withMetadata();

/**
 * The strategic merge patch metadata of a kind (`group` is '' for core).
 * Unknown kinds get ObjectMeta's rules only; kube-apiserver refuses strategic
 * merge patches for kinds it has no Go types for (custom resources), so the API
 * layer should check `supportsStrategicMergePatch` first and answer 415.
 */
export function patchMetaFor(group: string, kind: string): PatchMeta {
  return byGroupKind.get(`${group}/${kind}`) ?? unknownKind;
}

export function supportsStrategicMergePatch(group: string, kind: string): boolean {
  return byGroupKind.has(`${group}/${kind}`);
}
