// Objects every cluster has from its first start: the four system namespaces
// and the `kubernetes` Service in `default`, whose endpoints are the API
// server's advertise address (reconciled on every start, as kube-apiserver's
// endpoint reconciler does).
import { isLoopbackAddress } from './net-address.js';
import { ApiError } from './api-error.js';
import type { KubeObject } from '../kube/api/meta.js';
import type { Registry } from './registry.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

export interface BootstrapOptions {
  advertiseAddress: string;
  securePort: number;
  log: (msg: string) => void;
}

async function upsert(registry: Registry, group: string, resource: string, ns: string | undefined, obj: KubeObject): Promise<void> {
  const def = registry.def(group, resource);
  // Look first: re-creating a Service that holds its ClusterIP fails in allocation, not with AlreadyExists.
  let cur = await registry.get(def, ns, obj.metadata.name!).catch((e: unknown) => {
    if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
    throw e;
  });
  if (!cur) {
    try {
      await registry.create(def, ns, obj);
      return;
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      cur = await registry.get(def, ns, obj.metadata.name!);
    }
  }
  const next = { ...cur, ...obj, metadata: { ...cur.metadata, labels: { ...(cur.metadata.labels ?? {}), ...(obj.metadata.labels ?? {}) } } };
  delete next.metadata.resourceVersion;
  await registry.update(def, ns, obj.metadata.name!, next);
}

export async function bootstrapCluster(registry: Registry, o: BootstrapOptions): Promise<void> {
  const nsDef = registry.def('', 'namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    await registry.ensure(nsDef, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  // The Service: clusterIP is the first address of the service range.
  const firstIP = registry.allocations.ips.nth(1);
  // Upserted, not just ensured: the targetPort follows --secure-port across restarts.
  await upsert(registry, '', 'services', 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: firstIP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.securePort }],
      sessionAffinity: 'None',
    },
  });
  if (isLoopbackAddress(o.advertiseAddress)) {
    o.log(
      `warning: advertise address ${o.advertiseAddress} is a loopback address, which no pod can reach: the "kubernetes" Service gets no endpoints (set --advertise-address)`,
    );
    return;
  }
  await upsert(registry, '', 'endpoints', 'default', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports: [{ name: 'https', port: o.securePort, protocol: 'TCP' }] }],
  });
  await upsert(registry, 'discovery.k8s.io', 'endpointslices', 'default', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [o.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: 'https', port: o.securePort, protocol: 'TCP' }],
  });
}
