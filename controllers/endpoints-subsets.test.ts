import { describe, expect, it } from 'vitest';
import type { Endpoints, Pod, Service } from '../kube/api/core.js';
import { ENDPOINTS_MANAGED_BY_LABEL, OVER_CAPACITY_ANNOTATION, desiredSubsets, reconcileEndpoints } from './endpoints-subsets.js';
import { lastChangeTriggerTime, resolveTargetPort } from './endpoints-pod.js';

function svc(over: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', uid: 'u', labels: { app: 'web' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...over },
  };
}

function pod(n: number, o: { ready?: boolean; deleting?: boolean; port?: number | null; ip?: string } = {}): Pod {
  return {
    metadata: { name: `p${n}`, namespace: 'ns', uid: `uid${n}`, ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: o.port === null ? [] : [{ name: 'http', containerPort: o.port ?? 8080 }] }] },
    status: { phase: 'Running', podIP: o.ip ?? `10.0.0.${n}`, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const ips = (a?: { ip: string }[]) => (a ?? []).map((x) => x.ip);

describe('desiredSubsets', () => {
  it('pods with the same ports share one subset; ready and not-ready split', () => {
    const { subsets } = desiredSubsets(svc(), [pod(3), pod(1), pod(2, { ready: false })]);
    expect(subsets).toHaveLength(1);
    expect(ips(subsets[0]!.addresses)).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(ips(subsets[0]!.notReadyAddresses)).toEqual(['10.0.0.2']);
    expect(subsets[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(subsets[0]!.addresses![0]).toMatchObject({ nodeName: 'n1', targetRef: { kind: 'Pod', name: 'p1', namespace: 'ns', uid: 'uid1' } });
  });

  it('pods resolving a named port differently form different subsets', () => {
    const { subsets } = desiredSubsets(svc(), [pod(1), pod(2, { port: 9090 })]);
    expect(subsets.map((s) => [ips(s.addresses), s.ports?.[0]?.port])).toEqual([
      [['10.0.0.1'], 8080],
      [['10.0.0.2'], 9090],
    ]);
  });

  it.each([
    { name: 'a pod lacking the named port is left out', p: [pod(1), pod(2, { port: null })], want: ['10.0.0.1'] },
    { name: 'terminating pods are left out', p: [pod(1), pod(2, { deleting: true })], want: ['10.0.0.1'] },
  ])('$name', ({ p, want }) => {
    const { subsets } = desiredSubsets(svc(), p);
    expect(subsets.flatMap((s) => [...ips(s.addresses), ...ips(s.notReadyAddresses)])).toEqual(want);
  });

  it('publishNotReadyAddresses lists not-ready and terminating pods as ready', () => {
    const { subsets } = desiredSubsets(svc({ publishNotReadyAddresses: true }), [pod(1, { ready: false }), pod(2, { deleting: true })]);
    expect(ips(subsets[0]!.addresses)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(subsets[0]!.notReadyAddresses).toBeUndefined();
  });

  it('a headless Service without ports lists bare addresses', () => {
    const { subsets } = desiredSubsets(svc({ clusterIP: 'None', ports: [] }), [pod(1)]);
    expect(subsets).toEqual([{ addresses: [expect.objectContaining({ ip: '10.0.0.1' })] }]);
  });

  it('beyond 1000 addresses the object is truncated, ready first', () => {
    const many = Array.from({ length: 1100 }, (_, i) => pod(i, { ip: `10.1.${Math.floor(i / 250)}.${i % 250}`, ready: i >= 50 }));
    const { subsets, truncated } = desiredSubsets(svc(), many);
    expect(truncated).toBe(true);
    expect(subsets[0]!.addresses).toHaveLength(1000);
    expect(subsets[0]!.notReadyAddresses).toBeUndefined();
  });
});

describe('reconcileEndpoints', () => {
  it('creates with labels and the trigger time', () => {
    const r = reconcileEndpoints(svc(), [pod(1)], undefined, { triggerTime: '2025-01-01T00:00:00Z' });
    expect(r.action).toBe('create');
    if (r.action === 'none') return;
    expect(r.object.metadata).toMatchObject({
      name: 'web',
      namespace: 'ns',
      labels: { app: 'web', [ENDPOINTS_MANAGED_BY_LABEL]: 'endpoint-controller' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2025-01-01T00:00:00Z' },
    });
  });

  it('an equal object read back from the API (other order) needs no write', () => {
    const first = reconcileEndpoints(svc(), [pod(1), pod(2)], undefined);
    if (first.action === 'none') throw new Error('expected a create');
    const readBack = JSON.parse(JSON.stringify(first.object)) as Endpoints;
    readBack.metadata.resourceVersion = '7';
    readBack.subsets![0]!.addresses!.reverse();
    expect(reconcileEndpoints(svc(), [pod(2), pod(1)], readBack, { triggerTime: '2030-01-01T00:00:00Z' })).toEqual({ action: 'none' });
  });

  it('a readiness change updates, keeping the resourceVersion', () => {
    const first = reconcileEndpoints(svc(), [pod(1)], undefined);
    if (first.action === 'none') throw new Error('expected a create');
    const cur = { ...first.object, metadata: { ...first.object.metadata, resourceVersion: '7' } };
    const r = reconcileEndpoints(svc(), [pod(1, { ready: false })], cur);
    expect(r.action).toBe('update');
    if (r.action === 'none') return;
    expect(r.object.metadata.resourceVersion).toBe('7');
    expect(ips(r.object.subsets![0]!.notReadyAddresses)).toEqual(['10.0.0.1']);
  });

  it('the over-capacity annotation comes and goes', () => {
    const many = Array.from({ length: 1001 }, (_, i) => pod(i, { ip: `10.1.${Math.floor(i / 250)}.${i % 250}` }));
    const r = reconcileEndpoints(svc(), many, undefined);
    if (r.action === 'none') throw new Error('expected a create');
    expect(r.object.metadata.annotations?.[OVER_CAPACITY_ANNOTATION]).toBe('truncated');
    const r2 = reconcileEndpoints(svc(), many.slice(0, 10), r.object);
    if (r2.action === 'none') throw new Error('expected an update');
    expect(r2.object.metadata.annotations?.[OVER_CAPACITY_ANNOTATION]).toBeUndefined();
  });
});

describe('resolveTargetPort', () => {
  const p = pod(1);
  it.each([
    { name: 'unset targetPort is the port', sp: { port: 80 }, want: 80 },
    { name: 'numeric targetPort', sp: { port: 80, targetPort: 9376 }, want: 9376 },
    { name: 'numeric string targetPort', sp: { port: 80, targetPort: '9376' }, want: 9376 },
    { name: 'named targetPort', sp: { port: 80, targetPort: 'http' }, want: 8080 },
    { name: 'named targetPort, other protocol', sp: { port: 80, targetPort: 'http', protocol: 'UDP' as const }, want: undefined },
    { name: 'unknown name', sp: { port: 80, targetPort: 'grpc' }, want: undefined },
  ])('$name', ({ sp, want }) => {
    expect(resolveTargetPort(p, sp)).toBe(want);
  });
});

describe('lastChangeTriggerTime', () => {
  it('is the latest Ready transition, creation or deletion start', () => {
    const s = svc();
    s.metadata.creationTimestamp = '2025-01-01T00:00:00Z';
    const a = pod(1);
    a.metadata.creationTimestamp = '2025-01-01T00:01:00Z';
    const b = pod(2);
    b.status!.conditions![0]!.lastTransitionTime = '2025-01-01T00:05:00Z';
    const c = pod(3);
    c.metadata.deletionTimestamp = '2025-01-01T00:10:30Z';
    c.metadata.deletionGracePeriodSeconds = 30;
    expect(lastChangeTriggerTime(s, [a, b])).toBe('2025-01-01T00:05:00Z');
    expect(lastChangeTriggerTime(s, [a, b, c])).toBe('2025-01-01T00:10:00Z');
    expect(lastChangeTriggerTime(s, [])).toBe('2025-01-01T00:00:00Z');
  });
});
