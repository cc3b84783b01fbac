import { describe, it, expect } from 'vitest';
import { validatePod, validatePodUpdate } from './pod.js';

function pod(spec: unknown, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', uid: 'u', ...meta }, spec };
}
const ctr = { name: 'app', image: 'nginx:1.27' };
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe('validatePod', () => {
  it.each([
    { name: 'a minimal pod is valid', spec: { containers: [ctr] }, want: [] },
    {
      name: 'full shapes are valid',
      spec: {
        containers: [
          {
            ...ctr,
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 8080 }, successThreshold: 1 },
          },
        ],
        restartPolicy: 'Always',
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['10.96.0.10'], searches: ['default.svc.cluster.local'] },
        hostname: 'web-1',
        subdomain: 'web',
        nodeName: 'node-1',
      },
      want: [],
    },
    { name: 'containers required', spec: {}, want: ['spec.containers: Required value'] },
    { name: 'containers of the wrong type', spec: { containers: 'x' }, want: ['spec.containers: Invalid value: "x": must be an array'] },
    { name: 'container image required', spec: { containers: [{ name: 'app' }] }, want: ['spec.containers[0].image: Required value'] },
    {
      name: 'duplicate container names',
      spec: { containers: [ctr, ctr] },
      want: ['spec.containers[1].name: Duplicate value: "app"'],
    },
    {
      name: 'container port out of range and bad name',
      spec: { containers: [{ ...ctr, ports: [{ name: 'HTTP', containerPort: 70000 }] }] },
      want: [
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      ],
    },
    {
      name: 'probe without a handler',
      spec: { containers: [{ ...ctr, livenessProbe: { periodSeconds: 5 } }] },
      want: ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    },
    {
      name: 'probe with two handlers',
      spec: { containers: [{ ...ctr, readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } }] },
      want: ['spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
    },
    {
      name: 'liveness successThreshold must be 1',
      spec: { containers: [{ ...ctr, livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 3 } }] },
      want: ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 3: must be 1'],
    },
    {
      name: 'unsupported restartPolicy',
      spec: { containers: [ctr], restartPolicy: 'Sometimes' },
      want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    },
    {
      name: 'unsupported dnsPolicy',
      spec: { containers: [ctr], dnsPolicy: 'Cluster' },
      want: ['spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
    },
    {
      name: 'dnsPolicy None needs dnsConfig',
      spec: { containers: [ctr], dnsPolicy: 'None' },
      want: ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
    },
    {
      name: 'hostname must be a DNS label',
      spec: { containers: [ctr], hostname: 'web.1' },
      want: ['spec.hostname: Invalid value: "web.1": must not contain dots'],
    },
    {
      name: 'activeDeadlineSeconds must be positive',
      spec: { containers: [ctr], activeDeadlineSeconds: 0 },
      want: ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
    },
  ])('$name', ({ spec, want }) => {
    expect(strings(validatePod(pod(spec)))).toEqual(want);
  });
});

describe('validatePodUpdate', () => {
  const old = pod({ containers: [ctr], nodeName: 'node-1', activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }] });
  it.each([
    { name: 'changing the image is allowed', spec: { containers: [{ ...ctr, image: 'nginx:1.28' }], nodeName: 'node-1', activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }] }, want: [] },
    {
      name: 'lowering activeDeadlineSeconds and adding a toleration is allowed',
      spec: { containers: [ctr], nodeName: 'node-1', activeDeadlineSeconds: 50, tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] },
      want: [],
    },
    {
      name: 'raising activeDeadlineSeconds is not',
      spec: { containers: [ctr], nodeName: 'node-1', activeDeadlineSeconds: 200, tolerations: [{ key: 'a', operator: 'Exists' }] },
      want: ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value'],
    },
    {
      name: 'adding a container is not',
      spec: { containers: [ctr, { name: 'b', image: 'x' }], nodeName: 'node-1', activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }] },
      want: ['spec.containers: Forbidden: pod updates may not add or remove containers'],
    },
  ])('$name', ({ spec, want }) => {
    expect(strings(validatePodUpdate(pod(spec), old))).toEqual(want);
  });

  it('other spec changes are forbidden with the Kubernetes wording', () => {
    const errs = strings(validatePodUpdate(pod({ containers: [ctr], nodeName: 'node-2', activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }] }), old));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,/);
    expect(errs[0]).toContain('spec.nodeName');
  });
});
