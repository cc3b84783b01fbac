// One watch cache per resource (like the kube-apiserver's cacher): a single
// store-level watch feeds a bounded ring of recent events, and every HTTP
// watcher of that resource is served from it. Each event is decoded once and
// serialized once per event type, however many watchers receive it. History is
// kept per resource, so a busy resource cannot push 410s onto watchers of a
// quiet one.
import type { KubeObject, WatchEventType } from '../kube/api/meta.js';
import type { Store, StoreEvent } from './storage/store.js';

export interface CachedEvent {
  readonly revision: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the event (for DELETED: its last state, resourceVersion = the deletion's revision). */
  readonly object: KubeObject;
  /** The object before the event (MODIFIED and DELETED). */
  readonly prevObject?: KubeObject;
  /** The JSON text of `object` (with resourceVersion set). */
  readonly objectJson: string;
}

export type WatchFilter = (obj: KubeObject) => boolean;

/** What a watcher is sent: an event type and the event it came from. */
export type WatchSink = (type: WatchEventType, ev: CachedEvent) => void;

export class TooOldResourceVersionError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

interface Watcher {
  readonly from: number;
  readonly filter: WatchFilter;
  readonly sink: WatchSink;
}

/** Decode a stored value into an object carrying its resourceVersion. */
export function decodeStored(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

export class WatchCache {
  private readonly ring: CachedEvent[] = [];
  private head = 0; // index of the oldest event in `ring` once it is full
  private readonly watchers = new Set<Watcher>();
  /** Events at or below this revision are no longer in the ring: watching from before it is a 410. */
  private evictedThrough = 0;
  private latest = 0;
  private stop?: () => void;

  constructor(
    private readonly store: Store,
    readonly prefix: string,
    private readonly capacity = 10_000,
  ) {}

  async start(): Promise<void> {
    const compacted = await this.store.compactedRevision();
    this.evictedThrough = compacted;
    this.latest = Math.max(compacted, 0);
    this.stop = await this.store.watch(this.prefix, compacted, (events) => this.onStoreEvents(events));
    // The store may hold revisions newer than any event of this resource.
    this.latest = Math.max(this.latest, await this.store.currentRevision());
  }

  close(): void {
    this.stop?.();
    this.watchers.clear();
  }

  /** The newest revision this cache has seen (for bookmarks). */
  get latestRevision(): number {
    return this.latest;
  }

  /** Note a store revision reached elsewhere (a list), so bookmarks never go backwards. */
  observeRevision(rev: number): void {
    if (rev > this.latest) this.latest = rev;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private onStoreEvents(events: readonly StoreEvent[]): void {
    for (const e of events) {
      const ev = toCachedEvent(e);
      this.push(ev);
      if (ev.revision > this.latest) this.latest = ev.revision;
      for (const w of this.watchers) deliver(w, ev);
    }
  }

  private push(ev: CachedEvent): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(ev);
      return;
    }
    const old = this.ring[this.head]!;
    this.evictedThrough = Math.max(this.evictedThrough, old.revision);
    this.ring[this.head] = ev;
    this.head = (this.head + 1) % this.capacity;
  }

  /**
   * Start a watch that receives every event after `fromRevision` matching
   * `filter`. Throws TooOldResourceVersionError when those events have been
   * evicted or compacted away. Returns the function that ends the watch.
   */
  watch(fromRevision: number, filter: WatchFilter, sink: WatchSink): () => void {
    if (fromRevision < this.evictedThrough) throw new TooOldResourceVersionError(fromRevision, this.evictedThrough + 1);
    const w: Watcher = { from: fromRevision, filter, sink };
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const ev = this.ring[(this.head + i) % n]!;
      if (ev.revision > fromRevision) deliver(w, ev);
    }
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }
}

function toCachedEvent(e: StoreEvent): CachedEvent {
  if (e.type === 'delete') {
    const object = decodeStored(e.kv.value, e.revision);
    return { revision: e.revision, type: 'DELETED', object, prevObject: object, objectJson: JSON.stringify(object) };
  }
  const object = decodeStored(e.kv.value, e.revision);
  const base = { revision: e.revision, object, objectJson: JSON.stringify(object) };
  if (!e.prevKv) return { ...base, type: 'ADDED' };
  return { ...base, type: 'MODIFIED', prevObject: decodeStored(e.prevKv.value, e.prevKv.modRevision) };
}

/**
 * Selector transitions as Kubernetes does them: an object that starts matching
 * is ADDED for this watcher, one that stops matching is DELETED.
 */
function deliver(w: Watcher, ev: CachedEvent): void {
  if (ev.revision <= w.from) return;
  const now = w.filter(ev.object);
  if (ev.type === 'MODIFIED') {
    const before = w.filter(ev.prevObject!);
    if (now && before) w.sink('MODIFIED', ev);
    else if (now) w.sink('ADDED', ev);
    else if (before) w.sink('DELETED', ev);
    return;
  }
  if (now) w.sink(ev.type, ev);
}
