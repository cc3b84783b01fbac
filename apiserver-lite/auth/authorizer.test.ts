import { describe, expect, it } from 'vitest';
import {
  authorize,
  forbiddenMessage,
  isPublicPath,
  type AuthzPolicy,
  type RequestAttributes,
  type ResourceAttributes,
  type ResourceVerb,
} from './authorizer.js';
import { DEFAULT_AUTHZ_POLICY } from './policy.js';
import { serviceAccountUser, type UserInfo } from './user-info.js';

const admin: UserInfo = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const node1: UserInfo = { name: 'system:node:node-1', groups: ['system:nodes', 'system:authenticated'] };
const notReallyNode: UserInfo = { name: 'system:node:node-1', groups: ['system:authenticated'] };
const viewer: UserInfo = { name: 'viewer', groups: ['netkube:read-only', 'system:authenticated'] };
const nobody: UserInfo = { name: 'nobody', groups: ['system:authenticated'] };
const coredns = serviceAccountUser('kube-system', 'coredns');
const webSa = serviceAccountUser('default', 'web');
const deployer = serviceAccountUser('ci', 'deployer');

const policy: AuthzPolicy = {
  bindings: [
    ...DEFAULT_AUTHZ_POLICY.bindings,
    {
      subject: 'system:serviceaccount:ci:deployer',
      rules: [{ verbs: ['create', 'update', 'patch', 'delete'], apiGroups: ['apps'], resources: ['deployments'], namespaces: ['ci'] }],
    },
    { subject: 'group:team-net', rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*/status'] }] },
    { subject: 'alice', rules: [{ verbs: ['update'], apiGroups: [''], resources: ['services', 'pods/status'] }] },
  ],
};

/** A request about pod default/web-1 (or its subresource). */
function pod(verb: ResourceVerb, extra: { subresource?: string; name?: string } = {}): ResourceAttributes {
  return { verb, apiGroup: '', resource: 'pods', namespace: 'default', name: 'web-1', ...extra };
}

interface Case {
  name: string;
  user: UserInfo;
  attrs: RequestAttributes;
  allowed: boolean;
}

const cases: Case[] = [
  // admin
  { name: 'admin may delete any namespace', user: admin, attrs: { verb: 'delete', apiGroup: '', resource: 'namespaces', name: 'kube-system' }, allowed: true },
  { name: 'admin may read secrets', user: admin, attrs: { verb: 'get', apiGroup: '', resource: 'secrets', namespace: 'default', name: 's' }, allowed: true },
  { name: 'admin may POST to any path', user: admin, attrs: { nonResourcePath: '/debug/x', verb: 'post' }, allowed: true },

  // node
  { name: 'node may list pods in all namespaces', user: node1, attrs: { verb: 'list', apiGroup: '', resource: 'pods' }, allowed: true },
  { name: 'node may watch endpointslices', user: node1, attrs: { verb: 'watch', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' }, allowed: true },
  { name: 'node may get pod logs', user: node1, attrs: pod('get', { subresource: 'log' }), allowed: true },
  { name: 'node may not read secrets', user: node1, attrs: { verb: 'get', apiGroup: '', resource: 'secrets', namespace: 'default', name: 's' }, allowed: false },
  { name: 'node may not exec into pods', user: node1, attrs: pod('get', { subresource: 'exec' }), allowed: false },
  { name: 'node may register its own Node', user: node1, attrs: { verb: 'create', apiGroup: '', resource: 'nodes', name: 'node-1' }, allowed: true },
  { name: 'node may not create a Node without a name', user: node1, attrs: { verb: 'create', apiGroup: '', resource: 'nodes' }, allowed: false },
  { name: 'node may update its own Node', user: node1, attrs: { verb: 'update', apiGroup: '', resource: 'nodes', name: 'node-1' }, allowed: true },
  { name: 'node may update its own Node status', user: node1, attrs: { verb: 'update', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'node-1' }, allowed: true },
  { name: 'node may patch its own Node status', user: node1, attrs: { verb: 'patch', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'node-1' }, allowed: true },
  { name: 'node may not update another node', user: node1, attrs: { verb: 'update', apiGroup: '', resource: 'nodes', name: 'node-2' }, allowed: false },
  { name: 'node may not update another node status', user: node1, attrs: { verb: 'patch', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'node-2' }, allowed: false },
  { name: 'node may not delete its own Node', user: node1, attrs: { verb: 'delete', apiGroup: '', resource: 'nodes', name: 'node-1' }, allowed: false },
  { name: 'node may update pod status', user: node1, attrs: pod('update', { subresource: 'status' }), allowed: true },
  { name: 'node may patch pod status', user: node1, attrs: pod('patch', { subresource: 'status' }), allowed: true },
  { name: 'node may delete pods it finished terminating', user: node1, attrs: pod('delete'), allowed: true },
  { name: 'node may not update a pod spec', user: node1, attrs: pod('update'), allowed: false },
  { name: 'node may not create pods', user: node1, attrs: pod('create'), allowed: false },
  { name: 'node may not bind pods (the scheduler does)', user: node1, attrs: pod('create', { subresource: 'binding' }), allowed: false },
  { name: 'node may not delete all pods at once', user: node1, attrs: { verb: 'deletecollection', apiGroup: '', resource: 'pods', namespace: 'default' }, allowed: false },
  { name: 'node may create its lease', user: node1, attrs: { verb: 'create', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'node-1' }, allowed: true },
  { name: 'node may renew its lease', user: node1, attrs: { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'node-1' }, allowed: true },
  { name: "node may not renew another node's lease", user: node1, attrs: { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'node-2' }, allowed: false },
  { name: 'node may not write leases elsewhere', user: node1, attrs: { verb: 'create', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', name: 'node-1' }, allowed: false },
  { name: 'node may create core events', user: node1, attrs: { verb: 'create', apiGroup: '', resource: 'events', namespace: 'default' }, allowed: true },
  { name: 'node may patch events.k8s.io events', user: node1, attrs: { verb: 'patch', apiGroup: 'events.k8s.io', resource: 'events', namespace: 'default', name: 'e' }, allowed: true },
  { name: 'node may not delete events', user: node1, attrs: { verb: 'delete', apiGroup: '', resource: 'events', namespace: 'default', name: 'e' }, allowed: false },
  { name: 'node may not create endpointslices', user: node1, attrs: { verb: 'create', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default' }, allowed: false },
  { name: 'node may not update endpointslices', user: node1, attrs: { verb: 'update', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default', name: 'web-abc' }, allowed: false },
  { name: 'a system:node: name without the system:nodes group is no node', user: notReallyNode, attrs: { verb: 'update', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'node-1' }, allowed: false },

  // read-only
  { name: 'read-only may list services', user: viewer, attrs: { verb: 'list', apiGroup: '', resource: 'services' }, allowed: true },
  { name: 'read-only may get a deployment', user: viewer, attrs: { verb: 'get', apiGroup: 'apps', resource: 'deployments', namespace: 'default', name: 'web' }, allowed: true },
  { name: 'read-only may not create', user: viewer, attrs: { verb: 'create', apiGroup: '', resource: 'services', namespace: 'default' }, allowed: false },
  { name: 'read-only may not patch', user: viewer, attrs: { verb: 'patch', apiGroup: '', resource: 'services', namespace: 'default', name: 'web' }, allowed: false },
  { name: 'read-only may not read secrets', user: viewer, attrs: { verb: 'list', apiGroup: '', resource: 'secrets', namespace: 'default' }, allowed: false },
  { name: 'read-only may not port-forward', user: viewer, attrs: pod('get', { subresource: 'portforward' }), allowed: false },

  // service accounts
  { name: 'service account may list services', user: webSa, attrs: { verb: 'list', apiGroup: '', resource: 'services' }, allowed: true },
  { name: 'service account may watch pods in another namespace', user: webSa, attrs: { verb: 'watch', apiGroup: '', resource: 'pods', namespace: 'kube-system' }, allowed: true },
  { name: 'service account may not delete pods by default', user: webSa, attrs: pod('delete'), allowed: false },
  { name: 'cluster DNS may list endpointslices', user: coredns, attrs: { verb: 'list', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' }, allowed: true },
  { name: 'cluster DNS may watch namespaces', user: coredns, attrs: { verb: 'watch', apiGroup: '', resource: 'namespaces' }, allowed: true },
  { name: 'cluster DNS may not update services', user: coredns, attrs: { verb: 'update', apiGroup: '', resource: 'services', namespace: 'default', name: 'web' }, allowed: false },

  // bindings
  { name: 'a binding lets a service account create in its namespace', user: deployer, attrs: { verb: 'create', apiGroup: 'apps', resource: 'deployments', namespace: 'ci' }, allowed: true },
  { name: 'a namespaced binding does not reach another namespace', user: deployer, attrs: { verb: 'create', apiGroup: 'apps', resource: 'deployments', namespace: 'default' }, allowed: false },
  { name: 'a namespaced binding does not reach across all namespaces', user: deployer, attrs: { verb: 'deletecollection', apiGroup: 'apps', resource: 'deployments' }, allowed: false },
  { name: 'a binding does not cover other groups', user: deployer, attrs: { verb: 'create', apiGroup: 'extensions', resource: 'deployments', namespace: 'ci' }, allowed: false },
  { name: 'a binding does not cover subresources of its resources', user: deployer, attrs: { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'ci', name: 'web' }, allowed: false },
  { name: 'a group binding with */status covers pods/status', user: { name: 'bob', groups: ['team-net'] }, attrs: pod('update', { subresource: 'status' }), allowed: true },
  { name: 'a group binding with */status does not cover the pod', user: { name: 'bob', groups: ['team-net'] }, attrs: pod('update'), allowed: false },
  { name: 'a user binding names its subresources', user: { name: 'alice', groups: [] }, attrs: pod('update', { subresource: 'status' }), allowed: true },
  { name: 'a user binding is for that user only', user: { name: 'alice2', groups: [] }, attrs: { verb: 'update', apiGroup: '', resource: 'services', namespace: 'default', name: 'web' }, allowed: false },
  { name: 'a user binding is not matched by a group of the same name', user: { name: 'carol', groups: ['alice'] }, attrs: { verb: 'update', apiGroup: '', resource: 'services', namespace: 'default', name: 'web' }, allowed: false },

  // authenticated users without a role
  { name: 'a user without a role may not list pods', user: nobody, attrs: { verb: 'list', apiGroup: '', resource: 'pods' }, allowed: false },

  // non-resource paths
  ...['/api', '/api/v1', '/apis', '/apis/apps/v1', '/version', '/version/', '/healthz', '/livez', '/readyz', '/readyz/ping', '/openapi/v2', '/openapi/v3/apis/apps/v1'].map(
    (path): Case => ({ name: `any authenticated user may GET ${path}`, user: nobody, attrs: { nonResourcePath: path, verb: 'get' }, allowed: true }),
  ),
  { name: 'an authenticated user may HEAD /healthz', user: nobody, attrs: { nonResourcePath: '/healthz', verb: 'head' }, allowed: true },
  { name: 'a non-admin may not GET /metrics', user: viewer, attrs: { nonResourcePath: '/metrics', verb: 'get' }, allowed: false },
  { name: 'a non-admin may not POST to /api', user: node1, attrs: { nonResourcePath: '/api', verb: 'post' }, allowed: false },
  { name: 'a prefix match needs a path boundary', user: nobody, attrs: { nonResourcePath: '/apisecret', verb: 'get' }, allowed: false },
];

describe('authorize', () => {
  it.each(cases)('$name', ({ user, attrs, allowed }) => {
    expect(authorize(user, attrs, policy).allowed).toBe(allowed);
  });

  it('allows nothing beyond the built-in roles when the policy is empty', () => {
    expect(authorize(deployer, { verb: 'create', apiGroup: 'apps', resource: 'deployments', namespace: 'ci' }, { bindings: [] }).allowed).toBe(false);
  });
});

describe('forbidden reasons', () => {
  it.each([
    {
      name: 'a named object in a namespace',
      user: node1,
      attrs: pod('update'),
      want: 'pods "web-1" is forbidden: User "system:node:node-1" cannot update resource "pods" in API group "" in the namespace "default"',
    },
    {
      name: 'a collection in a namespace',
      user: viewer,
      attrs: { verb: 'create', apiGroup: '', resource: 'services', namespace: 'default' } as RequestAttributes,
      want: 'services is forbidden: User "viewer" cannot create resource "services" in API group "" in the namespace "default"',
    },
    {
      name: 'a subresource of a named-group object',
      user: webSa,
      attrs: { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web' } as RequestAttributes,
      want: 'deployments.apps "web" is forbidden: User "system:serviceaccount:default:web" cannot update resource "deployments/scale" in API group "apps" in the namespace "default"',
    },
    {
      name: 'a cluster-wide list',
      user: nobody,
      attrs: { verb: 'list', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' } as RequestAttributes,
      want: 'endpointslices.discovery.k8s.io is forbidden: User "nobody" cannot list resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope',
    },
    {
      name: 'a path',
      user: viewer,
      attrs: { nonResourcePath: '/metrics', verb: 'get' } as RequestAttributes,
      want: 'forbidden: User "viewer" cannot get path "/metrics"',
    },
    {
      name: "another node's status, with the node hint appended as Kubernetes does",
      user: node1,
      attrs: { verb: 'patch', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'node-2' } as RequestAttributes,
      want: 'nodes "node-2" is forbidden: User "system:node:node-1" cannot patch resource "nodes/status" in API group "" at the cluster scope: a node may only patch its own Node',
    },
  ])('read like kube-apiserver for $name', ({ user, attrs, want }) => {
    expect(authorize(user, attrs, policy)).toEqual({ allowed: false, reason: want });
  });

  it('quotes the names the way Go does for ordinary strings', () => {
    expect(forbiddenMessage(nobody, pod('delete', { name: 'x' }))).toBe(
      'pods "x" is forbidden: User "nobody" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
  });
});

describe('isPublicPath', () => {
  it.each([
    ['/healthz', true],
    ['/livez', true],
    ['/readyz', true],
    ['/version', true],
    ['/version/', true],
    ['/healthz?verbose', true],
    ['/readyz/etcd', false],
    ['/api', false],
    ['/apis', false],
    ['/openapi/v2', false],
    ['/api/v1/namespaces/default/pods', false],
    ['/metrics', false],
    ['/', false],
  ])('%s → %s', (path, want) => {
    expect(isPublicPath(path)).toBe(want);
  });
});
