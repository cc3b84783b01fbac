// The validation registry: which rules apply to which kind, on create and on
// update. Kinds without their own rules still get metadata validation, with
// the DNS-subdomain name rule most kinds use.

import type { FieldError } from './field-errors.js';
import { nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validateNamespace, validateNamespaceUpdate } from './namespace.js';
import { validateService, validateServiceUpdate } from './service.js';
import { validatePod, validatePodUpdate } from './pod.js';
import { validateNode, validateNodeUpdate } from './node.js';
import { validateEndpoints, validateEndpointsUpdate } from './endpoints.js';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './endpoint-slice.js';
import { validateConfigMap, validateConfigMapUpdate } from './config-map.js';
import { validateServiceAccount, validateServiceAccountUpdate } from './service-account.js';
import { validateEvent, validateEventUpdate } from './event.js';
import { validateLease, validateLeaseUpdate } from './lease.js';
import { validateReplicaSet, validateReplicaSetUpdate } from './replica-set.js';
import { validateDeployment, validateDeploymentUpdate } from './deployment.js';
import { validateStatefulSet, validateStatefulSetUpdate } from './stateful-set.js';

/** Cluster configuration some rules depend on (Service IPs and node ports). */
export interface ValidationContext {
  /** --service-cluster-ip-range, e.g. "10.96.0.0/12" (a comma-separated dual-stack pair is accepted). */
  serviceCIDR: string;
  /** --service-node-port-range as base and size: 30000-32767 is {base: 30000, size: 2768}. */
  nodePortRange: { base: number; size: number };
}

export interface KindValidator {
  create(obj: unknown, ctx: ValidationContext): FieldError[];
  update(newObj: unknown, oldObj: unknown, ctx: ValidationContext): FieldError[];
}

const registry = new Map<string, KindValidator>();

function register(group: string, kind: string, v: KindValidator): void {
  registry.set(`${group}/${kind}`, v);
}

register('', 'Namespace', { create: (o) => validateNamespace(o), update: (n, o) => validateNamespaceUpdate(n, o) });
register('', 'Service', { create: validateService, update: validateServiceUpdate });
register('', 'Pod', { create: (o) => validatePod(o), update: (n, o) => validatePodUpdate(n, o) });
register('', 'Node', { create: (o) => validateNode(o), update: (n, o) => validateNodeUpdate(n, o) });
register('', 'Endpoints', { create: (o) => validateEndpoints(o), update: (n, o) => validateEndpointsUpdate(n, o) });
register('', 'ConfigMap', { create: (o) => validateConfigMap(o), update: (n, o) => validateConfigMapUpdate(n, o) });
register('', 'ServiceAccount', {
  create: (o) => validateServiceAccount(o),
  update: (n, o) => validateServiceAccountUpdate(n, o),
});
register('', 'Event', { create: (o) => validateEvent(o), update: (n, o) => validateEventUpdate(n, o) });
register('discovery.k8s.io', 'EndpointSlice', {
  create: (o) => validateEndpointSlice(o),
  update: (n, o) => validateEndpointSliceUpdate(n, o),
});
register('coordination.k8s.io', 'Lease', { create: (o) => validateLease(o), update: (n, o) => validateLeaseUpdate(n, o) });
register('apps', 'ReplicaSet', { create: (o) => validateReplicaSet(o), update: (n, o) => validateReplicaSetUpdate(n, o) });
register('apps', 'Deployment', { create: (o) => validateDeployment(o), update: (n, o) => validateDeploymentUpdate(n, o) });
register('apps', 'StatefulSet', {
  create: (o) => validateStatefulSet(o),
  update: (n, o) => validateStatefulSetUpdate(n, o),
});

function metadataOnly(namespaced: boolean): KindValidator {
  return {
    create: (o) => validateObjectMeta(o, { namespaced, nameRule: nameIsDNSSubdomain }),
    update: (n, o) => validateObjectMetaUpdate(n, o),
  };
}

/**
 * The validator for a kind; `group` is "" for the core group. Kinds without
 * rules of their own get metadata validation with a DNS-subdomain name,
 * namespaced unless `namespaced` says otherwise.
 */
export function validatorFor(group: string, kind: string, namespaced = true): KindValidator {
  return registry.get(`${group}/${kind}`) ?? metadataOnly(namespaced);
}

export type { FieldError };
