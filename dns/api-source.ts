// Feeds the ZoneView from the API: list+watch informers on Services,
// EndpointSlices and Namespaces (and Pods, only for `pods verified`, as
// CoreDNS does), each event applied to the zone the moment the watch delivers
// it. The zone is marked synced only when every informer has its initial list
// in; until then the resolver answers SERVFAIL for cluster names and /ready
// says 503 (CoreDNS's kubernetes plugin waits for HasSynced the same way).
import type { EndpointSlice, Namespace, Pod, Service } from '../kube/api/core.js';
import { EndpointSlices, Namespaces, Pods, Services, type KubeClient } from '../kube/client.js';
import { createInformer, listWatchFor, type Informer, type InformerHandler, type InformerOptions, type ListWatchSource } from '../kube/informer.js';
import type { PodMode } from './answer.js';
import type { ZoneView } from './zone.js';

/** Where the informers get their objects: the API (sourcesFromClient) or recorded events in tests. */
export interface ZoneSources {
  services: ListWatchSource<Service>;
  endpointSlices: ListWatchSource<EndpointSlice>;
  namespaces: ListWatchSource<Namespace>;
  pods: ListWatchSource<Pod>;
}

export function sourcesFromClient(client: Pick<KubeClient, 'list' | 'watch'>): ZoneSources {
  return {
    services: listWatchFor<Service>(client, Services),
    endpointSlices: listWatchFor<EndpointSlice>(client, EndpointSlices),
    namespaces: listWatchFor<Namespace>(client, Namespaces),
    pods: listWatchFor<Pod>(client, Pods),
  };
}

export interface ApiSourceOptions {
  podMode: PodMode;
  /** Told about list/watch failures the informers recover from. */
  onError?: (err: unknown) => void;
  /** Passed to every informer (delays and backoff in tests). */
  informer?: Omit<InformerOptions, 'name' | 'onError'>;
}

export interface ApiSource {
  /** Resolves when every informer has synced and the zone is marked synced; rejects if `signal` aborts first. */
  readonly synced: Promise<void>;
  readonly informers: {
    services: Informer<Service>;
    endpointSlices: Informer<EndpointSlice>;
    namespaces: Informer<Namespace>;
    pods?: Informer<Pod>;
  };
}

function feed<T>(informer: Informer<T>, upsert: (o: T) => void, remove: (o: T) => void): void {
  const h: InformerHandler<T> = { add: upsert, update: (_old, cur) => upsert(cur), delete: remove };
  informer.on(h);
}

/**
 * Starts the informers and wires them into `zone`. Stops when `signal`
 * aborts; the zone keeps its last state (stale answers beat none, as in CoreDNS).
 */
export function startApiSource(sources: ZoneSources, zone: ZoneView, signal: AbortSignal, opts: ApiSourceOptions): ApiSource {
  const common = (name: string): InformerOptions => ({ ...opts.informer, name, ...(opts.onError ? { onError: opts.onError } : {}) });
  const services = createInformer(sources.services, common('services'));
  const endpointSlices = createInformer(sources.endpointSlices, common('endpointslices'));
  const namespaces = createInformer(sources.namespaces, common('namespaces'));
  const pods = opts.podMode === 'verified' ? createInformer(sources.pods, common('pods')) : undefined;

  feed(services, (o) => zone.upsertService(o), (o) => zone.deleteService(o));
  feed(endpointSlices, (o) => zone.upsertEndpointSlice(o), (o) => zone.deleteEndpointSlice(o));
  feed(namespaces, (o) => zone.upsertNamespace(o), (o) => zone.deleteNamespace(o));
  if (pods) feed(pods, (o) => zone.upsertPod(o), (o) => zone.deletePod(o));

  const all: Promise<void>[] = [services.start(signal), endpointSlices.start(signal), namespaces.start(signal)];
  if (pods) all.push(pods.start(signal));
  const synced = Promise.all(all).then(() => zone.markSynced());
  // The caller may never await `synced` (e.g. it aborts during start-up): do not leave a rejection unhandled.
  synced.catch(() => undefined);
  return { synced, informers: { services, endpointSlices, namespaces, ...(pods ? { pods } : {}) } };
}
