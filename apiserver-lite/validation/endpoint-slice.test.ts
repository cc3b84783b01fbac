import { describe, it, expect } from 'vitest';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './endpoint-slice.js';
import { validateEndpoints } from './endpoints.js';

const slice = (body: Record<string, unknown>) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-abc12', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  ...body,
});
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe('validateEndpointSlice', () => {
  it.each([
    {
      name: 'valid IPv4 slice',
      body: { addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true }, nodeName: 'node-1' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      want: [],
    },
    { name: 'addressType required', body: { endpoints: [] }, want: ['addressType: Required value'] },
    { name: 'unknown addressType', body: { addressType: 'IP' }, want: ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'] },
    {
      name: 'IPv6 address in an IPv4 slice',
      body: { addressType: 'IPv4', endpoints: [{ addresses: ['fd00::5'] }] },
      want: ['endpoints[0].addresses[0]: Invalid value: "fd00::5": must be a valid IPv4 address'],
    },
    {
      name: 'loopback endpoint',
      body: { addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'] }] },
      want: ['endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
    },
    { name: 'endpoint without addresses', body: { addressType: 'IPv4', endpoints: [{ addresses: [] }] }, want: ['endpoints[0].addresses: Required value: must contain at least 1 address'] },
    {
      name: 'too many endpoints',
      body: { addressType: 'IPv4', endpoints: Array.from({ length: 1001 }, () => ({ addresses: ['10.0.0.1'] })) },
      want: ['endpoints: Too many: 1001: must have at most 1000 items'],
    },
    {
      name: 'duplicate port names',
      body: { addressType: 'IPv4', ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] },
      want: ['ports[1].name: Duplicate value: "http"'],
    },
    { name: 'FQDN needs two labels', body: { addressType: 'FQDN', endpoints: [{ addresses: ['db'] }] }, want: ['endpoints[0].addresses[0]: Invalid value: "db": should be a domain with at least two segments separated by dots'] },
  ])('$name', ({ body, want }) => {
    expect(strings(validateEndpointSlice(slice(body)))).toEqual(want);
  });

  it('addressType is immutable', () => {
    expect(strings(validateEndpointSliceUpdate(slice({ addressType: 'IPv6' }), slice({ addressType: 'IPv4' })))).toEqual([
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
  });
});

describe('validateEndpoints', () => {
  const ep = (subsets: unknown) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default' }, subsets });
  it.each([
    { name: 'the kubernetes endpoints', subsets: [{ addresses: [{ ip: '172.18.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }], want: [] },
    { name: 'subset without addresses', subsets: [{ ports: [{ port: 80 }] }], want: ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`'] },
    {
      name: 'bad address and unnamed ports',
      subsets: [{ addresses: [{ ip: 'x' }], ports: [{ port: 80 }, { port: 81 }] }],
      want: [
        'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address',
        'subsets[0].ports[0].name: Required value',
        'subsets[0].ports[1].name: Required value',
      ],
    },
  ])('$name', ({ subsets, want }) => {
    expect(strings(validateEndpoints(ep(subsets)))).toEqual(want);
  });
});
