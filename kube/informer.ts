// The list+watch cache every netkube component reads the cluster through.
// list → replace the cache → watch from the list's resourceVersion →
// apply events → on stream end re-watch from the last resourceVersion seen;
// on 410 Gone relist (emitting the difference); on any other failure back off
// (capped, exponential) and retry until the caller's signal aborts.
// The constructor does no I/O; the source and the delay are injected, so tests
// drive it by hand.

import type { KubeObject, WatchEvent } from './api/meta.js';
import { isApiError, isStatus, type KubeClient, type ResourceDescriptor } from './client.js';
import { resourcePath } from './resource-path.js';

/** The least an object needs to be cached: a name, maybe a namespace and a resourceVersion. */
export interface Keyed {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface InformerHandler<T> {
  add(o: T): void;
  update(old: T, cur: T): void;
  delete(o: T): void;
}

export interface Informer<T> {
  /**
   * Starts the list+watch loop; resolves once the initial list is in the
   * cache (= synced) and rejects only if `signal` aborts first. Aborting the
   * signal later stops the loop; the cache stays readable. Call once.
   */
  start(signal: AbortSignal): Promise<void>;
  /**
   * Registers a handler; returns a function that unregisters it. A handler
   * registered after the initial list gets an `add` for every cached object
   * right away (inside `on`), so every handler sees each object added before
   * it is updated or deleted.
   */
  on(h: InformerHandler<T>): () => void;
  /** Cluster-scoped objects: namespace ''. */
  get(namespace: string, name: string): T | undefined;
  list(): readonly T[];
  hasSynced(): boolean;
}

export interface ListWatchSource<T> {
  list(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }>;
  /** Streams events after `resourceVersion`; resolves when the stream ends, rejects on failure. */
  watch(resourceVersion: string, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

export interface InformerOptions {
  /** Waits `ms`; should settle early (either way) when `signal` aborts. Default: a timer. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Retry delay after a failure: initialMs, doubling up to maxMs. Default 800 ms → 30 s with ±10% jitter. */
  backoff?: { initialMs: number; maxMs: number; jitter?: number };
  /**
   * Every resyncMs, deliver update(o, o) for every cached object so handlers
   * can re-check state they act on. Default off.
   */
  resyncMs?: number;
  /** Told about every failure the informer recovers from (list/watch errors, throwing handlers). Default: stderr. */
  onError?: (err: unknown) => void;
  /** Names the informer in error messages, e.g. "pods". */
  name?: string;
}

/** Cache key: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(o: Keyed): string | undefined {
  const name = o.metadata?.name;
  if (!name) return undefined;
  const ns = o.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** Whether an error or a watch ERROR event's object means "resourceVersion too old: relist". */
export function isGone(errOrStatus: unknown): boolean {
  if (isApiError(errOrStatus, 410)) return true;
  return isStatus(errOrStatus) && (errOrStatus.code === 410 || errOrStatus.reason === 'Gone' || errOrStatus.reason === 'Expired');
}

/** A watch ERROR event that is not 410: the stream is unusable, back off and watch again. */
export class WatchErrorEvent extends Error {
  override name = 'WatchErrorEvent';
  constructor(readonly object: unknown) {
    super(`watch ERROR event: ${isStatus(object) ? `${object.code} ${object.reason ?? ''} ${object.message ?? ''}`.trim() : JSON.stringify(object)}`);
  }
}

class GoneError extends Error {
  override name = 'GoneError';
}

export function createInformer<T extends Keyed>(source: ListWatchSource<T>, opts: InformerOptions = {}): Informer<T> {
  return new ListWatchInformer(source, opts);
}

const defaultDelay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

class ListWatchInformer<T extends Keyed> implements Informer<T> {
  private readonly cache = new Map<string, T>();
  private snapshot: readonly T[] | undefined;
  private readonly handlers = new Set<InformerHandler<T>>();
  private synced = false;
  private started = false;
  private resourceVersion = '';
  private failures = 0;
  private readonly delay: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly backoff: { initialMs: number; maxMs: number; jitter: number };
  private readonly onError: (err: unknown) => void;
  private readonly label: string;

  constructor(
    private readonly source: ListWatchSource<T>,
    private readonly opts: InformerOptions,
  ) {
    this.delay = opts.delay ?? defaultDelay;
    this.backoff = opts.backoff
      ? { jitter: 0, ...opts.backoff }
      : { initialMs: 800, maxMs: 30_000, jitter: 0.1 };
    this.label = opts.name ?? 'informer';
    const report = opts.onError ?? ((err: unknown) => console.error(messageOf(err)));
    this.onError = (err) => {
      try {
        report(err);
      } catch {
        // A failing reporter must not take the informer down with it.
      }
    };
  }

  start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`${this.label}: start() called twice`);
    this.started = true;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const onSynced = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      void this.run(signal, onSynced);
      if (this.opts.resyncMs) void this.resyncLoop(this.opts.resyncMs, signal);
    });
  }

  on(h: InformerHandler<T>): () => void {
    this.handlers.add(h);
    if (this.synced) for (const o of this.cache.values()) this.call(() => h.add(o));
    return () => {
      this.handlers.delete(h);
    };
  }

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): readonly T[] {
    this.snapshot ??= Object.freeze([...this.cache.values()]);
    return this.snapshot;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  private async run(signal: AbortSignal, onSynced: () => void): Promise<void> {
    let needList = true;
    let watchesSinceList = 0;
    // A 410 on the very first watch after a list, before any event, means the
    // server cannot even watch from its own list: relisting at once would
    // loop hot, so such relists back off and do not reset the backoff.
    let goneAtOnce = false;
    while (!signal.aborted) {
      if (needList) {
        try {
          const { items, resourceVersion } = await this.source.list(signal);
          if (signal.aborted) return;
          this.replace(items);
          this.resourceVersion = resourceVersion;
          needList = false;
          watchesSinceList = 0;
          if (!goneAtOnce) this.failures = 0;
          if (!this.synced) {
            this.synced = true;
            onSynced();
          }
        } catch (err) {
          if (signal.aborted) return;
          this.onError(new Error(`${this.label}: list failed: ${messageOf(err)}`, { cause: err }));
          await this.backOff(signal);
          continue;
        }
      }
      const { outcome, events } = await this.watchOnce(signal);
      watchesSinceList++;
      if (signal.aborted) return;
      if (outcome === 'gone') {
        // The server no longer has history back to our resourceVersion: only a fresh list is consistent.
        needList = true;
        goneAtOnce = watchesSinceList === 1 && events === 0;
        if (goneAtOnce) {
          this.onError(new Error(`${this.label}: watch from the list's resourceVersion "${this.resourceVersion}" is already gone; relisting after a backoff`));
          await this.backOff(signal);
        }
      } else if (outcome === 'empty') {
        // A stream that ended without a single event: pause briefly so a server that closes at once is not hammered.
        await this.delay(this.backoff.initialMs, signal).catch(() => undefined);
      } else if (outcome === 'failed') {
        await this.backOff(signal);
      }
    }
  }

  /** One watch stream from the current resourceVersion; says how it ended and how many events it applied. */
  private async watchOnce(signal: AbortSignal): Promise<{ outcome: 'ended' | 'empty' | 'gone' | 'failed'; events: number }> {
    // A child controller lets an ERROR event end the stream, whatever the source does with it.
    const stream = new AbortController();
    const onAbort = (): void => stream.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let stop: Error | undefined;
    let events = 0;
    const onEvent = (e: WatchEvent<T>): void => {
      if (stop || stream.signal.aborted) return;
      if (e.type === 'ERROR') {
        stop = isGone(e.object) ? new GoneError('watch: resourceVersion too old') : new WatchErrorEvent(e.object);
        stream.abort(stop);
        return;
      }
      events++;
      this.apply(e);
    };
    let failure: unknown;
    try {
      const watching = this.source.watch(this.resourceVersion, onEvent, stream.signal);
      // Do not depend on the source honouring the abort: stop waiting as soon
      // as the stream is aborted, and swallow whatever it settles with later.
      watching.catch(() => undefined);
      await Promise.race([watching, untilAborted(stream.signal)]);
    } catch (err) {
      failure = stop ?? err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    // A stream that delivered events was a working connection: the next failure starts the backoff afresh.
    if (events > 0) this.failures = 0;
    if (signal.aborted) return { outcome: 'failed', events };
    if (failure === undefined) return { outcome: events > 0 ? 'ended' : 'empty', events };
    if (failure instanceof GoneError || isGone(failure)) return { outcome: 'gone', events };
    const what = failure instanceof WatchErrorEvent ? failure.message : `watch failed: ${messageOf(failure)}`;
    this.onError(new Error(`${this.label}: ${what}`, { cause: failure }));
    return { outcome: 'failed', events };
  }

  private apply(e: WatchEvent<T>): void {
    const obj = e.object;
    const rv = obj.metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return;
    }
    const key = objectKey(obj);
    if (key === undefined) {
      this.onError(new Error(`${this.label}: ${e.type} event for an object without metadata.name; ignored`));
      return;
    }
    if (rv) this.resourceVersion = rv;
    const old = this.cache.get(key);
    if (e.type === 'DELETED') {
      this.cache.delete(key);
      this.snapshot = undefined;
      // The event carries the object's final state, which handlers see rather than our older copy.
      this.emit((h) => h.delete(obj));
      return;
    }
    // ADDED for a key we hold (e.g. a replayed event) is an update, and MODIFIED for an unknown key an add.
    this.cache.set(key, obj);
    this.snapshot = undefined;
    if (old) this.emit((h) => h.update(old, obj));
    else this.emit((h) => h.add(obj));
  }

  /** Swaps in a fresh list, telling handlers only what changed since the cache they saw. */
  private replace(items: T[]): void {
    const next = new Map<string, T>();
    for (const o of items) {
      const key = objectKey(o);
      if (key === undefined) {
        this.onError(new Error(`${this.label}: listed object without metadata.name; ignored`));
        continue;
      }
      next.set(key, o);
    }
    const previous = new Map(this.cache);
    this.cache.clear();
    for (const [k, v] of next) this.cache.set(k, v);
    this.snapshot = undefined;
    for (const [key, old] of previous) {
      if (!next.has(key)) this.emit((h) => h.delete(old));
    }
    for (const [key, cur] of next) {
      const old = previous.get(key);
      if (!old) this.emit((h) => h.add(cur));
      else if (changed(old, cur)) this.emit((h) => h.update(old, cur));
    }
  }

  private async resyncLoop(ms: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.delay(ms, signal).catch(() => undefined);
      if (signal.aborted || !this.synced) continue;
      for (const o of this.cache.values()) this.emit((h) => h.update(o, o));
    }
  }

  private async backOff(signal: AbortSignal): Promise<void> {
    const { initialMs, maxMs, jitter } = this.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const ms = jitter > 0 ? base * (1 + jitter * (2 * Math.random() - 1)) : base;
    await this.delay(Math.round(ms), signal).catch(() => undefined);
  }

  private emit(fn: (h: InformerHandler<T>) => void): void {
    for (const h of [...this.handlers]) this.call(() => fn(h));
  }

  /** A throwing handler is reported, never allowed to stop the informer or starve other handlers. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(new Error(`${this.label}: event handler threw: ${messageOf(err)}`, { cause: err }));
    }
  }
}

/** Rejects with the abort reason once `signal` aborts; never resolves. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Same resourceVersion = same object; without resourceVersions, compare content. */
function changed<T extends Keyed>(a: T, b: T): boolean {
  const ra = a.metadata?.resourceVersion;
  const rb = b.metadata?.resourceVersion;
  if (ra && rb) return ra !== rb;
  return JSON.stringify(a) !== JSON.stringify(b);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface ListWatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size for the list; default 500. 0 lists in one request. */
  pageSize?: number;
}

/**
 * A ListWatchSource over the API for one resource. Watches ask for bookmarks
 * and a server-side timeout of 5–10 minutes (randomised so many clients do
 * not reconnect together), as client-go's reflector does.
 */
export function listWatchFor<T extends KubeObject = KubeObject>(
  client: Pick<KubeClient, 'list' | 'watch'>,
  res: ResourceDescriptor,
  opts: ListWatchOptions = {},
): ListWatchSource<T> {
  const namespace = res.namespaced ? opts.namespace : undefined;
  if (!res.namespaced && opts.namespace) {
    throw new Error(`listWatchFor ${res.resource}: ${res.kind} is cluster-scoped, but namespace "${opts.namespace}" was given`);
  }
  const pageSize = opts.pageSize ?? 500;
  const selectors = {
    ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
    ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
  };
  const path = resourcePath(namespace ? { ...res, namespace } : res);
  return {
    list: (signal) =>
      client.list<T>(res, {
        ...selectors,
        ...(namespace ? { namespace } : {}),
        ...(pageSize > 0 ? { pageSize } : {}),
        signal,
      }),
    watch: (resourceVersion, onEvent, signal) =>
      client.watch<T>(
        path,
        {
          ...selectors,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        },
        onEvent,
        signal,
      ),
  };
}
