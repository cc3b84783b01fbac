import { describe, expect, it } from 'vitest';
import type { ConfigMap, Container, Pod, Service } from '../kube/api/core.js';
import { buildContainerEnv, EnvError, expandVars, serviceEnvVars } from './container-env.js';

const svc = (ns: string, name: string, clusterIP: string, ports: { port: number; name?: string; protocol?: 'TCP' | 'UDP' }[]): Service => ({
  metadata: { namespace: ns, name },
  spec: { clusterIP, ports },
});
const kubernetes = svc('default', 'kubernetes', '10.96.0.1', [{ port: 443, name: 'https' }]);
const pod: Pod = { metadata: { name: 'client', namespace: 'shop', uid: 'u1', labels: { app: 'c' } }, spec: { containers: [] } };
const inputs = {
  services: [kubernetes, svc('shop', 'web-front', '10.96.3.4', [{ port: 80, name: 'http' }, { port: 53, name: 'dns', protocol: 'UDP' }]), svc('other', 'db', '10.96.9.9', [{ port: 5432 }])],
  configMaps: new Map<string, ConfigMap>([['cfg', { metadata: { name: 'cfg' }, data: { mode: 'fast' } }]]),
  podIP: '10.244.1.5',
  podIPs: ['10.244.1.5'],
  hostIP: '172.18.0.11',
  nodeName: 'node-1',
  hostname: 'client',
};

describe('serviceEnvVars', () => {
  it('gives host, port, named ports and the Docker-links variables', () => {
    expect(Object.fromEntries(serviceEnvVars(inputs.services[1]!))).toEqual({
      WEB_FRONT_SERVICE_HOST: '10.96.3.4',
      WEB_FRONT_SERVICE_PORT: '80',
      WEB_FRONT_SERVICE_PORT_HTTP: '80',
      WEB_FRONT_SERVICE_PORT_DNS: '53',
      WEB_FRONT_PORT: 'tcp://10.96.3.4:80',
      WEB_FRONT_PORT_80_TCP: 'tcp://10.96.3.4:80',
      WEB_FRONT_PORT_80_TCP_PROTO: 'tcp',
      WEB_FRONT_PORT_80_TCP_PORT: '80',
      WEB_FRONT_PORT_80_TCP_ADDR: '10.96.3.4',
      WEB_FRONT_PORT_53_UDP: 'udp://10.96.3.4:53',
      WEB_FRONT_PORT_53_UDP_PROTO: 'udp',
      WEB_FRONT_PORT_53_UDP_PORT: '53',
      WEB_FRONT_PORT_53_UDP_ADDR: '10.96.3.4',
    });
  });

  it.each([
    { name: 'headless', s: svc('a', 'h', 'None', [{ port: 80 }]) },
    { name: 'without a ClusterIP', s: svc('a', 'h', '', [{ port: 80 }]) },
  ])('a $name Service gives none', ({ s }) => {
    expect(serviceEnvVars(s)).toEqual([]);
  });
});

describe('buildContainerEnv', () => {
  const c = (env: Container['env']): Container => ({ name: 'c', env });

  it('includes the kubernetes Service and the Services of the pod namespace only', () => {
    const env = buildContainerEnv(pod, c([]), inputs);
    expect(env['KUBERNETES_SERVICE_HOST']).toBe('10.96.0.1');
    expect(env['KUBERNETES_SERVICE_PORT']).toBe('443');
    expect(env['WEB_FRONT_SERVICE_HOST']).toBe('10.96.3.4');
    expect(env['DB_SERVICE_HOST']).toBeUndefined();
  });

  it('leaves service links out when enableServiceLinks is false, but keeps kubernetes', () => {
    const env = buildContainerEnv({ ...pod, spec: { containers: [], enableServiceLinks: false } as Pod['spec'] }, c([]), inputs);
    expect(env['WEB_FRONT_SERVICE_HOST']).toBeUndefined();
    expect(env['KUBERNETES_SERVICE_HOST']).toBe('10.96.0.1');
  });

  it.each([
    { path: 'metadata.name', want: 'client' },
    { path: 'metadata.namespace', want: 'shop' },
    { path: 'status.podIP', want: '10.244.1.5' },
    { path: 'status.hostIP', want: '172.18.0.11' },
    { path: 'spec.nodeName', want: 'node-1' },
    { path: "metadata.labels['app']", want: 'c' },
  ])('resolves fieldRef $path', ({ path, want }) => {
    expect(buildContainerEnv(pod, c([{ name: 'X', valueFrom: { fieldRef: { fieldPath: path } } }]), inputs)['X']).toBe(want);
  });

  it('resolves configMapKeyRef, skips an optional missing key and fails on a required one', () => {
    const env = buildContainerEnv(pod, c([
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } },
    ]), inputs);
    expect(env['MODE']).toBe('fast');
    expect('OPT' in env).toBe(false);
    expect(() => buildContainerEnv(pod, c([{ name: 'M', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k' } } }]), inputs)).toThrow(EnvError);
  });

  it('spec env overrides service variables and can refer to earlier variables', () => {
    const env = buildContainerEnv(pod, c([
      { name: 'WEB_FRONT_SERVICE_HOST', value: 'override' },
      { name: 'URL', value: 'http://$(WEB_FRONT_SERVICE_HOST):$(WEB_FRONT_SERVICE_PORT)/$(MISSING)' },
    ]), inputs);
    expect(env['URL']).toBe('http://override:80/$(MISSING)');
  });
});

describe('expandVars', () => {
  it.each([
    { s: '$(A)-$(B)', want: '1-$(B)' },
    { s: '$$(A)', want: '$(A)' },
    { s: 'cost $5', want: 'cost $5' },
    { s: '$(A', want: '$(A' },
  ])('$s → $want', ({ s, want }) => {
    expect(expandVars(s, { A: '1' })).toBe(want);
  });
});
