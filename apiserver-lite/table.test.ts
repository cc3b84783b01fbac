import { describe, it, expect } from 'vitest';
import { humanDuration, podStatusText, renderTable } from './table.js';
import type { KubeObject } from '../kube/api/meta.js';

const now = new Date('2026-01-01T12:00:00Z');

describe('humanDuration', () => {
  it.each([
    [5_000, '5s'],
    [119_000, '119s'],
    [200_000, '3m20s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [3 * 86400_000 + 2 * 3600_000, '3d2h'],
    [400 * 86400_000, '400d'],
  ])('%d ms → %s', (ms, want) => expect(humanDuration(ms)).toBe(want));
});

describe('renderTable', () => {
  it('prints Services the way kubectl users know', () => {
    const svc: KubeObject = {
      metadata: { name: 'web', creationTimestamp: '2026-01-01T11:55:00Z' },
      spec: { type: 'NodePort', clusterIP: '10.96.3.4', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] },
    };
    const t = renderTable('Service', [svc], { now });
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(t.columnDefinitions.find((c) => c.name === 'Selector')?.priority).toBe(1);
    expect(t.rows[0]?.cells).toEqual(['web', 'NodePort', '10.96.3.4', '<none>', '80:30080/TCP,53/UDP', '5m', 'app=web']);
    expect(t.rows[0]?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'web' } });
  });

  it('a LoadBalancer without ingress is pending', () => {
    const t = renderTable('Service', [{ metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [] } }], { now });
    expect(t.rows[0]?.cells[3]).toBe('<pending>');
  });

  it('prints pods with readiness, restarts and wide columns', () => {
    const pod: KubeObject = {
      metadata: { name: 'p', creationTimestamp: '2026-01-01T11:59:00Z' },
      spec: { nodeName: 'node-1', containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        podIP: '10.244.1.5',
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 0, image: '', imageID: '', state: { running: {} } },
          { name: 'b', ready: false, restartCount: 2, image: '', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T11:59:30Z' } } },
        ],
      },
    };
    const t = renderTable('Pod', [pod], { now });
    expect(t.rows[0]?.cells.slice(0, 7)).toEqual(['p', '1/2', 'CrashLoopBackOff', '2 (30s ago)', '60s', '10.244.1.5', 'node-1']);
  });

  it('a pod being deleted is Terminating', () => {
    expect(podStatusText({ metadata: { name: 'p', deletionTimestamp: 'x' }, status: { phase: 'Running' } })).toBe('Terminating');
  });

  it('unknown kinds get name and age', () => {
    expect(renderTable('Foo', [{ metadata: { name: 'x' } }], { now }).columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age']);
  });
});
