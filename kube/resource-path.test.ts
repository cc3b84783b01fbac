import { describe, expect, it } from 'vitest';
import { apiVersionOf, listQuery, resourcePath, watchQuery, withQuery, type ResourcePathParts } from './resource-path.js';

describe('resourcePath', () => {
  it.each<{ name: string; parts: ResourcePathParts; want: string }>([
    { name: 'core collection across namespaces', parts: { group: '', version: 'v1', resource: 'pods' }, want: '/api/v1/pods' },
    {
      name: 'core namespaced object subresource',
      parts: { group: '', version: 'v1', resource: 'pods', namespace: 'ns', name: 'web-0', subresource: 'status' },
      want: '/api/v1/namespaces/ns/pods/web-0/status',
    },
    { name: 'cluster-scoped object', parts: { group: '', version: 'v1', resource: 'nodes', name: 'node-1' }, want: '/api/v1/nodes/node-1' },
    {
      name: 'named group namespaced collection',
      parts: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: 'default' },
      want: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
    },
    {
      name: 'named group object',
      parts: { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'kube-system', name: 'coredns' },
      want: '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
    },
    {
      name: 'empty namespace means all namespaces',
      parts: { group: '', version: 'v1', resource: 'services', namespace: '' },
      want: '/api/v1/services',
    },
    {
      name: 'segments are escaped',
      parts: { group: '', version: 'v1', resource: 'configmaps', namespace: 'a b', name: 'x/y' },
      want: '/api/v1/namespaces/a%20b/configmaps/x%2Fy',
    },
  ])('$name', ({ parts, want }) => {
    expect(resourcePath(parts)).toBe(want);
  });

  it.each<{ name: string; parts: ResourcePathParts; error: RegExp }>([
    { name: 'subresource without a name', parts: { group: '', version: 'v1', resource: 'pods', subresource: 'status' }, error: /needs a name/ },
    { name: 'empty name', parts: { group: '', version: 'v1', resource: 'pods', name: '' }, error: /name must not be empty/ },
    { name: 'missing version', parts: { group: 'apps', version: '', resource: 'deployments' }, error: /version is required/ },
  ])('rejects $name', ({ parts, error }) => {
    expect(() => resourcePath(parts)).toThrow(error);
  });

  it('apiVersionOf spells core and named groups like objects do', () => {
    expect(apiVersionOf({ group: '', version: 'v1' })).toBe('v1');
    expect(apiVersionOf({ group: 'apps', version: 'v1' })).toBe('apps/v1');
  });
});

describe('query building', () => {
  it('list query carries selectors, paging and resourceVersion, escaped', () => {
    const url = listQuery('/api/v1/pods', {
      labelSelector: 'app=web,tier in (a,b)',
      fieldSelector: 'spec.nodeName=node-1',
      resourceVersion: '0',
      resourceVersionMatch: 'NotOlderThan',
      limit: 500,
      continue: 'tok/en=',
    });
    const u = new URL(url, 'https://x');
    expect(u.pathname).toBe('/api/v1/pods');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      labelSelector: 'app=web,tier in (a,b)',
      fieldSelector: 'spec.nodeName=node-1',
      resourceVersion: '0',
      resourceVersionMatch: 'NotOlderThan',
      limit: '500',
      continue: 'tok/en=',
    });
  });

  it.each([
    { name: 'no options leave the path bare', q: {}, want: '/api/v1/pods' },
    { name: 'empty selectors are left out', q: { labelSelector: '', fieldSelector: '' }, want: '/api/v1/pods' },
    { name: 'limit 0 (= no limit) is left out', q: { limit: 0 }, want: '/api/v1/pods' },
  ])('$name', ({ q, want }) => {
    expect(listQuery('/api/v1/pods', q)).toBe(want);
  });

  it('rejects a negative or fractional limit', () => {
    expect(() => listQuery('/api/v1/pods', { limit: -1 })).toThrow(/limit/);
    expect(() => listQuery('/api/v1/pods', { limit: 1.5 })).toThrow(/limit/);
  });

  it('watch query always asks for a watch and passes bookmarks and timeout', () => {
    const url = watchQuery('/api/v1/namespaces/ns/services', {
      resourceVersion: '42',
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
      labelSelector: 'a=b',
    });
    expect(url).toBe('/api/v1/namespaces/ns/services?watch=1&labelSelector=a%3Db&resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=300');
  });

  it('watch query leaves false flags out', () => {
    expect(watchQuery('/api/v1/pods', { allowWatchBookmarks: false, sendInitialEvents: false })).toBe('/api/v1/pods?watch=1');
  });

  it('withQuery appends to a path that already has a query', () => {
    expect(withQuery('/x?a=1', { b: 2, c: undefined })).toBe('/x?a=1&b=2');
  });
});
