// The cluster zone as the resolver sees it: slimmed Services, EndpointSlices,
// Pods and Namespaces in maps keyed by lowercased name, plus the reverse
// indexes PTR and verified pod records need. Informer callbacks call the
// upsert/delete methods; every change bumps `generation`, which tells the wire
// cache its prebuilt answers are stale. No IO.
import type { EndpointSlice, Namespace, Pod, Service } from '../kube/api/core.js';
import {
  type DnsEndpoints,
  type DnsPod,
  type DnsService,
  toDnsEndpoints,
  toDnsNamespace,
  toDnsPod,
  toDnsService,
} from './dns-service.js';

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Slimmed objects are plain data built in a fixed key order, so equal JSON means equal for DNS. */
const sameSlim = (a: DnsService | DnsEndpoints, b: DnsService | DnsEndpoints) => JSON.stringify(a) === JSON.stringify(b);

export interface ZoneViewOptions {
  /** Seconds since the epoch; the SOA serial follows the last change like CoreDNS's. */
  now?: () => number;
}

export class ZoneView {
  private readonly services = new Map<string, DnsService>();
  private readonly slices = new Map<string, DnsEndpoints>();
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly namespaces = new Set<string>();
  private readonly servicesPerNamespace = new Map<string, number>();
  private readonly servicesByClusterIP = new Map<string, Set<string>>();
  private readonly slicesByAddress = new Map<string, Set<string>>();
  private readonly pods = new Map<string, DnsPod>();
  private readonly podsByIP = new Map<string, Set<string>>();
  private readonly now: () => number;

  /** Bumped on every change; answers built at one generation are valid until the next. */
  generation = 0;
  /** SOA serial: time of the last change in seconds, strictly increasing. */
  serial: number;
  /** False until the informers' initial lists are in: answers are SERVFAIL until then. */
  synced = false;

  constructor(opts: ZoneViewOptions = {}) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.serial = this.now() >>> 0;
  }

  private changed(): void {
    this.generation++;
    this.serial = Math.max((this.serial + 1) >>> 0, this.now() >>> 0);
  }

  markSynced(synced = true): void {
    if (this.synced === synced) return;
    this.synced = synced;
    this.changed();
  }

  // ---- writers (from informer callbacks or snapshots) ----

  upsertService(svc: Service): void {
    this.putService(toDnsService(svc));
  }

  deleteService(svc: Service): void {
    const s = toDnsService(svc);
    this.dropService(key(s.namespace, s.name));
  }

  upsertEndpointSlice(slice: EndpointSlice): void {
    this.putSlice(toDnsEndpoints(slice));
  }

  deleteEndpointSlice(slice: EndpointSlice): void {
    const e = toDnsEndpoints(slice);
    this.dropSlice(key(e.namespace, e.sliceName));
  }

  upsertPod(pod: Pod): void {
    const p = toDnsPod(pod);
    const k = key(p.namespace, p.name);
    const old = this.pods.get(k);
    if (old && old.ips.join() === p.ips.join()) return;
    this.dropPod(k);
    this.pods.set(k, p);
    for (const ip of p.ips) addTo(this.podsByIP, ip, k);
    this.changed();
  }

  deletePod(pod: Pod): void {
    const p = toDnsPod(pod);
    this.dropPod(key(p.namespace, p.name));
  }

  upsertNamespace(ns: Namespace): void {
    const name = toDnsNamespace(ns);
    if (this.namespaces.has(name)) return;
    this.namespaces.add(name);
    this.changed();
  }

  deleteNamespace(ns: Namespace): void {
    if (this.namespaces.delete(toDnsNamespace(ns))) this.changed();
  }

  /** Replaces everything with a full list (a relist), then marks the zone synced. */
  replaceAll(objs: { services: Service[]; endpointSlices: EndpointSlice[]; pods?: Pod[]; namespaces: Namespace[] }): void {
    for (const k of [...this.services.keys()]) this.dropService(k);
    for (const k of [...this.slices.keys()]) this.dropSlice(k);
    for (const k of [...this.pods.keys()]) this.dropPod(k);
    this.namespaces.clear();
    for (const n of objs.namespaces) this.namespaces.add(toDnsNamespace(n));
    for (const s of objs.services) this.putService(toDnsService(s));
    for (const e of objs.endpointSlices) this.putSlice(toDnsEndpoints(e));
    for (const p of objs.pods ?? []) this.upsertPod(p);
    this.synced = true;
    this.changed();
  }

  private putService(s: DnsService): void {
    const k = key(s.namespace, s.name);
    // Most Service updates (status, annotations, a resync) change nothing DNS shows: keep the prebuilt answers.
    const old = this.services.get(k);
    if (old && sameSlim(old, s)) return;
    if (old) this.dropService(k);
    this.services.set(k, s);
    this.servicesPerNamespace.set(s.namespace, (this.servicesPerNamespace.get(s.namespace) ?? 0) + 1);
    for (const ip of s.clusterIPs) addTo(this.servicesByClusterIP, ip, k);
    this.changed();
  }

  private dropService(k: string): void {
    const s = this.services.get(k);
    if (!s) return;
    this.services.delete(k);
    const n = (this.servicesPerNamespace.get(s.namespace) ?? 1) - 1;
    if (n <= 0) this.servicesPerNamespace.delete(s.namespace);
    else this.servicesPerNamespace.set(s.namespace, n);
    for (const ip of s.clusterIPs) removeFrom(this.servicesByClusterIP, ip, k);
    this.changed();
  }

  private putSlice(e: DnsEndpoints): void {
    const k = key(e.namespace, e.sliceName);
    const old = this.slices.get(k);
    if (old && sameSlim(old, e)) return;
    if (old) this.dropSlice(k);
    this.slices.set(k, e);
    if (e.serviceName) addTo(this.slicesByService, key(e.namespace, e.serviceName), k);
    for (const ep of e.endpoints) for (const ip of ep.addresses) addTo(this.slicesByAddress, ip, k);
    this.changed();
  }

  private dropSlice(k: string): void {
    const e = this.slices.get(k);
    if (!e) return;
    this.slices.delete(k);
    if (e.serviceName) removeFrom(this.slicesByService, key(e.namespace, e.serviceName), k);
    for (const ep of e.endpoints) for (const ip of ep.addresses) removeFrom(this.slicesByAddress, ip, k);
    this.changed();
  }

  private dropPod(k: string): void {
    const p = this.pods.get(k);
    if (!p) return;
    this.pods.delete(k);
    for (const ip of p.ips) removeFrom(this.podsByIP, ip, k);
    this.changed();
  }

  // ---- readers (all O(1) map lookups plus the size of the result) ----

  /**
   * A namespace exists if its Namespace object does; a Service in it counts
   * too, so a Service that arrives before its Namespace still resolves.
   */
  hasNamespace(namespace: string): boolean {
    return this.namespaces.has(namespace) || this.servicesPerNamespace.has(namespace);
  }

  service(namespace: string, name: string): DnsService | undefined {
    return this.services.get(key(namespace, name));
  }

  /** Every EndpointSlice labelled for the Service, in a stable order. */
  endpointsOf(namespace: string, name: string): DnsEndpoints[] {
    const ks = this.slicesByService.get(key(namespace, name));
    if (!ks) return [];
    return [...ks].sort().map((k) => this.slices.get(k)!);
  }

  /** Services with `ip` among their ClusterIPs. */
  servicesWithClusterIP(ip: string): DnsService[] {
    const ks = this.servicesByClusterIP.get(ip);
    return ks ? [...ks].sort().map((k) => this.services.get(k)!) : [];
  }

  /** EndpointSlices that list `ip` as an endpoint address. */
  endpointSlicesWithAddress(ip: string): DnsEndpoints[] {
    const ks = this.slicesByAddress.get(ip);
    return ks ? [...ks].sort().map((k) => this.slices.get(k)!) : [];
  }

  /** Whether a Pod in `namespace` has `ip` (pod records in `verified` mode). */
  hasPodWithIP(namespace: string, ip: string): boolean {
    const ks = this.podsByIP.get(ip);
    if (!ks) return false;
    for (const k of ks) if (this.pods.get(k)?.namespace === namespace) return true;
    return false;
  }

  get serviceCount(): number {
    return this.services.size;
  }
}
