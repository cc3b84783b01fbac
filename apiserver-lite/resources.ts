// The resources apiserver-lite serves: names, scope, verbs and subresources,
// exactly as discovery reports them to kubectl and client libraries.

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface ResourceDef {
  /** API group, "" for core. */
  readonly group: string;
  readonly version: string;
  /** Plural, lower case: the path segment ("services"). */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Subresources served under <resource>/<name>/<sub>. */
  readonly subresources: readonly ('status' | 'binding' | 'log' | 'token' | 'scale')[];
  /** Whether the kind has a spec whose changes bump metadata.generation. */
  readonly hasSpec: boolean;
  /**
   * Extra field selector keys (metadata.name and metadata.namespace work for
   * every resource), each reading one field of the stored object.
   */
  readonly fieldSelectors: Readonly<Record<string, (obj: Record<string, unknown>) => string | undefined>>;
}

const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export function verbsOf(_def: ResourceDef): readonly Verb[] {
  return ALL_VERBS;
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Reads a dotted path ("spec.nodeName") from an object, as a string. */
function field(path: string): (obj: Record<string, unknown>) => string | undefined {
  const parts = path.split('.');
  return (obj) => {
    let cur: unknown = obj;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    if (cur === undefined || cur === null) return undefined;
    return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
  };
}

function def(d: Partial<ResourceDef> & Pick<ResourceDef, 'resource' | 'kind'>): ResourceDef {
  return {
    group: '',
    version: 'v1',
    singular: d.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    hasSpec: true,
    fieldSelectors: {},
    ...d,
  };
}

export const RESOURCES: readonly ResourceDef[] = [
  def({ resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], subresources: ['status'], fieldSelectors: { 'status.phase': field('status.phase') } }),
  def({
    resource: 'services',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    fieldSelectors: { 'spec.clusterIP': field('spec.clusterIP'), 'spec.type': field('spec.type') },
  }),
  def({ resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', shortNames: ['ep'], hasSpec: false }),
  def({
    resource: 'pods',
    kind: 'Pod',
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'log'],
    fieldSelectors: {
      'spec.nodeName': (o) => field('spec.nodeName')(o) ?? '',
      'spec.restartPolicy': field('spec.restartPolicy'),
      'spec.schedulerName': field('spec.schedulerName'),
      'spec.serviceAccountName': field('spec.serviceAccountName'),
      'spec.hostNetwork': (o) => field('spec.hostNetwork')(o) ?? 'false',
      'status.phase': field('status.phase'),
      'status.podIP': field('status.podIP'),
      'status.nominatedNodeName': field('status.nominatedNodeName'),
    },
  }),
  def({ resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status'], fieldSelectors: { 'spec.unschedulable': (o) => field('spec.unschedulable')(o) ?? 'false' } }),
  def({ resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], hasSpec: false, subresources: ['token'] }),
  def({ resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'], hasSpec: false }),
  def({
    resource: 'events',
    kind: 'Event',
    shortNames: ['ev'],
    hasSpec: false,
    fieldSelectors: {
      'involvedObject.kind': field('involvedObject.kind'),
      'involvedObject.namespace': field('involvedObject.namespace'),
      'involvedObject.name': field('involvedObject.name'),
      'involvedObject.uid': field('involvedObject.uid'),
      'involvedObject.apiVersion': field('involvedObject.apiVersion'),
      'involvedObject.resourceVersion': field('involvedObject.resourceVersion'),
      'involvedObject.fieldPath': field('involvedObject.fieldPath'),
      reason: field('reason'),
      reportingComponent: field('reportingComponent'),
      source: field('source.component'),
      type: field('type'),
    },
  }),
  def({
    group: 'discovery.k8s.io',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    hasSpec: false,
    fieldSelectors: { addressType: field('addressType') },
  }),
  def({ group: 'apps', resource: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  def({ group: 'apps', resource: 'deployments', kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  def({ group: 'apps', resource: 'statefulsets', kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
  def({ group: 'coordination.k8s.io', resource: 'leases', kind: 'Lease' }),
];

export interface GroupVersion {
  readonly group: string;
  readonly version: string;
}

/** The group-versions in discovery order (core first). */
export function groupVersions(): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function findKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** The storage key prefix of a resource: "/registry/<group|core>/<resource>/". */
export function resourcePrefix(def: Pick<ResourceDef, 'group' | 'resource'>): string {
  return `/registry/${def.group || 'core'}/${def.resource}/`;
}

export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace}/${name}` : `${resourcePrefix(def)}${name}`;
}

export function namespacePrefix(def: ResourceDef, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def);
}
