// The API source drives a real ZoneView through real informers whose list
// and watch calls are fakes settled by the test: no network, no timers.
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Namespace, Pod, Service } from '../kube/api/core.js';
import type { WatchEvent } from '../kube/api/meta.js';
import type { ListWatchSource } from '../kube/informer.js';
import { defaultDnsConfig, Rcode, RRType, answer, type Answer } from './answer.js';
import { startApiSource, type ZoneSources } from './api-source.js';
import { ZoneView } from './zone.js';

class FakeSource<T> implements ListWatchSource<T> {
  listCalls = 0;
  private lists: ((v: { items: T[]; resourceVersion: string }) => void)[] = [];
  emit: ((e: WatchEvent<T>) => void) | undefined;
  list(): Promise<{ items: T[]; resourceVersion: string }> {
    this.listCalls++;
    return new Promise((r) => this.lists.push(r));
  }
  watch(_rv: string, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    this.emit = onEvent;
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  /** Answers the pending list. */
  listed(items: T[], rv = '1'): void {
    const r = this.lists.shift();
    if (!r) throw new Error('no list pending');
    r({ items, resourceVersion: rv });
  }
}

function fakes() {
  return {
    services: new FakeSource<Service>(),
    endpointSlices: new FakeSource<EndpointSlice>(),
    namespaces: new FakeSource<Namespace>(),
    pods: new FakeSource<Pod>(),
  } satisfies ZoneSources;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

const web: Service = { metadata: { namespace: 'default', name: 'web', resourceVersion: '5' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } };
const ns: Namespace = { metadata: { name: 'default', resourceVersion: '1' } };

function ask(zone: ZoneView, name: string, type: number = RRType.A): Answer {
  const a = answer({ name, type, class: 1 }, zone, defaultDnsConfig);
  if ('next' in a) throw new Error(`${name} went to the forwarder`);
  return a;
}

describe('startApiSource', () => {
  it('keeps the zone unsynced (SERVFAIL) until every informer has listed', async () => {
    const src = fakes();
    const zone = new ZoneView();
    const ac = new AbortController();
    const api = startApiSource(src, zone, ac.signal, { podMode: 'insecure', onError: () => undefined });
    src.services.listed([web]);
    src.namespaces.listed([ns]);
    await settle();
    expect(zone.synced).toBe(false);
    expect(ask(zone, 'web.default.svc.cluster.local').rcode).toBe(Rcode.SERVFAIL);
    src.endpointSlices.listed([]);
    await api.synced;
    expect(zone.synced).toBe(true);
    expect(ask(zone, 'web.default.svc.cluster.local').answer).toMatchObject([{ type: 1, address: '10.96.0.5' }]);
    ac.abort();
  });

  it('applies watch events to the zone as they arrive', async () => {
    const src = fakes();
    const zone = new ZoneView();
    const ac = new AbortController();
    const api = startApiSource(src, zone, ac.signal, { podMode: 'insecure', onError: () => undefined });
    src.services.listed([web]);
    src.namespaces.listed([ns]);
    src.endpointSlices.listed([]);
    await api.synced;
    await settle();
    src.services.emit!({ type: 'MODIFIED', object: { ...web, metadata: { ...web.metadata, resourceVersion: '6' }, spec: { ...web.spec, clusterIP: '10.96.0.6' } } });
    expect(ask(zone, 'web.default.svc.cluster.local').answer).toMatchObject([{ address: '10.96.0.6' }]);
    const headless: Service = { metadata: { namespace: 'default', name: 'db', resourceVersion: '7' }, spec: { clusterIP: 'None' } };
    src.services.emit!({ type: 'ADDED', object: headless });
    src.endpointSlices.emit!({
      type: 'ADDED',
      object: { metadata: { namespace: 'default', name: 'db-1', resourceVersion: '8', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.9'] }] },
    });
    expect(ask(zone, 'db.default.svc.cluster.local').answer).toMatchObject([{ address: '10.244.1.9' }]);
    src.services.emit!({ type: 'DELETED', object: web });
    expect(ask(zone, 'web.default.svc.cluster.local').rcode).toBe(Rcode.NXDOMAIN);
    ac.abort();
  });

  it('watches Pods only in verified mode', async () => {
    for (const [mode, wantPods] of [['verified', 1], ['insecure', 0], ['disabled', 0]] as const) {
      const src = fakes();
      const ac = new AbortController();
      const api = startApiSource(src, new ZoneView(), ac.signal, { podMode: mode, onError: () => undefined });
      await settle();
      expect(src.pods.listCalls, mode).toBe(wantPods);
      expect(api.informers.pods !== undefined, mode).toBe(wantPods === 1);
      ac.abort();
    }
  });

  it('verified pod records follow the Pods informer', async () => {
    const src = fakes();
    const zone = new ZoneView();
    const ac = new AbortController();
    const cfg = { ...defaultDnsConfig, podMode: 'verified' as const };
    const api = startApiSource(src, zone, ac.signal, { podMode: 'verified', onError: () => undefined });
    src.services.listed([]);
    src.namespaces.listed([ns]);
    src.endpointSlices.listed([]);
    await settle();
    expect(zone.synced).toBe(false);
    src.pods.listed([{ metadata: { namespace: 'default', name: 'p', resourceVersion: '3' }, status: { podIP: '10.244.0.7' } }]);
    await api.synced;
    const q = (n: string) => answer({ name: n, type: RRType.A, class: 1 }, zone, cfg) as Answer;
    expect(q('10-244-0-7.default.pod.cluster.local').answer).toMatchObject([{ address: '10.244.0.7' }]);
    expect(q('10-244-0-8.default.pod.cluster.local').rcode).toBe(Rcode.NXDOMAIN);
    ac.abort();
  });

  it('does not disturb prebuilt answers for updates DNS cannot see', async () => {
    const src = fakes();
    const zone = new ZoneView();
    const ac = new AbortController();
    const api = startApiSource(src, zone, ac.signal, { podMode: 'insecure', onError: () => undefined });
    src.services.listed([web]);
    src.namespaces.listed([ns]);
    src.endpointSlices.listed([]);
    await api.synced;
    await settle();
    const gen = zone.generation;
    src.services.emit!({ type: 'MODIFIED', object: { ...web, metadata: { ...web.metadata, resourceVersion: '9', annotations: { a: 'b' } } } });
    expect(zone.generation).toBe(gen);
    ac.abort();
  });
});
