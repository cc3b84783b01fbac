import { describe, it, expect } from 'vitest';
import { validateService, validateServiceUpdate } from './service.js';
import type { ValidationContext } from './index.js';

const ctx: ValidationContext = { serviceCIDR: '10.96.0.0/12', nodePortRange: { base: 30000, size: 2768 } };

function svc(spec: Record<string, unknown>, meta: Record<string, unknown> = {}): unknown {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', ...meta }, spec };
}
const port80 = { port: 80, targetPort: 8080, protocol: 'TCP' };
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe('validateService accepts ordinary Services', () => {
  it.each([
    { name: 'ClusterIP with an allocated IP', spec: { ports: [port80], clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] } },
    { name: 'ClusterIP with only clusterIP set', spec: { ports: [port80], clusterIP: '10.96.0.20' } },
    { name: 'defaults absent (type, protocol, targetPort)', spec: { ports: [{ port: 53 }] } },
    { name: 'headless without ports', spec: { clusterIP: 'None', selector: { app: 'db' } } },
    { name: 'NodePort in range', spec: { type: 'NodePort', ports: [{ ...port80, nodePort: 30080 }], clusterIP: '10.96.0.21' } },
    { name: 'named target port', spec: { ports: [{ port: 80, targetPort: 'http' }] } },
    { name: 'two named ports', spec: { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } },
    { name: 'same port on TCP and UDP', spec: { ports: [{ name: 'dns', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] } },
    { name: 'ExternalName', spec: { type: 'ExternalName', externalName: 'db.example.com.' } },
    {
      name: 'LoadBalancer Local with health check port',
      spec: { type: 'LoadBalancer', ports: [{ ...port80, nodePort: 30001 }], externalTrafficPolicy: 'Local', healthCheckNodePort: 30002 },
    },
    { name: 'ClientIP affinity', spec: { ports: [port80], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86400 } } } },
    { name: 'the kubernetes Service IP', spec: { ports: [{ name: 'https', port: 443, targetPort: 6443 }], clusterIP: '10.96.0.1' } },
  ])('$name', ({ spec }) => {
    expect(strings(validateService(svc(spec), ctx))).toEqual([]);
  });
});

describe('validateService rejects with Kubernetes messages', () => {
  it.each([
    { name: 'port 0 is out of range', spec: { ports: [{ port: 0 }] }, want: ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'] },
    { name: 'port 70000', spec: { ports: [{ port: 70000 }] }, want: ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'] },
    { name: 'missing ports', spec: {}, want: ['spec.ports: Required value'] },
    { name: 'ports of the wrong type', spec: { ports: 'x' }, want: ['spec.ports: Invalid value: "x": must be an array'] },
    { name: 'a port that is not an object', spec: { ports: [7] }, want: ['spec.ports[0]: Invalid value: 7: must be an object', 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'] },
    { name: 'port as a string', spec: { ports: [{ port: '80' }] }, want: ['spec.ports[0].port: Invalid value: "80": must be an integer', 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'] },
    {
      name: 'unsupported protocol',
      spec: { ports: [{ port: 80, protocol: 'ICMP' }] },
      want: ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    },
    {
      name: 'unsupported type',
      spec: { type: 'Foo', ports: [port80] },
      want: ['spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    },
    {
      name: 'names required with two ports',
      spec: { ports: [{ name: 'http', port: 80 }, { port: 81 }] },
      want: ['spec.ports[1].name: Required value'],
    },
    {
      name: 'duplicate port names',
      spec: { ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] },
      want: ['spec.ports[1].name: Duplicate value: "http"'],
    },
    {
      name: 'port name must be a DNS label',
      spec: { ports: [{ name: 'HTTP', port: 80 }] },
      want: [
        "spec.ports[0].name: Invalid value: \"HTTP\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
    {
      name: 'duplicate protocol and port',
      spec: { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80, protocol: 'TCP' }] },
      want: [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    },
    { name: 'targetPort out of range', spec: { ports: [{ port: 80, targetPort: 70000 }] }, want: ['spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive'] },
    {
      name: 'targetPort name too long and with --',
      spec: { ports: [{ port: 80, targetPort: 'very-long--port-name' }] },
      want: [
        'spec.ports[0].targetPort: Invalid value: "very-long--port-name": must be no more than 15 characters',
        'spec.ports[0].targetPort: Invalid value: "very-long--port-name": must not contain consecutive hyphens',
      ],
    },
    {
      name: 'targetPort name without letters',
      spec: { ports: [{ port: 80, targetPort: '-80' }] },
      want: [
        'spec.ports[0].targetPort: Invalid value: "-80": must contain at least one letter (a-z)',
        'spec.ports[0].targetPort: Invalid value: "-80": must not begin or end with a hyphen',
      ],
    },
    {
      name: 'nodePort on a ClusterIP Service',
      spec: { ports: [{ port: 80, nodePort: 30080 }] },
      want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    },
    {
      name: 'nodePort outside the range',
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] },
      want: ['spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    },
    {
      name: 'duplicate nodePort',
      spec: { type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }] },
      want: ['spec.ports[1].nodePort: Duplicate value: 30080'],
    },
    {
      name: 'headless NodePort',
      spec: { type: 'NodePort', clusterIP: 'None', ports: [port80] },
      want: ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
    },
    {
      name: 'headless LoadBalancer',
      spec: { type: 'LoadBalancer', clusterIP: 'None', ports: [port80] },
      want: ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"],
    },
    {
      name: 'clusterIP not an IP',
      spec: { ports: [port80], clusterIP: '10.96.0.300' },
      want: ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    },
    {
      name: 'clusterIP outside the service range',
      spec: { ports: [port80], clusterIP: '10.0.0.5' },
      want: [
        'spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
      ],
    },
    {
      name: 'the network address is not allocatable',
      spec: { ports: [port80], clusterIP: '10.96.0.0' },
      want: [
        'spec.clusterIPs: Invalid value: []string{"10.96.0.0"}: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
      ],
    },
    {
      name: 'clusterIPs disagreeing with clusterIP',
      spec: { ports: [port80], clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.21'] },
      want: ['spec.clusterIPs: Invalid value: []string{"10.96.0.21"}: first value must match `clusterIP`'],
    },
    {
      name: 'two IPv4 clusterIPs',
      spec: { ports: [port80], clusterIPs: ['10.96.0.20', '10.96.0.21'] },
      want: ['spec.clusterIPs: Invalid value: []string{"10.96.0.20", "10.96.0.21"}: may specify no more than one IP for each IP family'],
    },
    {
      name: 'None with a second IP',
      spec: { ports: [port80], clusterIPs: ['None', '10.96.0.21'] },
      want: ["spec.clusterIPs: Invalid value: []string{\"None\", \"10.96.0.21\"}: 'None' must be the first and only value"],
    },
    {
      name: 'family mismatch',
      spec: { ports: [port80], clusterIP: '10.96.0.20', ipFamilies: ['IPv6'] },
      want: ['spec.clusterIPs[0]: Invalid value: "10.96.0.20": expected an IPv6 value as indicated by `ipFamilies[0]`'],
    },
    {
      name: 'unknown ip family and policy',
      spec: { ports: [port80], ipFamilies: ['IPv5'], ipFamilyPolicy: 'Both' },
      want: [
        'spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
        'spec.ipFamilyPolicy: Unsupported value: "Both": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"',
      ],
    },
    {
      name: 'ExternalName without externalName',
      spec: { type: 'ExternalName' },
      want: ['spec.externalName: Required value'],
    },
    {
      name: 'ExternalName that is not a DNS name',
      spec: { type: 'ExternalName', externalName: 'Not_A_Host' },
      want: [
        "spec.externalName: Invalid value: \"Not_A_Host\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    },
    {
      name: 'ExternalName with a cluster IP',
      spec: { type: 'ExternalName', externalName: 'db.example.com', clusterIP: 'None' },
      want: ['spec.clusterIPs: Forbidden: may not be set for ExternalName services'],
    },
    {
      name: 'ExternalName with a node port',
      spec: { type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 80, nodePort: 30080 }] },
      want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ExternalName'"],
    },
    {
      name: 'invalid selector label',
      spec: { ports: [port80], selector: { app: 'web!' } },
      want: [
        "spec.selector: Invalid value: \"web!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    },
    {
      name: 'unsupported session affinity',
      spec: { ports: [port80], sessionAffinity: 'Cookie' },
      want: ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
    },
    {
      name: 'affinity timeout too long',
      spec: { ports: [port80], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } },
      want: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400'],
    },
    {
      name: 'affinity config with affinity None',
      spec: { ports: [port80], sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } },
      want: ['spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None'],
    },
    {
      name: 'externalTrafficPolicy on a ClusterIP Service',
      spec: { ports: [port80], externalTrafficPolicy: 'Local' },
      want: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
    },
    {
      name: 'unsupported externalTrafficPolicy',
      spec: { type: 'NodePort', ports: [port80], externalTrafficPolicy: 'Nearest' },
      want: ['spec.externalTrafficPolicy: Unsupported value: "Nearest": supported values: "Cluster", "Local"'],
    },
    {
      name: 'unsupported internalTrafficPolicy',
      spec: { ports: [port80], internalTrafficPolicy: 'Node' },
      want: ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'],
    },
    {
      name: 'healthCheckNodePort without LoadBalancer+Local',
      spec: { type: 'NodePort', ports: [port80], externalTrafficPolicy: 'Local', healthCheckNodePort: 30002 },
      want: ["spec.healthCheckNodePort: Invalid value: 30002: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"],
    },
    {
      name: 'loadBalancerSourceRanges on a ClusterIP Service, one bad',
      spec: { ports: [port80], loadBalancerSourceRanges: ['10.0.0.0/8', '10.0.0.0/33'] },
      want: [
        "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
        'spec.LoadBalancerSourceRanges[1]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
    {
      name: 'externalIPs must be usable addresses',
      spec: { ports: [port80], externalIPs: ['1.2.3', '127.0.0.1'] },
      want: [
        'spec.externalIPs[0]: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'spec.externalIPs[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    },
    { name: 'spec of the wrong type', spec: 'x' as unknown as Record<string, unknown>, want: ['spec: Invalid value: "x": must be an object', 'spec.ports: Required value'] },
  ])('$name', ({ spec, want }) => {
    expect(strings(validateService(svc(spec), ctx))).toEqual(want);
  });

  it('Service names must be DNS-1035 labels', () => {
    expect(strings(validateService(svc({ ports: [port80] }, { name: '1web' }), ctx))).toEqual([
      "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });

  it('accepts a dual-stack service range', () => {
    const dual: ValidationContext = { ...ctx, serviceCIDR: '10.96.0.0/12,fd00:10:96::/108' };
    const spec = { ports: [port80], clusterIPs: ['10.96.0.5', 'fd00:10:96::5'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' };
    expect(strings(validateService(svc(spec), dual))).toEqual([]);
  });
});

describe('validateServiceUpdate', () => {
  const old = svc({ ports: [port80], clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] }, { uid: 'u1', resourceVersion: '5' });
  it.each([
    { name: 'unchanged is fine', spec: { ports: [port80], clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] }, want: [] },
    { name: 'changing ports is fine', spec: { ports: [{ port: 81 }], clusterIP: '10.96.0.20' }, want: [] },
    { name: 'type change to NodePort is fine', spec: { type: 'NodePort', ports: [{ ...port80, nodePort: 30100 }], clusterIP: '10.96.0.20' }, want: [] },
    {
      name: 'clusterIP may not change',
      spec: { ports: [port80], clusterIP: '10.96.0.21', clusterIPs: ['10.96.0.21'] },
      want: ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.21"}: may not change once set'],
    },
    {
      name: 'clusterIP may not be unset',
      spec: { ports: [port80] },
      want: ['spec.clusterIPs[0]: Invalid value: []string{}: primary clusterIP can not be unset'],
    },
  ])('$name', ({ spec, want }) => {
    const next = svc(spec, { uid: 'u1', resourceVersion: '5' });
    expect(strings(validateServiceUpdate(next, old, ctx))).toEqual(want);
  });

  it('name and uid are immutable', () => {
    const next = svc({ ports: [port80], clusterIP: '10.96.0.20' }, { uid: 'u2', resourceVersion: '5' });
    expect(strings(validateServiceUpdate(next, old, ctx))).toEqual(['metadata.uid: Invalid value: "u2": field is immutable']);
  });

  it('healthCheckNodePort is fixed while LoadBalancer+Local', () => {
    const lb = (hc: number) =>
      svc({ type: 'LoadBalancer', ports: [{ ...port80, nodePort: 30001 }], clusterIP: '10.96.0.20', externalTrafficPolicy: 'Local', healthCheckNodePort: hc });
    expect(strings(validateServiceUpdate(lb(30003), lb(30002), ctx))).toEqual(['spec.healthCheckNodePort: Forbidden: field is immutable']);
  });
});
