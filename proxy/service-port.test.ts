import { describe, expect, it } from 'vitest';
import type { Service, ServiceSpec } from '../kube/api/core.js';
import { serviceKeyOf, servicePortName, toServicePorts } from './service-port.js';

function svc(spec: ServiceSpec | undefined, ingress?: string[]): Service {
  return {
    metadata: { namespace: 'ns', name: 'web' },
    ...(spec ? { spec } : {}),
    ...(ingress ? { status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } } } : {}),
  };
}

describe('toServicePorts', () => {
  it.each([
    { name: 'headless Service gives no ports', spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    { name: 'Service without a cluster IP gives no ports', spec: { clusterIP: '', ports: [{ port: 80 }] } },
    { name: 'ExternalName Service gives no ports', spec: { type: 'ExternalName' as const, externalName: 'example.com', ports: [{ port: 80 }] } },
    { name: 'IPv6-only Service gives no ports', spec: { clusterIP: 'fd00::1', ports: [{ port: 80 }] } },
    { name: 'Service without spec gives no ports', spec: undefined },
  ])('$name', ({ spec }) => {
    expect(toServicePorts(svc(spec))).toEqual([]);
  });

  it('reduces a ClusterIP port with defaults', () => {
    expect(toServicePorts(svc({ clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] }))).toEqual([
      {
        name: 'ns/web:http',
        clusterIP: '10.96.0.10',
        port: 80,
        protocol: 'TCP',
        nodePort: 0,
        externalIPs: [],
        loadBalancerIPs: [],
        loadBalancerSourceRanges: [],
        sessionAffinity: 'None',
        stickyMaxAgeSeconds: 0,
        externalPolicyLocal: false,
        internalPolicyLocal: false,
        healthCheckNodePort: 0,
      },
    ]);
  });

  it('names an unnamed port ns/name', () => {
    expect(toServicePorts(svc({ clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] }))[0]).toMatchObject({
      name: 'ns/web',
      protocol: 'UDP',
    });
  });

  it('reads a LoadBalancer with policy Local, health check, source ranges and affinity', () => {
    const [p] = toServicePorts(
      svc(
        {
          type: 'LoadBalancer',
          clusterIP: '10.96.0.11',
          ports: [{ name: 'p80', port: 80, nodePort: 30080 }],
          externalIPs: ['192.168.99.1', '2001:db8::1'],
          externalTrafficPolicy: 'Local',
          internalTrafficPolicy: 'Local',
          healthCheckNodePort: 31000,
          loadBalancerSourceRanges: [' 203.0.113.0/25 ', 'not-a-cidr'],
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        },
        ['1.2.3.4', '2001:db8::2'],
      ),
    );
    expect(p).toMatchObject({
      nodePort: 30080,
      externalIPs: ['192.168.99.1'],
      loadBalancerIPs: ['1.2.3.4'],
      loadBalancerSourceRanges: ['203.0.113.0/25'],
      externalPolicyLocal: true,
      internalPolicyLocal: true,
      healthCheckNodePort: 31000,
      sessionAffinity: 'ClientIP',
      stickyMaxAgeSeconds: 60,
    });
  });

  it.each([
    { name: 'ClientIP without a timeout gets the API default 10800 s', spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' as const }, want: { stickyMaxAgeSeconds: 10800 } },
    { name: 'externalTrafficPolicy Local on a plain ClusterIP is not external policy', spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }], externalTrafficPolicy: 'Local' as const }, want: { externalPolicyLocal: false } },
    { name: 'a ClusterIP with external IPs honours externalTrafficPolicy Local', spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }], externalIPs: ['192.168.99.2'], externalTrafficPolicy: 'Local' as const }, want: { externalPolicyLocal: true } },
    { name: 'a nodePort on a ClusterIP Service is ignored', spec: { clusterIP: '10.96.0.1', ports: [{ port: 80, nodePort: 30001 }] }, want: { nodePort: 0 } },
    { name: 'a NodePort Service with policy Local has no health check node port', spec: { type: 'NodePort' as const, clusterIP: '10.96.0.1', ports: [{ port: 80, nodePort: 30001 }], externalTrafficPolicy: 'Local' as const, healthCheckNodePort: 31001 }, want: { healthCheckNodePort: 0, externalPolicyLocal: true } },
  ])('$name', ({ spec, want }) => {
    expect(toServicePorts(svc(spec))[0]).toMatchObject(want);
  });

  it('gives one ServicePortInfo per port', () => {
    const ports = toServicePorts(svc({ clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }] }));
    expect(ports.map((p) => `${p.name} ${p.protocol}`)).toEqual(['ns/web:dns UDP', 'ns/web:dns-tcp TCP']);
  });
});

describe('ServicePortName', () => {
  it.each([
    [servicePortName('ns1', 'svc1', 'p80'), 'ns1/svc1:p80', 'ns1/svc1'],
    [servicePortName('ns1', 'svc1'), 'ns1/svc1', 'ns1/svc1'],
  ])('%s', (spn, want, key) => {
    expect(spn).toBe(want);
    expect(serviceKeyOf(spn)).toBe(key);
  });
});
