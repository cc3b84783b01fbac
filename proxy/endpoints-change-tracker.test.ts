import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../kube/api/core.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';

function slice(name: string, ips: string[], opts: { svc?: string; ready?: boolean; trigger?: string } = {}): EndpointSlice {
  return {
    metadata: {
      namespace: 'ns',
      name,
      labels: { 'kubernetes.io/service-name': opts.svc ?? 'web' },
      ...(opts.trigger ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': opts.trigger } } : {}),
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: opts.ready ?? true } })),
  };
}

const eps = (m: ReadonlyMap<string, readonly { endpoint: string }[]> | undefined, spn = 'ns/web:http') =>
  (m?.get(spn) ?? []).map((e) => e.endpoint);

describe('EndpointsChangeTracker', () => {
  it('merges the slices of a Service', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.2']));
    t.update(undefined, slice('web-b', ['10.0.0.1']));
    const c = t.checkout().get('ns/web')!;
    expect(eps(c.prev)).toEqual([]);
    expect(eps(c.cur)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
  });

  it('reports the merge before and after when one slice changes', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1']));
    t.update(undefined, slice('web-b', ['10.0.0.2']));
    t.checkout();
    expect(t.update(slice('web-b', ['10.0.0.2']), slice('web-b', ['10.0.0.2', '10.0.0.3']))).toBe(true);
    const c = t.checkout().get('ns/web')!;
    expect(eps(c.prev)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(eps(c.cur)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
  });

  it('a resync with identical data is not pending', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1']));
    t.checkout();
    expect(t.update(slice('web-a', ['10.0.0.1']), slice('web-a', ['10.0.0.1']))).toBe(false);
    expect(t.checkout().size).toBe(0);
  });

  it('an endpoint moving between slices changes nothing', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1', '10.0.0.2']));
    t.update(undefined, slice('web-b', []));
    t.checkout();
    t.update(slice('web-a', ['10.0.0.1', '10.0.0.2']), slice('web-a', ['10.0.0.1']));
    t.update(slice('web-b', []), slice('web-b', ['10.0.0.2']));
    expect(t.checkout().size).toBe(0);
  });

  it('a readiness change is a change', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1']));
    t.checkout();
    t.update(slice('web-a', ['10.0.0.1']), slice('web-a', ['10.0.0.1'], { ready: false }));
    const c = t.checkout().get('ns/web')!;
    expect(c.cur.get('ns/web:http')![0]!.ready).toBe(false);
  });

  it('deleting the last slice leaves the Service with no endpoints', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1']));
    t.checkout();
    expect(t.update(slice('web-a', ['10.0.0.1']), undefined)).toBe(true);
    const c = t.checkout().get('ns/web')!;
    expect(eps(c.prev)).toEqual(['10.0.0.1:8080']);
    expect(c.cur.size).toBe(0);
    expect(t.pending).toBe(0);
  });

  it('an add then a delete before a sync leaves nothing', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1']));
    expect(t.update(slice('web-a', ['10.0.0.1']), undefined)).toBe(false);
    expect(t.checkout().size).toBe(0);
  });

  it('a slice relabelled to another Service leaves the old one', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('s1', ['10.0.0.1'], { svc: 'old' }));
    t.checkout();
    t.update(slice('s1', ['10.0.0.1'], { svc: 'old' }), slice('s1', ['10.0.0.1'], { svc: 'new' }));
    const c = t.checkout();
    expect(eps(c.get('ns/old')?.cur, 'ns/old:http')).toEqual([]);
    expect(eps(c.get('ns/new')?.cur, 'ns/new:http')).toEqual(['10.0.0.1:8080']);
  });

  it('collects last-change-trigger-time annotations', () => {
    const t = new EndpointsChangeTracker();
    t.update(undefined, slice('web-a', ['10.0.0.1'], { trigger: '2026-01-01T00:00:00Z' }));
    expect(t.checkout().get('ns/web')!.triggerTimes).toEqual([Date.parse('2026-01-01T00:00:00Z')]);
  });
});
