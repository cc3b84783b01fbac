import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { planConntrackCleanup } from './conntrack-plan.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import { applyChanges, emptySnapshot, type ProxySnapshot } from './snapshot.js';

function svc(protocol: 'TCP' | 'UDP', extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    metadata: { namespace: 'ns', name: 'dns' },
    spec: { clusterIP: '10.96.0.10', ports: [{ name: 'p', port: 53, protocol, ...(extra.type === 'NodePort' ? { nodePort: 30053 } : {}) }], ...extra },
  };
}
function slice(ips: string[]): EndpointSlice {
  return {
    metadata: { namespace: 'ns', name: 'dns-1', labels: { 'kubernetes.io/service-name': 'dns' } },
    addressType: 'IPv4',
    ports: [{ name: 'p', port: 5353 }],
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
  };
}

/** Applies a Service and two slice states in two syncs; returns the planned deletions of the second. */
function plan(service: Service, before: string[], after: string[]): string[] {
  const st = new ServiceChangeTracker();
  const et = new EndpointsChangeTracker();
  st.update(undefined, service);
  if (before.length > 0) et.update(undefined, slice(before));
  const first = applyChanges(emptySnapshot(), { services: st.checkout(), endpoints: et.checkout() });
  const s1: ProxySnapshot = first.snapshot;
  if (before.length > 0) et.update(slice(before), slice(after));
  else et.update(undefined, slice(after));
  const second = applyChanges(s1, { services: st.checkout(), endpoints: et.checkout() });
  return planConntrackCleanup(second, s1, second.snapshot).map((d) => d.args.join(' '));
}

describe('planConntrackCleanup', () => {
  it.each([
    {
      name: 'a UDP endpoint that goes away loses the entries DNATed to it',
      service: svc('UDP'),
      before: ['10.0.0.1', '10.0.0.2'],
      after: ['10.0.0.2'],
      want: ['-D -p udp --orig-dst 10.96.0.10 --dst-nat 10.0.0.1'],
    },
    {
      name: 'and its NodePort and external IP entries too',
      service: svc('UDP', { type: 'NodePort', externalIPs: ['192.0.2.7'] }),
      before: ['10.0.0.1', '10.0.0.2'],
      after: ['10.0.0.2'],
      want: [
        '-D -p udp --orig-dst 10.96.0.10 --dst-nat 10.0.0.1',
        '-D -p udp --orig-dst 192.0.2.7 --dst-nat 10.0.0.1',
        '-D -p udp --dport 30053 --dst-nat 10.0.0.1',
      ],
    },
    {
      name: 'a UDP Service getting its first endpoint forgets the entries made while it rejected',
      service: svc('UDP', { type: 'NodePort' }),
      before: [],
      after: ['10.0.0.1'],
      want: ['-D -p udp --orig-dst 10.96.0.10', '-D -p udp --dport 30053'],
    },
    {
      name: 'a UDP Service that already had endpoints deletes nothing when one is added',
      service: svc('UDP'),
      before: ['10.0.0.1'],
      after: ['10.0.0.1', '10.0.0.2'],
      want: [],
    },
    {
      name: 'TCP endpoints going away need no cleanup (connections end)',
      service: svc('TCP'),
      before: ['10.0.0.1', '10.0.0.2'],
      after: ['10.0.0.2'],
      want: [],
    },
  ])('$name', ({ service, before, after, want }) => {
    expect(plan(service, before, after)).toEqual(want);
  });
});
