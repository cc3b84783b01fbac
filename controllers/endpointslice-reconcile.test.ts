import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Pod, Service } from '../kube/api/core.js';
import {
  CONTROLLER_NAME,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  TRIGGER_TIME_ANNOTATION,
  endpointForPod,
  reconcileEndpointSlices,
  type SliceChanges,
} from './endpointslice-reconcile.js';

function svc(over: Partial<NonNullable<Service['spec']>> = {}, name = 'web'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns', uid: 'svc-uid', labels: { team: 'a' } },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...over },
  };
}

interface PodOpts {
  ip?: string;
  ready?: boolean;
  deleting?: boolean;
  phase?: 'Running' | 'Succeeded' | 'Failed';
  node?: string;
  ports?: { name: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' } },
    spec: { nodeName: o.node ?? 'node-1', containers: [{ name: 'c', ports: o.ports ?? [] }] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
  if (o.ip !== '') p.status!.podIP = o.ip ?? `10.244.1.${Number(name.replace(/\D/g, '')) || 1}`;
  if (o.deleting) p.metadata.deletionTimestamp = '2025-01-01T00:00:30Z';
  if (o.hostname) p.spec!.hostname = o.hostname;
  if (o.subdomain) p.spec!.subdomain = o.subdomain;
  return p;
}

/** Pods p1..pN with IPs 10.244.x.y (unique for N up to 60k). */
function pods(n: number, o: PodOpts = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => pod(`p${i + 1}`, { ...o, ip: `10.244.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}` }));
}

let nameSeq = 0;
/** Apply changes the way the API server would: creates get a name, everything is stored. */
function apply(existing: EndpointSlice[], c: SliceChanges): EndpointSlice[] {
  const gone = new Set(c.delete.map((s) => s.metadata.name));
  const updated = new Map(c.update.map((s) => [s.metadata.name, s]));
  const out = existing.filter((s) => !gone.has(s.metadata.name)).map((s) => updated.get(s.metadata.name) ?? s);
  for (const s of c.create) out.push({ ...s, metadata: { ...s.metadata, name: `${s.metadata.generateName}${++nameSeq}`, resourceVersion: '1' } });
  return JSON.parse(JSON.stringify(out)) as EndpointSlice[];
}

const addrs = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses)).sort();
const counts = (c: SliceChanges) => ({ create: c.create.length, update: c.update.length, delete: c.delete.length });

describe('endpointForPod', () => {
  it.each([
    { name: 'ready pod', o: {}, svc: {}, want: { ready: true, serving: true, terminating: false } },
    { name: 'not ready pod', o: { ready: false }, svc: {}, want: { ready: false, serving: false, terminating: false } },
    { name: 'terminating ready pod serves but is not ready', o: { deleting: true }, svc: {}, want: { ready: false, serving: true, terminating: true } },
    { name: 'terminating not-ready pod', o: { deleting: true, ready: false }, svc: {}, want: { ready: false, serving: false, terminating: true } },
    { name: 'publishNotReadyAddresses makes a not-ready pod ready', o: { ready: false }, svc: { publishNotReadyAddresses: true }, want: { ready: true, serving: false, terminating: false } },
    { name: 'publishNotReadyAddresses keeps a terminating pod ready', o: { deleting: true }, svc: { publishNotReadyAddresses: true }, want: { ready: true, serving: true, terminating: true } },
  ])('$name', ({ o, svc: s, want }) => {
    expect(endpointForPod(svc(s), pod('p1', o), 'IPv4')?.conditions).toEqual(want);
  });

  it('carries nodeName and targetRef', () => {
    const ep = endpointForPod(svc(), pod('p7', { node: 'node-9' }), 'IPv4')!;
    expect(ep).toMatchObject({ addresses: ['10.244.1.7'], nodeName: 'node-9', targetRef: { kind: 'Pod', namespace: 'ns', name: 'p7', uid: 'uid-p7' } });
  });

  it.each([
    { name: 'subdomain equal to the service name gives the hostname', hostname: 'web-0', subdomain: 'web', want: 'web-0' },
    { name: 'another subdomain gives none', hostname: 'web-0', subdomain: 'other', want: undefined },
    { name: 'no subdomain gives none', hostname: 'web-0', subdomain: undefined, want: undefined },
  ])('$name', ({ hostname, subdomain, want }) => {
    expect(endpointForPod(svc(), pod('p1', { hostname, ...(subdomain ? { subdomain } : {}) }), 'IPv4')?.hostname).toBe(want);
  });

  it('a pod without an address of the family gives nothing', () => {
    expect(endpointForPod(svc(), pod('p1'), 'IPv6')).toBeUndefined();
  });
});

describe('reconcileEndpointSlices: a new Service', () => {
  it('builds one slice with labels, owner, generateName, ports and the trigger time', () => {
    const c = reconcileEndpointSlices(svc(), pods(3), [], { triggerTime: '2025-01-01T00:00:00Z' });
    expect(counts(c)).toEqual({ create: 1, update: 0, delete: 0 });
    const s = c.create[0]!;
    expect(s.metadata).toMatchObject({
      generateName: 'web-',
      namespace: 'ns',
      labels: { team: 'a', [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: CONTROLLER_NAME },
      annotations: { [TRIGGER_TIME_ANNOTATION]: '2025-01-01T00:00:00Z' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s.endpoints).toHaveLength(3);
  });

  it.each([
    { name: 'pods without an IP are skipped', p: [pod('p1'), pod('p2', { ip: '' })], want: ['10.244.1.1'] },
    { name: 'succeeded pods are skipped', p: [pod('p1'), pod('p2', { phase: 'Succeeded' })], want: ['10.244.1.1'] },
    { name: 'failed pods are skipped', p: [pod('p1'), pod('p2', { phase: 'Failed' })], want: ['10.244.1.1'] },
    { name: 'terminating pods stay listed', p: [pod('p1'), pod('p2', { deleting: true })], want: ['10.244.1.1', '10.244.1.2'] },
  ])('$name', ({ p, want }) => {
    expect(addrs(reconcileEndpointSlices(svc(), p, []).create)).toEqual(want);
  });

  it('headless services are labelled as such', () => {
    const c = reconcileEndpointSlices(svc({ clusterIP: 'None' }), pods(1), []);
    expect(c.create[0]!.metadata.labels).toHaveProperty('service.kubernetes.io/headless', '');
  });

  it('no pods: one empty placeholder slice', () => {
    const c = reconcileEndpointSlices(svc(), [], []);
    expect(counts(c)).toEqual({ create: 1, update: 0, delete: 0 });
    expect(c.create[0]).toMatchObject({ endpoints: [], ports: [] });
  });

  it('IPv6 and dual-stack services get one slice per family', () => {
    const p = pod('p1');
    p.status!.podIPs = [{ ip: '10.244.1.1' }, { ip: 'fd00::1' }];
    const c = reconcileEndpointSlices(svc({ ipFamilies: ['IPv4', 'IPv6'] }), [p], []);
    expect(c.create.map((s) => [s.addressType, s.endpoints[0]?.addresses])).toEqual([
      ['IPv4', ['10.244.1.1']],
      ['IPv6', ['fd00::1']],
    ]);
  });
});

describe('reconcileEndpointSlices: ports', () => {
  const named = svc({
    ports: [
      { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' },
      { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' },
    ],
  });

  it('two ports, one slice with both', () => {
    const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }] });
    const c = reconcileEndpointSlices(s, pods(2), []);
    expect(c.create).toHaveLength(1);
    expect(c.create[0]!.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP' },
    ]);
  });

  it('named targetPorts resolve per pod; different numbers make different slices', () => {
    const p = [
      pod('p1', { ports: [{ name: 'web', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
      pod('p2', { ports: [{ name: 'web', containerPort: 9090 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
      pod('p3', { ports: [{ name: 'web', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
    ];
    const c = reconcileEndpointSlices(named, p, []);
    const byPorts = c.create.map((s) => [s.ports!.map((x) => `${x.name}:${x.port}`).join(','), s.endpoints.map((e) => e.targetRef?.name)]);
    expect(byPorts).toEqual([
      ['http:8080,dns:5353', ['p1', 'p3']],
      ['http:9090,dns:5353', ['p2']],
    ]);
  });

  it('a pod lacking a named port is left out of that port set', () => {
    const p = [
      pod('p1', { ports: [{ name: 'web', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
      pod('p2', { ports: [{ name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
    ];
    const c = reconcileEndpointSlices(named, p, []);
    const withHttp = c.create.find((s) => s.ports!.some((x) => x.name === 'http'))!;
    expect(withHttp.endpoints.map((e) => e.targetRef?.name)).toEqual(['p1']);
    const dnsOnly = c.create.find((s) => !s.ports!.some((x) => x.name === 'http'))!;
    expect(dnsOnly.endpoints.map((e) => e.targetRef?.name)).toEqual(['p2']);
  });

  it('a named port must match the protocol too', () => {
    const p = [pod('p1', { ports: [{ name: 'dns', containerPort: 5353, protocol: 'TCP' }, { name: 'web', containerPort: 8080 }] })];
    const c = reconcileEndpointSlices(named, p, []);
    expect(c.create[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });
});

describe('reconcileEndpointSlices: size and churn', () => {
  it('more than 100 endpoints: slices of at most 100', () => {
    const c = reconcileEndpointSlices(svc(), pods(250), []);
    expect(c.create.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
    expect(addrs(c.create)).toHaveLength(250);
  });

  it('a steady state writes nothing', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(250), []));
    expect(counts(reconcileEndpointSlices(svc(), pods(250), state, { triggerTime: '2030-01-01T00:00:00Z' }))).toEqual({ create: 0, update: 0, delete: 0 });
  });

  it('one pod turning not-ready rewrites only its slice', () => {
    const all = pods(250);
    const state = apply([], reconcileEndpointSlices(svc(), all, []));
    const changed = all.map((p) => (p.metadata.name === 'p180' ? pod('p180', { ready: false, ip: p.status!.podIP! }) : p));
    const c = reconcileEndpointSlices(svc(), changed, state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 0 });
    const ep = c.update[0]!.endpoints.find((e) => e.targetRef?.name === 'p180');
    expect(ep?.conditions?.ready).toBe(false);
    expect(c.update[0]!.metadata.name).toBe(state.find((s) => s.endpoints.some((e) => e.targetRef?.name === 'p180'))!.metadata.name);
  });

  it('a new pod goes into a slice with room instead of a new slice', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(150), []));
    const c = reconcileEndpointSlices(svc(), pods(151), state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(c.update[0]!.endpoints).toHaveLength(51);
  });

  it('a removed pod and a new pod: one slice rewritten, filled first', () => {
    const all = pods(150);
    const state = apply([], reconcileEndpointSlices(svc(), all, []));
    const next = [...all.filter((p) => p.metadata.name !== 'p3'), pod('p999', { ip: '10.244.9.9' })];
    const c = reconcileEndpointSlices(svc(), next, state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(c.update[0]!.endpoints.map((e) => e.targetRef?.name)).toContain('p999');
    expect(c.update[0]!.endpoints.map((e) => e.targetRef?.name)).not.toContain('p3');
  });

  it('all pods gone: slices deleted but one kept as the empty placeholder', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(150), []));
    const c = reconcileEndpointSlices(svc(), [], state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 1 });
    expect(c.update[0]).toMatchObject({ endpoints: [], ports: [] });
  });

  it('the placeholder is reused when pods appear', () => {
    const state = apply([], reconcileEndpointSlices(svc(), [], []));
    const c = reconcileEndpointSlices(svc(), pods(2), state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(c.update[0]!.metadata.name).toBe(state[0]!.metadata.name);
    expect(c.update[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('a port change moves endpoints by rewriting the old slice, not create+delete', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(3), []));
    const c = reconcileEndpointSlices(svc({ ports: [{ name: 'http', port: 80, targetPort: 9000 }] }), pods(3), state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(c.update[0]!.ports).toEqual([{ name: 'http', port: 9000, protocol: 'TCP' }]);
  });

  it('changed Service labels rewrite the slice', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(3), []));
    const s = svc();
    s.metadata.labels = { team: 'b' };
    const c = reconcileEndpointSlices(s, pods(3), state);
    expect(counts(c)).toEqual({ create: 0, update: 1, delete: 0 });
    expect(c.update[0]!.metadata.labels).toMatchObject({ team: 'b' });
  });

  it('slices owned by an earlier Service of the same name are replaced', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(3), []));
    const s = svc();
    s.metadata.uid = 'new-uid';
    const c = reconcileEndpointSlices(s, pods(3), state);
    expect(counts(c)).toEqual({ create: 1, update: 0, delete: 1 });
    expect(c.create[0]!.metadata.ownerReferences?.[0]?.uid).toBe('new-uid');
  });

  it('slices not managed by this controller are never touched', () => {
    const hand: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-manual', namespace: 'ns', labels: { [SERVICE_NAME_LABEL]: 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.1'] }],
    };
    const c = reconcileEndpointSlices(svc(), pods(1), [hand]);
    expect(counts(c)).toEqual({ create: 1, update: 0, delete: 0 });
  });

  it('an endpoint listed twice (two writers raced) is kept once', () => {
    const state = apply([], reconcileEndpointSlices(svc(), pods(2), []));
    const dup = JSON.parse(JSON.stringify(state[0])) as EndpointSlice;
    dup.metadata.name = 'web-dup';
    const c = reconcileEndpointSlices(svc(), pods(2), [...state, dup]);
    expect(addrs(apply([...state, dup], c))).toEqual(['10.244.0.2', '10.244.0.3']);
  });
});
