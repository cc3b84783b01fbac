import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../kube/api/core.js';
import { toEndpoints } from './endpoint-info.js';

function slice(over: Partial<EndpointSlice>): EndpointSlice {
  return {
    metadata: { namespace: 'ns', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [],
    ...over,
  };
}

describe('toEndpoints', () => {
  it('groups endpoints by ServicePortName, sorted by ip:port, with conditions defaulted', () => {
    const m = toEndpoints(
      slice({
        endpoints: [
          { addresses: ['10.0.0.2'], nodeName: 'node-b', conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.0.0.10', '10.0.0.11'], nodeName: 'node-a' },
        ],
      }),
    );
    expect([...m.keys()]).toEqual(['ns/web:http']);
    expect(m.get('ns/web:http')).toEqual([
      { ip: '10.0.0.10', port: 8080, endpoint: '10.0.0.10:8080', ready: true, serving: true, terminating: false, nodeName: 'node-a' },
      { ip: '10.0.0.2', port: 8080, endpoint: '10.0.0.2:8080', ready: false, serving: true, terminating: true, nodeName: 'node-b' },
    ]);
  });

  it.each([
    { name: 'a slice without the service-name label', s: slice({ metadata: { namespace: 'ns', name: 'x' }, endpoints: [{ addresses: ['10.0.0.1'] }] }) },
    { name: 'an IPv6 slice', s: slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] }) },
    { name: 'an FQDN slice', s: slice({ addressType: 'FQDN', endpoints: [{ addresses: ['example.com'] }] }) },
  ])('ignores $name', ({ s }) => {
    expect(toEndpoints(s).size).toBe(0);
  });

  it('skips ports without a number and endpoints without an address', () => {
    const m = toEndpoints(
      slice({
        ports: [{ name: 'none' }, { name: 'http', port: 8080 }],
        endpoints: [{ addresses: [] }, { addresses: ['10.0.0.1'] }],
      }),
    );
    expect([...m.keys()]).toEqual(['ns/web:http']);
    expect(m.get('ns/web:http')!.map((e) => e.endpoint)).toEqual(['10.0.0.1:8080']);
  });

  it('keeps one copy of a duplicated address, preferring the ready one', () => {
    const m = toEndpoints(
      slice({
        endpoints: [
          { addresses: ['10.0.0.1'], conditions: { ready: false } },
          { addresses: ['10.0.0.1'], conditions: { ready: true } },
        ],
      }),
    );
    expect(m.get('ns/web:http')).toHaveLength(1);
    expect(m.get('ns/web:http')![0]!.ready).toBe(true);
  });

  it('names an unnamed port ns/service', () => {
    const m = toEndpoints(slice({ ports: [{ port: 53, protocol: 'UDP' }], endpoints: [{ addresses: ['10.0.0.1'] }] }));
    expect([...m.keys()]).toEqual(['ns/web']);
  });
});
