import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { describeChange, parsePortSelector, readyUpstreams, sameUpstreams, slicePortName } from './endpoints.js';

function slice(name: string, ports: EndpointSlice['ports'], endpoints: EndpointSlice['endpoints'], addressType: EndpointSlice['addressType'] = 'IPv4'): EndpointSlice {
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } }, addressType, ports, endpoints };
}

const svc: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'admin', port: 9000 }] },
};

describe('parsePortSelector', () => {
  it('tells names from numbers and rejects junk', () => {
    expect(parsePortSelector('http')).toEqual({ kind: 'name', name: 'http' });
    expect(parsePortSelector('80')).toEqual({ kind: 'number', port: 80 });
    expect(() => parsePortSelector('0')).toThrow();
    expect(() => parsePortSelector('70000')).toThrow();
    expect(() => parsePortSelector('Bad_Name')).toThrow();
  });
});

describe('slicePortName', () => {
  it('maps a Service port number to its name; a name passes through', () => {
    expect(slicePortName({ kind: 'name', name: 'http' }, undefined)).toBe('http');
    expect(slicePortName({ kind: 'number', port: 80 }, svc)).toBe('http');
    expect(slicePortName({ kind: 'number', port: 9000 }, svc)).toBe('admin');
  });
  it('gives "" for an unnamed port, undefined for an unknown Service, a missing or a UDP port', () => {
    const single: Service = { ...svc, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
    expect(slicePortName({ kind: 'number', port: 80 }, single)).toBe('');
    expect(slicePortName({ kind: 'number', port: 80 }, undefined)).toBeUndefined();
    expect(slicePortName({ kind: 'number', port: 81 }, svc)).toBeUndefined();
    expect(slicePortName({ kind: 'number', port: 53 }, svc)).toBeUndefined();
  });
});

describe('readyUpstreams', () => {
  const ports = [{ name: 'http', port: 8080, protocol: 'TCP' as const }, { name: 'admin', port: 9000 }];
  it('keeps ready endpoints with the target port of the named slice port, sorted numerically, deduplicated', () => {
    const a = slice('web-a', ports, [
      { addresses: ['10.0.0.10'], conditions: { ready: true } },
      { addresses: ['10.0.0.9'] }, // unset = ready
      { addresses: ['10.0.0.11'], conditions: { ready: false } },
      { addresses: ['10.0.0.12'], conditions: { ready: true, serving: true, terminating: true } },
    ]);
    const b = slice('web-b', ports, [{ addresses: ['10.0.0.10'] }, { addresses: ['10.0.0.13', '10.0.0.14'] }]);
    expect(readyUpstreams([a, b], 'http').map((u) => u.address)).toEqual(['10.0.0.9:8080', '10.0.0.10:8080', '10.0.0.13:8080']);
    expect(readyUpstreams([a], 'admin').map((u) => u.address)).toEqual(['10.0.0.9:9000', '10.0.0.10:9000']);
    expect(readyUpstreams([a], 'http')[0]).toEqual({ ip: '10.0.0.9', port: 8080, address: '10.0.0.9:8080' });
  });
  it('ignores slices without the port, IPv6/FQDN slices and bad addresses', () => {
    expect(readyUpstreams([slice('x', [{ name: 'other', port: 1 }], [{ addresses: ['10.0.0.1'] }])], 'http')).toEqual([]);
    expect(readyUpstreams([slice('x', ports, [{ addresses: ['fd00::1'] }], 'IPv6')], 'http')).toEqual([]);
    expect(readyUpstreams([slice('x', ports, [{ addresses: ['not-an-ip'] }, { addresses: [] }])], 'http')).toEqual([]);
    expect(readyUpstreams([slice('x', [{ name: 'http', port: 53, protocol: 'UDP' }], [{ addresses: ['10.0.0.1'] }])], 'http')).toEqual([]);
  });
  it('matches an unnamed port with ""', () => {
    expect(readyUpstreams([slice('x', [{ port: 8080 }], [{ addresses: ['10.0.0.1'] }])], '').map((u) => u.address)).toEqual(['10.0.0.1:8080']);
  });
});

describe('sameUpstreams / describeChange', () => {
  const u = (address: string) => {
    const [ip, port] = address.split(':');
    return { ip: ip!, port: Number(port), address };
  };
  it('compares by address and order and describes the delta', () => {
    expect(sameUpstreams([u('1.1.1.1:80')], [u('1.1.1.1:80')])).toBe(true);
    expect(sameUpstreams([u('1.1.1.1:80')], [u('1.1.1.2:80')])).toBe(false);
    expect(describeChange([u('1.1.1.1:80')], [u('1.1.1.2:80')])).toBe('1.1.1.2:80 (+1.1.1.2:80 -1.1.1.1:80)');
    expect(describeChange([u('1.1.1.1:80')], [])).toBe('(none) (-1.1.1.1:80)');
  });
});
