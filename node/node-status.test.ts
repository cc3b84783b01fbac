import { describe, expect, it } from 'vitest';
import { computeNodeStatus, microTime, newNode, nodeLease } from './node-status.js';

const machine = { cpus: 2, memoryBytes: 4 * 1024 * 1024 * 1024, kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', architecture: 'amd64' };
const t0 = Date.parse('2026-01-01T00:00:00Z');

describe('node status', () => {
  it('registers capacity, addresses, the kubelet port, versions and Ready=KubeletReady', () => {
    const n = newNode('node-1', '172.18.0.11', machine, t0);
    expect(n.status).toMatchObject({
      capacity: { cpu: '2', memory: '4194304Ki', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '172.18.0.11' }, { type: 'Hostname', address: 'node-1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kubeletVersion: 'v1.32.0-netkube', containerRuntimeVersion: 'netkube://0.1', kernelVersion: '6.1.0' },
    });
    expect(n.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(n.metadata.labels!['kubernetes.io/hostname']).toBe('node-1');
  });

  it('moves the heartbeat but keeps the transition time while Ready holds', () => {
    const first = computeNodeStatus('n', '1.1.1.1', machine, undefined, t0);
    const later = computeNodeStatus('n', '1.1.1.1', machine, first.conditions, t0 + 40_000);
    const ready = later.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.lastHeartbeatTime).toBe('2026-01-01T00:00:40Z');
    expect(ready.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('writes Lease renewTime as MicroTime and owns the Lease by the Node', () => {
    expect(microTime(t0 + 123)).toBe('2026-01-01T00:00:00.123000Z');
    expect(nodeLease('n', 'uid-1', t0).metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'uid-1' }]);
  });
});
