import { describe, it, expect } from 'vitest';
import { parseRequestInfo } from './request-info.js';

describe('parseRequestInfo', () => {
  it.each([
    { name: 'list pods in a namespace', m: 'GET', u: '/api/v1/namespaces/default/pods', want: { verb: 'list', group: '', resource: 'pods', namespace: 'default' } },
    { name: 'watch pods everywhere', m: 'GET', u: '/api/v1/pods?watch=true', want: { verb: 'watch', resource: 'pods' } },
    { name: 'watch=0 is a list', m: 'GET', u: '/api/v1/pods?watch=0', want: { verb: 'list' } },
    { name: 'get one service', m: 'GET', u: '/api/v1/namespaces/ns1/services/web', want: { verb: 'get', resource: 'services', name: 'web', namespace: 'ns1' } },
    { name: 'pod status', m: 'PUT', u: '/api/v1/namespaces/ns1/pods/p/status', want: { verb: 'update', subresource: 'status', name: 'p' } },
    { name: 'pod binding', m: 'POST', u: '/api/v1/namespaces/ns1/pods/p/binding', want: { verb: 'create', subresource: 'binding' } },
    { name: 'a namespace itself', m: 'GET', u: '/api/v1/namespaces/kube-system', want: { verb: 'get', resource: 'namespaces', name: 'kube-system' } },
    { name: 'namespace status', m: 'PUT', u: '/api/v1/namespaces/x/status', want: { resource: 'namespaces', name: 'x', subresource: 'status' } },
    { name: 'list namespaces', m: 'GET', u: '/api/v1/namespaces', want: { verb: 'list', resource: 'namespaces' } },
    { name: 'grouped resource', m: 'DELETE', u: '/apis/apps/v1/namespaces/d/deployments', want: { verb: 'deletecollection', group: 'apps', resource: 'deployments' } },
    { name: 'delete one', m: 'DELETE', u: '/apis/discovery.k8s.io/v1/namespaces/d/endpointslices/s1', want: { verb: 'delete', group: 'discovery.k8s.io', name: 's1' } },
    { name: 'cluster-scoped node', m: 'PATCH', u: '/api/v1/nodes/node-1/status', want: { verb: 'patch', resource: 'nodes', name: 'node-1', subresource: 'status' } },
  ])('$name', ({ m, u, want }) => {
    expect(parseRequestInfo(m, u)).toMatchObject({ kind: 'resource', ...want });
  });

  it.each(['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/healthz', '/openapi/v3'])('%s is a non-resource path', (u) => {
    expect(parseRequestInfo('GET', u)).toMatchObject({ kind: 'nonresource', path: u });
  });
});
