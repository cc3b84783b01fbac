// The in-memory Store: `--store memory` and fast tests. Same semantics as the
// SQLite store, with a bounded event history so a watch can resume from an
// older revision until that history is compacted or evicted.
//
// This file also holds the two pieces both embedded stores share: the key
// range of a prefix and the watch fan-out.

import {
  CompactedError,
  KeyExistsError,
  NotFoundError,
  RevisionConflictError,
  StoreError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type StoreEventHandler,
} from './store.js';

/**
 * The smallest string greater than every string that starts with prefix, or
 * undefined when there is none (empty prefix). Keys under prefix are exactly
 * the range [prefix, prefixEnd(prefix)). Both stores compare keys by code unit
 * (JS `<`) or UTF-8 byte (SQLite), which agree for the ASCII keys the API uses.
 */
export function prefixEnd(prefix: string): string | undefined {
  let end = prefix;
  while (end.length > 0) {
    const last = end.charCodeAt(end.length - 1);
    if (last < 0xffff) return end.slice(0, -1) + String.fromCharCode(last + 1);
    end = end.slice(0, -1);
  }
  return undefined;
}

/** Where a list starts: the later of the prefix itself and a continue key. */
export function listStart(prefix: string, startKey: string | undefined): string {
  return startKey !== undefined && startKey > prefix ? startKey : prefix;
}

interface Watcher {
  readonly prefix: string;
  /** Only events with a revision above this are delivered (a watch may start in the future). */
  readonly after: number;
  readonly handler: StoreEventHandler;
  queue: StoreEvent[];
  closed: boolean;
}

/**
 * Delivers committed events to watchers. Events are queued per watcher and
 * handed over in one microtask after the commit, so a handler never runs inside
 * a write, each watcher sees events in revision order, and the events of one
 * write always arrive in one call (several writes may share a call when they
 * were committed before the microtask ran). A throwing handler is reported to
 * onHandlerError and does not affect the store or other watchers.
 */
export class WatchFanout {
  // Watchers grouped by prefix: the API server holds many watchers on few
  // prefixes, so matching a key costs one check per distinct prefix.
  private readonly byPrefix = new Map<string, Set<Watcher>>();
  // A Set iterates in insertion order and also visits entries added while a
  // flush runs (a handler that writes), so nothing waits for another microtask.
  private readonly pending = new Set<Watcher>();
  private flushScheduled = false;

  constructor(private readonly onHandlerError: (err: unknown) => void = () => {}) {}

  /**
   * Registers a watcher; replay (events already committed, oldest first) is
   * delivered before anything published after this call.
   */
  add(prefix: string, fromRevision: number, replay: StoreEvent[], handler: StoreEventHandler): () => void {
    const w: Watcher = { prefix, after: fromRevision, handler, queue: replay, closed: false };
    let group = this.byPrefix.get(prefix);
    if (group === undefined) {
      group = new Set();
      this.byPrefix.set(prefix, group);
    }
    group.add(w);
    if (replay.length > 0) this.enqueue(w);
    return () => this.remove(w);
  }

  /** Fans out the events of one committed write. */
  publish(events: readonly StoreEvent[]): void {
    if (this.byPrefix.size === 0) return;
    for (const ev of events) {
      for (const group of this.groupsMatching(ev.kv.key)) {
        for (const w of group) {
          if (ev.revision <= w.after) continue;
          w.queue.push(ev);
          this.enqueue(w);
        }
      }
    }
  }

  closeAll(): void {
    for (const group of this.byPrefix.values()) for (const w of group) w.closed = true;
    this.byPrefix.clear();
    this.pending.clear();
  }

  get watcherCount(): number {
    let n = 0;
    for (const group of this.byPrefix.values()) n += group.size;
    return n;
  }

  private *groupsMatching(key: string): Iterable<Set<Watcher>> {
    // Whichever is smaller: the distinct watched prefixes, or the prefixes of the key.
    if (this.byPrefix.size <= key.length + 1) {
      for (const [prefix, group] of this.byPrefix) if (key.startsWith(prefix)) yield group;
      return;
    }
    for (let i = 0; i <= key.length; i++) {
      const group = this.byPrefix.get(key.slice(0, i));
      if (group !== undefined) yield group;
    }
  }

  private remove(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    w.queue = [];
    this.pending.delete(w);
    const group = this.byPrefix.get(w.prefix);
    if (group === undefined) return;
    group.delete(w);
    if (group.size === 0) this.byPrefix.delete(w.prefix);
  }

  private enqueue(w: Watcher): void {
    this.pending.add(w);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    try {
      for (const w of this.pending) {
        this.pending.delete(w);
        const batch = w.queue;
        w.queue = [];
        if (w.closed || batch.length === 0) continue;
        try {
          w.handler(batch);
        } catch (err) {
          this.reportHandlerError(err);
        }
      }
    } finally {
      this.flushScheduled = false;
    }
  }

  private reportHandlerError(err: unknown): void {
    try {
      this.onHandlerError(err);
    } catch {
      // The error reporter itself failed; there is nobody left to tell.
    }
  }
}

export interface MemoryStoreOptions {
  /** Events kept for watch and historical list; older ones count as compacted. Default 10,000. */
  readonly historyLimit?: number;
  /** Called with whatever a watch handler throws (default: ignore). */
  readonly onWatchError?: (err: unknown) => void;
}

export class MemoryStore implements Store {
  readonly backend = 'memory' as const;

  private readonly values = new Map<string, KeyValue>();
  /** All keys, sorted, for prefix lists and paging. */
  private readonly keys: string[] = [];
  /** Events in revision order; the live part starts at historyStart. */
  private history: StoreEvent[] = [];
  private historyStart = 0;
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly historyLimit: number;
  private readonly fanout: WatchFanout;

  constructor(opts: MemoryStoreOptions = {}) {
    const limit = opts.historyLimit ?? 10_000;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`historyLimit must be a positive integer, got ${limit}`);
    this.historyLimit = limit;
    this.fanout = new WatchFanout(opts.onWatchError);
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.assertOpen();
    return this.compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.values.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const at = opts.revision ?? 0;
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const start = listStart(prefix, opts.startKey);
    const end = prefixEnd(prefix);
    const lo = lowerBound(this.keys, start);
    const hi = end === undefined ? this.keys.length : Math.max(lo, lowerBound(this.keys, end));

    if (at === 0 || at === this.revision) {
      const stop = Math.min(hi, lo + limit);
      const items: KeyValue[] = [];
      for (let i = lo; i < stop; i++) items.push(this.values.get(this.keys[i] as string) as KeyValue);
      return { items, revision: this.revision, more: stop < hi, remaining: hi - stop };
    }
    this.assertReadable(at);

    // State at `at`: for each key written since, the value before its first later write.
    const changed = new Map<string, KeyValue | undefined>();
    for (let i = this.firstEventAfter(at); i < this.history.length; i++) {
      const ev = this.history[i] as StoreEvent;
      const key = ev.kv.key;
      if (key < start || (end !== undefined && key >= end) || changed.has(key)) continue;
      changed.set(key, ev.prevKv);
    }
    const all: KeyValue[] = [];
    for (let i = lo; i < hi; i++) {
      const key = this.keys[i] as string;
      if (!changed.has(key)) all.push(this.values.get(key) as KeyValue);
    }
    for (const kv of changed.values()) if (kv !== undefined) all.push(kv);
    all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const items = all.slice(0, limit);
    return { items, revision: at, more: all.length > items.length, remaining: all.length - items.length };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.assertOpen();
    if (this.values.has(key)) throw new KeyExistsError(key);
    const rev = this.revision + 1;
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    this.commit({ type: 'put', kv, revision: rev });
    return kv;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.assertOpen();
    const prev = this.values.get(key);
    if (prev === undefined) throw new NotFoundError(key);
    if (prev.modRevision !== expectedModRevision) throw new RevisionConflictError(key, expectedModRevision, prev.modRevision);
    const rev = this.revision + 1;
    const kv: KeyValue = { key, value, createRevision: prev.createRevision, modRevision: rev };
    this.commit({ type: 'put', kv, prevKv: prev, revision: rev });
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.assertOpen();
    const prev = this.values.get(key);
    if (prev === undefined) throw new NotFoundError(key);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new RevisionConflictError(key, expectedModRevision, prev.modRevision);
    }
    const rev = this.revision + 1;
    const kv: KeyValue = { ...prev, modRevision: rev };
    this.commit({ type: 'delete', kv, prevKv: prev, revision: rev });
    return kv;
  }

  async watch(prefix: string, fromRevision: number, handler: StoreEventHandler): Promise<() => void> {
    this.assertOpen();
    if (fromRevision < this.compacted) throw new CompactedError(fromRevision, this.compacted);
    const replay: StoreEvent[] = [];
    for (let i = this.firstEventAfter(fromRevision); i < this.history.length; i++) {
      const ev = this.history[i] as StoreEvent;
      if (ev.kv.key.startsWith(prefix)) replay.push(ev);
    }
    return this.fanout.add(prefix, fromRevision, replay, handler);
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision > this.revision) {
      throw new StoreError(`cannot compact to revision ${revision}: the current revision is ${this.revision}`);
    }
    if (revision <= this.compacted) return;
    this.compacted = revision;
    this.historyStart = this.firstEventAfter(revision);
    this.trimHistory();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fanout.closeAll();
  }

  private commit(ev: StoreEvent): void {
    const key = ev.kv.key;
    if (ev.type === 'delete') {
      this.values.delete(key);
      this.keys.splice(lowerBound(this.keys, key), 1);
    } else {
      if (ev.prevKv === undefined) this.keys.splice(lowerBound(this.keys, key), 0, key);
      this.values.set(key, ev.kv);
    }
    this.revision = ev.revision;
    this.history.push(ev);
    if (this.history.length - this.historyStart > this.historyLimit) {
      // Evicted history is gone just as if it had been compacted.
      this.compacted = (this.history[this.historyStart] as StoreEvent).revision;
      this.historyStart++;
      this.trimHistory();
    }
    this.fanout.publish([ev]);
  }

  /** Drops the dead head of the history array once it is as long as the live part (amortised O(1)). */
  private trimHistory(): void {
    if (this.historyStart > 0 && this.historyStart * 2 >= this.history.length) {
      this.history = this.history.slice(this.historyStart);
      this.historyStart = 0;
    }
  }

  /** Index of the first kept event with a revision above `revision`. */
  private firstEventAfter(revision: number): number {
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.history[mid] as StoreEvent).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private assertReadable(revision: number): void {
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.revision) {
      throw new StoreError(`revision ${revision} is in the future: the current revision is ${this.revision}`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the memory store is closed');
  }
}

/** First index in sorted `keys` whose key is >= key. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
