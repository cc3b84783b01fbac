import { describe, expect, it } from 'vitest';
import type { Node, Pod, Service } from '../kube/api/core.js';
import { renderStatus, renderTable, type StatusInput } from './lab-status-render.js';

const base: StatusInput = {
  lab: 'netkube',
  apiServerURL: 'https://172.18.0.1:6443',
  kubeconfig: '/h/netkube/kubeconfig',
  components: [
    { name: 'apiserver', pid: 10, running: true },
    { name: 'node-1', pid: 11, running: false },
  ],
  missing: [],
  netnsOf: new Map([['node-1', 'nk-netkube-node-1']]),
};

const node: Node = {
  metadata: { name: 'node-1' },
  spec: { podCIDR: '10.244.0.0/24' },
  status: { addresses: [{ type: 'InternalIP', address: '172.18.0.11' }], conditions: [{ type: 'Ready', status: 'True' }] },
};
const pod = (name: string, status: Pod['status'], extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace: 'default', ...extra },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'echo' }] },
  status,
});
const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30080 }] } };

describe('renderStatus', () => {
  it('shows components, nodes, pods and services', () => {
    const text = renderStatus({
      ...base,
      nodes: [node],
      pods: [
        pod('web', { phase: 'Running', podIP: '10.244.0.5', containerStatuses: [{ name: 'c', ready: true, restartCount: 2, image: 'echo', imageID: '', state: { running: {} } }] }),
        pod('crash', { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 5, image: 'echo', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }),
        pod('bye', { phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      ],
      services: [svc],
    });
    expect(text).toMatch(/node-1\s+NOT RUNNING\s+11/);
    expect(text).toMatch(/node-1\s+Ready\s+10\.244\.0\.0\/24\s+172\.18\.0\.11\s+nk-netkube-node-1/);
    expect(text).toMatch(/default\s+web\s+1\/1\s+Running\s+2\s+10\.244\.0\.5\s+node-1/);
    expect(text).toMatch(/default\s+crash\s+0\/1\s+CrashLoopBackOff\s+5\s+<none>/);
    expect(text).toMatch(/default\s+bye\s+0\/1\s+Terminating/);
    expect(text).toMatch(/default\s+web\s+NodePort\s+10\.96\.0\.20\s+80:30080\/TCP/);
  });

  it('says why the API server could not be asked', () => {
    const text = renderStatus({ ...base, missing: ['node agent'], apiError: 'connect ECONNREFUSED 172.18.0.1:6443' });
    expect(text).toContain('API server: connect ECONNREFUSED');
    expect(text).toContain('not in this build yet: node agent');
    expect(text).not.toContain('NODES');
  });
});

it('pads columns to the widest cell', () => {
  expect(renderTable(['A', 'B'], [['long', 'x'], ['s', 'y']])).toBe('A      B\nlong   x\ns      y');
});
