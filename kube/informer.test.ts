import { describe, expect, it } from 'vitest';
import type { KubeObject, WatchEvent } from './api/meta.js';
import { ApiError, Nodes, Pods, type KubeClient } from './client.js';
import { createInformer, listWatchFor, type InformerOptions, type ListWatchSource } from './informer.js';

// The informer is driven entirely by hand: every list, watch and delay it
// asks for is recorded as a pending call that the test settles.

interface Pending<V> {
  resolve(v: V): void;
  reject(err: unknown): void;
}

function deferred<V>(): Pending<V> & { promise: Promise<V> } {
  let resolve!: (v: V) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Obj = KubeObject;
interface WatchCall extends Pending<void> {
  rv: string;
  emit(e: WatchEvent<Obj>): void;
  signal: AbortSignal;
}

class FakeSource implements ListWatchSource<Obj> {
  lists: Array<Pending<{ items: Obj[]; resourceVersion: string }>> = [];
  watches: WatchCall[] = [];
  list(): Promise<{ items: Obj[]; resourceVersion: string }> {
    const d = deferred<{ items: Obj[]; resourceVersion: string }>();
    this.lists.push(d);
    return d.promise;
  }
  watch(rv: string, onEvent: (e: WatchEvent<Obj>) => void, signal: AbortSignal): Promise<void> {
    const d = deferred<void>();
    this.watches.push({ ...d, rv, emit: onEvent, signal });
    return d.promise;
  }
}

class FakeDelay {
  calls: Array<Pending<void> & { ms: number }> = [];
  readonly fn = (ms: number): Promise<void> => {
    const d = deferred<void>();
    this.calls.push({ ...d, ms });
    return d.promise;
  };
}

/** Lets queued promise callbacks run; the informer only ever waits on our fakes. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

async function waitFor<V>(what: string, get: () => V | undefined): Promise<V> {
  for (let i = 0; i < 50; i++) {
    const v = get();
    if (v !== undefined) return v;
    await settle();
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pod = (name: string, rv: string, extra: Record<string, unknown> = {}): Obj => ({
  metadata: { namespace: 'ns', name, resourceVersion: rv },
  ...extra,
});

function recorder(): { log: string[]; handler: { add(o: Obj): void; update(a: Obj, b: Obj): void; delete(o: Obj): void } } {
  const log: string[] = [];
  const id = (o: Obj): string => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`;
  return {
    log,
    handler: {
      add: (o) => log.push(`add ${id(o)}`),
      update: (a, b) => log.push(`update ${id(a)} -> ${id(b)}`),
      delete: (o) => log.push(`delete ${id(o)}`),
    },
  };
}

function setup(opts: InformerOptions = {}) {
  const source = new FakeSource();
  const delay = new FakeDelay();
  const errors: unknown[] = [];
  const informer = createInformer(source, {
    delay: delay.fn,
    backoff: { initialMs: 100, maxMs: 300 },
    onError: (e) => errors.push(e),
    ...opts,
  });
  const { log, handler } = recorder();
  informer.on(handler);
  const ctl = new AbortController();
  return { source, delay, errors, informer, log, ctl };
}

/** Starts the informer and completes its first list. */
async function synced(items: Obj[], rv: string, opts: InformerOptions = {}) {
  const s = setup(opts);
  const started = s.informer.start(s.ctl.signal);
  const list = await waitFor('first list', () => s.source.lists[0]);
  list.resolve({ items, resourceVersion: rv });
  await started;
  const watch = await waitFor('first watch', () => s.source.watches[0]);
  return { ...s, watch };
}

describe('informer', () => {
  it('does no I/O until start, and start resolves once the first list is in', async () => {
    const s = setup();
    await settle();
    expect(s.source.lists).toHaveLength(0);
    const started = s.informer.start(s.ctl.signal);
    let done = false;
    void started.then(() => (done = true));
    const list = await waitFor('list', () => s.source.lists[0]);
    await settle();
    expect(done).toBe(false);
    expect(s.informer.hasSynced()).toBe(false);
    list.resolve({ items: [pod('a', '1'), pod('b', '2')], resourceVersion: '10' });
    await started;
    expect(s.informer.hasSynced()).toBe(true);
    expect(s.log).toEqual(['add ns/a@1', 'add ns/b@2']);
    expect(s.informer.get('ns', 'b')?.metadata.resourceVersion).toBe('2');
    expect(s.informer.list().map((o) => o.metadata.name)).toEqual(['a', 'b']);
    s.ctl.abort();
  });

  it('watches from the list resourceVersion and applies add, update and delete in order', async () => {
    const { watch, log, informer, ctl } = await synced([pod('a', '1')], '10');
    expect(watch.rv).toBe('10');
    log.length = 0;
    watch.emit({ type: 'ADDED', object: pod('b', '11') });
    watch.emit({ type: 'MODIFIED', object: pod('a', '12') });
    watch.emit({ type: 'DELETED', object: pod('b', '13') });
    watch.emit({ type: 'MODIFIED', object: pod('c', '14') }); // unknown key: an add
    expect(log).toEqual(['add ns/b@11', 'update ns/a@1 -> ns/a@12', 'delete ns/b@13', 'add ns/c@14']);
    expect(informer.get('ns', 'b')).toBeUndefined();
    expect(informer.list().map((o) => o.metadata.resourceVersion).sort()).toEqual(['12', '14']);
    ctl.abort();
  });

  it('re-watches from the last event resourceVersion when the stream ends, without relisting', async () => {
    const { source, watch, ctl } = await synced([], '10');
    watch.emit({ type: 'ADDED', object: pod('a', '15') });
    watch.resolve();
    const second = await waitFor('second watch', () => source.watches[1]);
    expect(second.rv).toBe('15');
    expect(source.lists).toHaveLength(1);
    ctl.abort();
  });

  it('a BOOKMARK moves the resourceVersion and tells no handler', async () => {
    const { source, watch, log, ctl } = await synced([pod('a', '1')], '10');
    log.length = 0;
    watch.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '99' } } });
    watch.resolve();
    const second = await waitFor('second watch', () => source.watches[1]);
    expect(second.rv).toBe('99');
    expect(log).toEqual([]);
    ctl.abort();
  });

  it('pauses briefly before re-watching after a stream that ended with no event', async () => {
    const { source, delay, watch, ctl } = await synced([], '10');
    watch.resolve();
    const pause = await waitFor('pause', () => delay.calls[0]);
    expect(pause.ms).toBe(100);
    expect(source.watches).toHaveLength(1);
    pause.resolve();
    expect((await waitFor('second watch', () => source.watches[1])).rv).toBe('10');
    ctl.abort();
  });

  it.each([
    {
      name: 'a 410 ERROR event',
      fail: (w: WatchCall) =>
        w.emit({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Gone', message: 'too old resource version' } as unknown as Obj }),
    },
    { name: 'an ApiError 410 from the watch request', fail: (w: WatchCall) => w.reject(new ApiError(410, 'too old resource version', { reason: 'Expired' })) },
  ])('relists after $name and emits only the difference', async ({ fail }) => {
    const { source, watch, log, informer, delay, errors, ctl } = await synced([pod('keep', '1'), pod('change', '2'), pod('gone', '3')], '10');
    watch.emit({ type: 'ADDED', object: pod('extra', '11') });
    log.length = 0;
    fail(watch);
    const relist = await waitFor('relist', () => source.lists[1]);
    relist.resolve({ items: [pod('keep', '1'), pod('change', '20'), pod('new', '21')], resourceVersion: '30' });
    const rewatch = await waitFor('watch after relist', () => source.watches[1]);
    expect(rewatch.rv).toBe('30');
    expect(log).toEqual(['delete ns/gone@3', 'delete ns/extra@11', 'update ns/change@2 -> ns/change@20', 'add ns/new@21']);
    expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['change', 'keep', 'new']);
    expect(delay.calls).toHaveLength(0); // a relist is not a failure: no backoff
    expect(errors).toEqual([]);
    ctl.abort();
  });

  it('closes the stream on an ERROR event and ignores events the source still delivers', async () => {
    const { source, watch, log, ctl } = await synced([], '10');
    watch.emit({ type: 'ADDED', object: pod('a', '11') });
    watch.emit({ type: 'ERROR', object: { kind: 'Status', code: 410 } as unknown as Obj });
    expect(watch.signal.aborted).toBe(true); // the source is told to close the stream
    watch.emit({ type: 'ADDED', object: pod('late', '11') });
    await waitFor('relist', () => source.lists[1]);
    expect(log).toEqual(['add ns/a@11']);
    ctl.abort();
  });

  it('backs off, growing, when the watch right after a list is already gone, instead of relisting in a hot loop', async () => {
    const { source, delay, watch, errors, ctl } = await synced([], '10');
    const gone = { type: 'ERROR' as const, object: { kind: 'Status', code: 410, reason: 'Gone' } as unknown as Obj };
    watch.emit(gone);
    const d0 = await waitFor('delay 0', () => delay.calls[0]);
    expect(source.lists).toHaveLength(1);
    d0.resolve();
    (await waitFor('relist 1', () => source.lists[1])).resolve({ items: [], resourceVersion: '10' });
    (await waitFor('watch 1', () => source.watches[1])).emit(gone);
    const d1 = await waitFor('delay 1', () => delay.calls[1]);
    d1.resolve();
    (await waitFor('relist 2', () => source.lists[2])).resolve({ items: [], resourceVersion: '40' });
    const w2 = await waitFor('watch 2', () => source.watches[2]);
    w2.emit({ type: 'ADDED', object: pod('a', '41') });
    w2.emit(gone); // after events: history moved on, relist at once
    await waitFor('relist 3', () => source.lists[3]);
    expect([d0.ms, d1.ms]).toEqual([100, 200]);
    expect(delay.calls).toHaveLength(2);
    expect(String(errors[0])).toMatch(/resourceVersion "10" is already gone/);
    ctl.abort();
  });

  it('backs off exponentially, capped, while the list fails, and never gives up', async () => {
    const s = setup();
    const started = s.informer.start(s.ctl.signal);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      (await waitFor(`list ${i}`, () => s.source.lists[i])).reject(new Error(`connect ECONNREFUSED (${i})`));
      const d = await waitFor(`delay ${i}`, () => s.delay.calls[i]);
      seen.push(d.ms);
      d.resolve();
    }
    expect(seen).toEqual([100, 200, 300, 300, 300]);
    expect(s.errors).toHaveLength(5);
    expect(String(s.errors[0])).toMatch(/list failed: connect ECONNREFUSED \(0\)/);
    expect(s.informer.hasSynced()).toBe(false);
    (await waitFor('list 5', () => s.source.lists[5])).resolve({ items: [pod('a', '1')], resourceVersion: '5' });
    await started;
    expect(s.log).toEqual(['add ns/a@1']);
    s.ctl.abort();
  });

  it('backs off after watch failures and starts afresh once a stream delivers events', async () => {
    const { source, delay, watch, errors, ctl } = await synced([], '10');
    watch.reject(new Error('socket hang up'));
    const d0 = await waitFor('delay 0', () => delay.calls[0]);
    d0.resolve();
    const w1 = await waitFor('watch 1', () => source.watches[1]);
    w1.emit({ type: 'ERROR', object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd down' } as unknown as Obj });
    const d1 = await waitFor('delay 1', () => delay.calls[1]);
    d1.resolve();
    const w2 = await waitFor('watch 2', () => source.watches[2]);
    w2.emit({ type: 'ADDED', object: pod('a', '11') });
    w2.reject(new Error('socket hang up'));
    const d2 = await waitFor('delay 2', () => delay.calls[2]);
    expect([d0.ms, d1.ms, d2.ms]).toEqual([100, 200, 100]);
    expect(w2.rv).toBe('10');
    expect(source.lists).toHaveLength(1);
    expect(errors.map(String)).toEqual([
      expect.stringMatching(/watch failed: socket hang up/),
      expect.stringMatching(/watch ERROR event: 500 InternalError etcd down/),
      expect.stringMatching(/watch failed: socket hang up/),
    ]);
    d2.resolve();
    expect((await waitFor('watch 3', () => source.watches[3])).rv).toBe('11');
    ctl.abort();
  });

  it('stops when the signal aborts: the open watch is aborted and nothing more is asked', async () => {
    const { source, delay, watch, ctl } = await synced([], '10');
    ctl.abort();
    expect(watch.signal.aborted).toBe(true);
    watch.reject(new DOMException('aborted', 'AbortError'));
    await settle();
    expect(source.watches).toHaveLength(1);
    expect(source.lists).toHaveLength(1);
    expect(delay.calls).toHaveLength(0);
  });

  it('start rejects when aborted before the first list is in', async () => {
    const s = setup();
    const started = s.informer.start(s.ctl.signal);
    await waitFor('list', () => s.source.lists[0]);
    s.ctl.abort(new Error('shutting down'));
    await expect(started).rejects.toThrow('shutting down');
    s.source.lists[0]?.resolve({ items: [pod('a', '1')], resourceVersion: '1' });
    await settle();
    expect(s.informer.hasSynced()).toBe(false);
    expect(s.source.watches).toHaveLength(0);
  });

  it('replays the cache as adds to a handler registered after sync, and unsubscribing stops delivery', async () => {
    const { informer, watch, ctl } = await synced([pod('a', '1'), pod('b', '2')], '10');
    const late = recorder();
    const off = informer.on(late.handler);
    expect(late.log).toEqual(['add ns/a@1', 'add ns/b@2']);
    watch.emit({ type: 'MODIFIED', object: pod('a', '3') });
    off();
    watch.emit({ type: 'MODIFIED', object: pod('b', '4') });
    expect(late.log).toEqual(['add ns/a@1', 'add ns/b@2', 'update ns/a@1 -> ns/a@3']);
    ctl.abort();
  });

  it('a throwing handler is reported and does not stop other handlers or the cache', async () => {
    const { informer, watch, errors, log, ctl } = await synced([], '10');
    informer.on({
      add: () => {
        throw new Error('boom');
      },
      update: () => {},
      delete: () => {},
    });
    watch.emit({ type: 'ADDED', object: pod('a', '11') });
    expect(log).toEqual(['add ns/a@11']);
    expect(informer.get('ns', 'a')).toBeDefined();
    expect(String(errors[0])).toMatch(/event handler threw: boom/);
    ctl.abort();
  });

  it('keys cluster-scoped objects by name alone', async () => {
    const { informer, watch, ctl } = await synced([{ metadata: { name: 'node-1', resourceVersion: '1' } }], '10');
    watch.emit({ type: 'ADDED', object: { metadata: { name: 'node-2', resourceVersion: '11' } } });
    expect(informer.get('', 'node-1')).toBeDefined();
    expect(informer.get('', 'node-2')).toBeDefined();
    ctl.abort();
  });

  it('resync re-delivers every cached object as an update to itself', async () => {
    const { delay, log, ctl } = await synced([pod('a', '1')], '10', { resyncMs: 60_000 });
    log.length = 0;
    const tick = await waitFor('resync delay', () => delay.calls.find((c) => c.ms === 60_000));
    tick.resolve();
    await waitFor('resync', () => (log.length > 0 ? log : undefined));
    expect(log).toEqual(['update ns/a@1 -> ns/a@1']);
    ctl.abort();
  });
});

describe('listWatchFor', () => {
  it('lists with paging and selectors, and watches from the given resourceVersion with bookmarks', async () => {
    const calls: Array<{ op: string; args: unknown[] }> = [];
    const client = {
      list: async (...args: unknown[]) => {
        calls.push({ op: 'list', args });
        return { items: [], resourceVersion: '7' };
      },
      watch: async (...args: unknown[]) => {
        calls.push({ op: 'watch', args });
      },
    } as unknown as Pick<KubeClient, 'list' | 'watch'>;
    const src = listWatchFor(client, Pods, { namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' });
    const signal = new AbortController().signal;
    await src.list(signal);
    await src.watch('7', () => {}, signal);
    const [list, watch] = calls;
    expect(list?.args[0]).toBe(Pods);
    expect(list?.args[1]).toMatchObject({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns', pageSize: 500 });
    expect(watch?.args[0]).toBe('/api/v1/namespaces/kube-system/pods');
    const q = watch?.args[1] as Record<string, unknown>;
    expect(q).toMatchObject({ resourceVersion: '7', allowWatchBookmarks: true, labelSelector: 'k8s-app=kube-dns' });
    expect(q['timeoutSeconds']).toBeGreaterThanOrEqual(300);
    expect(q['timeoutSeconds']).toBeLessThan(600);
  });

  it('refuses a namespace for a cluster-scoped resource', () => {
    const client = { list: async () => ({ items: [], resourceVersion: '' }), watch: async () => {} } as unknown as Pick<KubeClient, 'list' | 'watch'>;
    expect(() => listWatchFor(client, Nodes, { namespace: 'x' })).toThrow(/cluster-scoped/);
  });
});
