// Server-side printing (meta.k8s.io/v1 Table): the columns `kubectl get`
// shows, computed here as the kube-apiserver does, so `kubectl get svc` and
// `kubectl get pods -o wide` look the way Kubernetes users know.
import type { Deployment, Endpoints, EndpointSlice, Node, Pod, ReplicaSet, Service, StatefulSet } from '../kube/api/core.js';
import type { KubeObject } from '../kube/api/meta.js';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

interface Column {
  def: TableColumnDefinition;
  cell(obj: KubeObject, now: Date): unknown;
}

function col(name: string, cell: Column['cell'], opts: { priority?: number; type?: TableColumnDefinition['type']; format?: string; description?: string } = {}): Column {
  return {
    def: { name, type: opts.type ?? 'string', format: opts.format ?? '', description: opts.description ?? name, priority: opts.priority ?? 0 },
    cell,
  };
}

/** Kubernetes' HumanDuration: "45s", "3m20s", "5h10m", "2d3h", "400d", "3y20d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function since(ts: string | undefined, now: Date): string {
  if (!ts) return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
}

const nameCol = col('Name', (o) => o.metadata.name ?? '', { format: 'name', description: 'Name must be unique within a namespace.' });
const ageCol = col('Age', (o, now) => since(o.metadata.creationTimestamp, now), { description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' });

function selectorText(sel: Record<string, string> | undefined): string {
  const parts = Object.entries(sel ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '<none>';
}

function labelSelectorText(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function listWithMore(items: string[], max = 3): string {
  if (items.length === 0) return '<none>';
  if (items.length <= max) return items.join(',');
  return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
}

// ---- Service

function serviceExternalIP(s: Service): string {
  const spec = s.spec ?? {};
  const ext = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
    case undefined:
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const ing = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
      const all = [...ing, ...ext];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '<none>';
    default:
      return '<unknown>';
  }
}

function servicePorts(s: Service): string {
  const ports = s.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

const serviceColumns: Column[] = [
  nameCol,
  col('Type', (o) => (o as Service).spec?.type ?? 'ClusterIP'),
  col('Cluster-IP', (o) => {
    const ip = (o as Service).spec?.clusterIP;
    return ip ? ip : '<none>';
  }),
  col('External-IP', (o) => serviceExternalIP(o as Service)),
  col('Port(s)', (o) => servicePorts(o as Service)),
  ageCol,
  col('Selector', (o) => selectorText((o as Service).spec?.selector), { priority: 1 }),
];

// ---- Pod

export function podStatusText(p: Pod): string {
  let reason = p.status?.reason ?? p.status?.phase ?? 'Pending';
  const init = p.status?.initContainerStatuses ?? [];
  const initTotal = p.spec?.initContainers?.length ?? 0;
  let initializing = false;
  init.forEach((c, i) => {
    if (initializing) return;
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) return;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
    initializing = true;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...(p.status?.containerStatuses ?? [])].reverse()) {
      const st = c.state ?? {};
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (st.running && c.ready) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (p.metadata.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podRestarts(p: Pod, now: Date): string {
  let restarts = 0;
  let last: string | undefined;
  for (const c of p.status?.containerStatuses ?? []) {
    restarts += c.restartCount ?? 0;
    const fin = c.lastState?.terminated?.finishedAt;
    if (fin && (!last || fin > last)) last = fin;
  }
  return restarts > 0 && last ? `${restarts} (${since(last, now)} ago)` : String(restarts);
}

const podColumns: Column[] = [
  nameCol,
  col('Ready', (o) => {
    const p = o as Pod;
    const total = p.spec?.containers?.length ?? 0;
    const ready = (p.status?.containerStatuses ?? []).filter((c) => c.ready).length;
    return `${ready}/${total}`;
  }, { description: 'The aggregate readiness state of this pod for accepting traffic.' }),
  col('Status', (o) => podStatusText(o as Pod), { description: 'The aggregate status of the containers in this pod.' }),
  col('Restarts', (o, now) => podRestarts(o as Pod, now), { description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.' }),
  ageCol,
  col('IP', (o) => (o as Pod).status?.podIP ?? '<none>', { priority: 1, description: 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.' }),
  col('Node', (o) => (o as Pod).spec?.nodeName || '<none>', { priority: 1, description: 'NodeName is a request to schedule this pod onto a specific node.' }),
  col('Nominated Node', (o) => ((o as Pod).status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName || '<none>', { priority: 1 }),
  col('Readiness Gates', (o) => {
    const gates = ((o as Pod).spec as { readinessGates?: unknown[] } | undefined)?.readinessGates ?? [];
    return gates.length ? `0/${gates.length}` : '<none>';
  }, { priority: 1 }),
];

// ---- Node

function nodeStatus(n: Node): string {
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  if (n.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(n: Node): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries(n.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.push(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role') roles.push(v);
  }
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(n: Node, type: string): string {
  return (n.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

const nodeColumns: Column[] = [
  nameCol,
  col('Status', (o) => nodeStatus(o as Node)),
  col('Roles', (o) => nodeRoles(o as Node)),
  ageCol,
  col('Version', (o) => (o as Node).status?.nodeInfo?.kubeletVersion ?? ''),
  col('Internal-IP', (o) => nodeAddress(o as Node, 'InternalIP'), { priority: 1 }),
  col('External-IP', (o) => nodeAddress(o as Node, 'ExternalIP'), { priority: 1 }),
  col('OS-Image', (o) => (o as Node).status?.nodeInfo?.osImage ?? '<unknown>', { priority: 1 }),
  col('Kernel-Version', (o) => (o as Node).status?.nodeInfo?.kernelVersion ?? '<unknown>', { priority: 1 }),
  col('Container-Runtime', (o) => (o as Node).status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>', { priority: 1 }),
];

// ---- Endpoints / EndpointSlices

const endpointsColumns: Column[] = [
  nameCol,
  col('Endpoints', (o) => {
    const items: string[] = [];
    for (const s of (o as Endpoints).subsets ?? []) {
      for (const a of s.addresses ?? []) {
        if ((s.ports ?? []).length === 0) items.push(a.ip);
        for (const p of s.ports ?? []) items.push(`${a.ip}:${p.port}`);
      }
    }
    return listWithMore(items);
  }),
  ageCol,
];

const endpointSliceColumns: Column[] = [
  nameCol,
  col('AddressType', (o) => (o as EndpointSlice).addressType ?? ''),
  col('Ports', (o) => {
    const ports = (o as EndpointSlice).ports ?? [];
    if (ports.length === 0) return '<unset>';
    return listWithMore(ports.map((p) => (p.port === undefined ? '<unset>' : String(p.port))));
  }),
  col('Endpoints', (o) => {
    const addrs = ((o as EndpointSlice).endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return addrs.length ? listWithMore(addrs) : '<unset>';
  }),
  ageCol,
];

// ---- apps

function containersOf(o: KubeObject): { names: string; images: string } {
  const cs = ((o.spec as { template?: { spec?: { containers?: { name: string; image?: string }[] } } } | undefined)?.template?.spec?.containers) ?? [];
  return { names: cs.map((c) => c.name).join(','), images: cs.map((c) => c.image ?? '').join(',') };
}

const appsWide: Column[] = [
  col('Containers', (o) => containersOf(o).names, { priority: 1 }),
  col('Images', (o) => containersOf(o).images, { priority: 1 }),
  col('Selector', (o) => labelSelectorText((o.spec as { selector?: never } | undefined)?.selector), { priority: 1 }),
];

const deploymentColumns: Column[] = [
  nameCol,
  col('Ready', (o) => {
    const d = o as Deployment;
    return `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`;
  }),
  col('Up-to-date', (o) => (o as Deployment).status?.updatedReplicas ?? 0, { type: 'integer' }),
  col('Available', (o) => (o as Deployment).status?.availableReplicas ?? 0, { type: 'integer' }),
  ageCol,
  ...appsWide,
];

const replicaSetColumns: Column[] = [
  nameCol,
  col('Desired', (o) => (o as ReplicaSet).spec?.replicas ?? 0, { type: 'integer' }),
  col('Current', (o) => (o as ReplicaSet).status?.replicas ?? 0, { type: 'integer' }),
  col('Ready', (o) => (o as ReplicaSet).status?.readyReplicas ?? 0, { type: 'integer' }),
  ageCol,
  ...appsWide,
];

const statefulSetColumns: Column[] = [
  nameCol,
  col('Ready', (o) => {
    const s = o as StatefulSet;
    return `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`;
  }),
  ageCol,
  ...appsWide.slice(0, 2),
];

// ---- others

const namespaceColumns: Column[] = [
  nameCol,
  col('Status', (o) => ((o.status as { phase?: string } | undefined)?.phase ?? '')),
  ageCol,
];

const configMapColumns: Column[] = [
  nameCol,
  col('Data', (o) => Object.keys((o.data as object | undefined) ?? {}).length + Object.keys((o.binaryData as object | undefined) ?? {}).length, { type: 'integer' }),
  ageCol,
];

const serviceAccountColumns: Column[] = [nameCol, col('Secrets', (o) => ((o.secrets as unknown[] | undefined) ?? []).length, { type: 'integer' }), ageCol];

const eventColumns: Column[] = [
  col('Last Seen', (o, now) => since((o.lastTimestamp as string | undefined) ?? (o.eventTime as string | undefined) ?? o.metadata.creationTimestamp, now)),
  col('Type', (o) => (o.type as string | undefined) ?? ''),
  col('Reason', (o) => (o.reason as string | undefined) ?? ''),
  col('Object', (o) => {
    const ref = (o.involvedObject ?? {}) as { kind?: string; name?: string };
    return `${(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}`;
  }),
  col('Message', (o) => ((o.message as string | undefined) ?? '').trim()),
  col('Source', (o) => {
    const src = (o.source ?? {}) as { component?: string; host?: string };
    return [src.component ?? (o.reportingComponent as string | undefined) ?? '', src.host ?? ''].filter(Boolean).join(', ');
  }, { priority: 1 }),
  col('First Seen', (o, now) => since((o.firstTimestamp as string | undefined) ?? o.metadata.creationTimestamp, now), { priority: 1 }),
  col('Count', (o) => (o.count as number | undefined) ?? 1, { priority: 1, type: 'integer' }),
  col('Name', (o) => o.metadata.name ?? '', { priority: 1 }),
];

const leaseColumns: Column[] = [nameCol, col('Holder', (o) => ((o.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '')), ageCol];

const COLUMNS: Record<string, Column[]> = {
  Service: serviceColumns,
  Pod: podColumns,
  Node: nodeColumns,
  Namespace: namespaceColumns,
  Endpoints: endpointsColumns,
  EndpointSlice: endpointSliceColumns,
  Deployment: deploymentColumns,
  ReplicaSet: replicaSetColumns,
  StatefulSet: statefulSetColumns,
  ConfigMap: configMapColumns,
  ServiceAccount: serviceAccountColumns,
  Event: eventColumns,
  Lease: leaseColumns,
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function renderTable(
  kind: string,
  objects: readonly KubeObject[],
  opts: { now?: Date; includeObject?: IncludeObject; noHeaders?: boolean; resourceVersion?: string; continue?: string; remainingItemCount?: number },
): Table {
  const cols = COLUMNS[kind] ?? [nameCol, ageCol];
  const now = opts.now ?? new Date();
  const include = opts.includeObject ?? 'Metadata';
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : cols.map((c) => c.def),
    rows: objects.map((o) => {
      const row: TableRow = { cells: cols.map((c) => c.cell(o, now)) };
      const ro = rowObject(o, include);
      if (ro !== undefined) row.object = ro;
      return row;
    }),
  };
}
