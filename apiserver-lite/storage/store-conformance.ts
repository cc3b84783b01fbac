// The behaviour every Store backend must share, as a vitest suite that each
// backend's test file runs against its own factory. An etcd backend runs the
// same suite: if it passes, the API layer cannot tell the backends apart.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CompactedError,
  KeyExistsError,
  NotFoundError,
  RevisionConflictError,
  type KeyValue,
  type Store,
  type StoreEvent,
} from './store.js';

/** A short summary of an event, for readable assertions. */
export interface EventSummary {
  type: StoreEvent['type'];
  key: string;
  value: string;
  revision: number;
  prev?: string;
}

export function summarize(ev: StoreEvent): EventSummary {
  const s: EventSummary = { type: ev.type, key: ev.kv.key, value: ev.kv.value, revision: ev.revision };
  if (ev.prevKv !== undefined) s.prev = ev.prevKv.value;
  return s;
}

/**
 * Records what a watch handler receives: the batches (one per handler call)
 * and the flat event list. `waitFor(n)` resolves once n events are in and
 * fails with what arrived when they do not come.
 */
export class WatchRecorder {
  readonly batches: StoreEvent[][] = [];
  readonly events: StoreEvent[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  readonly handler = (events: readonly StoreEvent[]): void => {
    this.batches.push([...events]);
    this.events.push(...events);
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length < w.n) return true;
      w.resolve();
      return false;
    });
  };

  waitFor(n: number, timeoutMs = 2000): Promise<void> {
    if (this.events.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`waited for ${n} events, got ${JSON.stringify(this.events.map(summarize))}`));
      }, timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  summaries(): EventSummary[] {
    return this.events.map(summarize);
  }
}

function keysOf(items: readonly KeyValue[]): string[] {
  return items.map((kv) => kv.key);
}

export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<Store>,
  cleanup?: (store: Store) => Promise<void> | void,
): void {
  describe(`${name} store conformance`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.(store);
    });

    describe('reads and compare-and-swap writes', () => {
      it('starts empty at revision 0', async () => {
        expect(await store.currentRevision()).toBe(0);
        expect(await store.compactedRevision()).toBe(0);
        expect(await store.get('/a')).toBeUndefined();
        expect(await store.list('/')).toEqual({ items: [], revision: 0, more: false, remaining: 0 });
      });

      it('create stores the value at the next revision and get returns it', async () => {
        const kv = await store.create('/r/pods/default/web', '{"v":1}');
        expect(kv).toEqual({ key: '/r/pods/default/web', value: '{"v":1}', createRevision: 1, modRevision: 1 });
        expect(await store.get('/r/pods/default/web')).toEqual(kv);
      });

      it('create of an existing key fails with KeyExistsError and keeps the value', async () => {
        await store.create('/a', 'one');
        await expect(store.create('/a', 'two')).rejects.toBeInstanceOf(KeyExistsError);
        expect((await store.get('/a'))?.value).toBe('one');
      });

      it('update at the current modRevision replaces the value and keeps createRevision', async () => {
        await store.create('/other', 'x');
        const created = await store.create('/a', 'one');
        const updated = await store.update('/a', 'two', created.modRevision);
        expect(updated).toEqual({ key: '/a', value: 'two', createRevision: 2, modRevision: 3 });
        expect(await store.get('/a')).toEqual(updated);
      });

      it('update at a stale modRevision fails with RevisionConflictError naming both revisions', async () => {
        const created = await store.create('/a', 'one');
        await store.update('/a', 'two', created.modRevision);
        const err = await store.update('/a', 'three', created.modRevision).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RevisionConflictError);
        expect(err).toMatchObject({ key: '/a', expected: 1, actual: 2 });
        expect((await store.get('/a'))?.value).toBe('two');
      });

      it.each([
        { op: 'update', run: (s: Store) => s.update('/missing', 'v', 1) },
        { op: 'delete', run: (s: Store) => s.delete('/missing') },
        { op: 'delete with a revision', run: (s: Store) => s.delete('/missing', 1) },
      ])('$op of a missing key fails with NotFoundError', async ({ run }) => {
        await expect(run(store)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('delete returns the old value with the deletion revision and removes the key', async () => {
        await store.create('/a', 'one');
        const deleted = await store.delete('/a');
        expect(deleted).toEqual({ key: '/a', value: 'one', createRevision: 1, modRevision: 2 });
        expect(await store.get('/a')).toBeUndefined();
        // A deleted key can be created again, with a new createRevision.
        expect(await store.create('/a', 'again')).toMatchObject({ createRevision: 3, modRevision: 3 });
      });

      it('delete at a stale modRevision fails and keeps the key', async () => {
        const created = await store.create('/a', 'one');
        await store.update('/a', 'two', created.modRevision);
        await expect(store.delete('/a', created.modRevision)).rejects.toBeInstanceOf(RevisionConflictError);
        expect((await store.get('/a'))?.value).toBe('two');
        await expect(store.delete('/a', 2)).resolves.toMatchObject({ value: 'two', modRevision: 3 });
      });

      it('every successful write advances the revision by exactly 1; failed writes do not', async () => {
        const seen: number[] = [];
        const a = await store.create('/a', '1');
        seen.push(await store.currentRevision());
        await store.create('/a', 'dup').catch(() => undefined);
        seen.push(await store.currentRevision());
        const a2 = await store.update('/a', '2', a.modRevision);
        seen.push(await store.currentRevision());
        await store.update('/a', '3', a.modRevision).catch(() => undefined);
        seen.push(await store.currentRevision());
        await store.create('/b', '1');
        seen.push(await store.currentRevision());
        await store.delete('/a', a2.modRevision);
        seen.push(await store.currentRevision());
        await store.delete('/a').catch(() => undefined);
        seen.push(await store.currentRevision());
        expect(seen).toEqual([1, 1, 2, 2, 3, 4, 4]);
      });

      it('concurrent creates of the same key: exactly one wins', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.create('/race', `writer-${i}`)),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const r of lost) expect(r.reason).toBeInstanceOf(KeyExistsError);
        expect(await store.currentRevision()).toBe(1);
        const winner = (won[0] as PromiseFulfilledResult<KeyValue>).value;
        expect(await store.get('/race')).toEqual(winner);
      });

      it('concurrent updates at the same revision: exactly one wins', async () => {
        const created = await store.create('/a', 'v0');
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, (_, i) => store.update('/a', `v${i + 1}`, created.modRevision)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await store.currentRevision()).toBe(2);
      });
    });

    describe('list', () => {
      it('returns only keys under the prefix, sorted ("/a/b/" does not match "/a/bc/x")', async () => {
        for (const key of ['/a/bc/x', '/a/b/z', '/a/b', '/a/b/x', '/a/c/x', '/a/b/y/deep', '/b/x']) {
          await store.create(key, key);
        }
        const result = await store.list('/a/b/');
        expect(keysOf(result.items)).toEqual(['/a/b/x', '/a/b/y/deep', '/a/b/z']);
        expect(result).toMatchObject({ revision: 7, more: false, remaining: 0 });
        expect(keysOf((await store.list('/a/bc/')).items)).toEqual(['/a/bc/x']);
        expect(keysOf((await store.list('')).items)).toHaveLength(7);
      });

      it('pages with limit and startKey; remaining counts the keys after the page', async () => {
        const keys = ['/p/a', '/p/b', '/p/c', '/p/d', '/p/e'];
        for (const key of keys) await store.create(key, key);
        await store.create('/q/a', 'outside');

        const first = await store.list('/p/', { limit: 2 });
        expect(keysOf(first.items)).toEqual(['/p/a', '/p/b']);
        expect(first).toMatchObject({ more: true, remaining: 3, revision: 6 });

        const second = await store.list('/p/', { limit: 2, startKey: '/p/b\0' });
        expect(keysOf(second.items)).toEqual(['/p/c', '/p/d']);
        expect(second).toMatchObject({ more: true, remaining: 1 });

        const last = await store.list('/p/', { limit: 2, startKey: '/p/e' });
        expect(keysOf(last.items)).toEqual(['/p/e']);
        expect(last).toMatchObject({ more: false, remaining: 0 });

        // A limit that fits exactly is not "more".
        expect(await store.list('/p/', { limit: 5 })).toMatchObject({ more: false, remaining: 0 });
      });

      it('a startKey before the prefix starts at the prefix', async () => {
        await store.create('/a', 'x');
        await store.create('/p/a', 'y');
        expect(keysOf((await store.list('/p/', { startKey: '/' })).items)).toEqual(['/p/a']);
        expect((await store.list('/p/', { startKey: '/q' })).items).toEqual([]);
      });

      // History: 1 create a, 2 create b, 3 update a, 4 delete b, 5 create c, 6 create z (outside), 7 update c
      const historyCases: { revision: number; want: Record<string, string> }[] = [
        { revision: 1, want: { '/h/a': 'a1' } },
        { revision: 2, want: { '/h/a': 'a1', '/h/b': 'b1' } },
        { revision: 3, want: { '/h/a': 'a2', '/h/b': 'b1' } },
        { revision: 4, want: { '/h/a': 'a2' } },
        { revision: 5, want: { '/h/a': 'a2', '/h/c': 'c1' } },
        { revision: 6, want: { '/h/a': 'a2', '/h/c': 'c1' } },
        { revision: 7, want: { '/h/a': 'a2', '/h/c': 'c2' } },
      ];

      async function writeHistory(s: Store): Promise<void> {
        const a = await s.create('/h/a', 'a1');
        await s.create('/h/b', 'b1');
        await s.update('/h/a', 'a2', a.modRevision);
        await s.delete('/h/b');
        const c = await s.create('/h/c', 'c1');
        await s.create('/z', 'outside');
        await s.update('/h/c', 'c2', c.modRevision);
      }

      it.each(historyCases)('at revision $revision returns the state of that revision', async ({ revision, want }) => {
        await writeHistory(store);
        const result = await store.list('/h/', { revision });
        expect(result.revision).toBe(revision);
        expect(Object.fromEntries(result.items.map((kv) => [kv.key, kv.value]))).toEqual(want);
        for (const kv of result.items) expect(kv.modRevision).toBeLessThanOrEqual(revision);
      });

      it('pages through an older revision while newer writes happen', async () => {
        for (const key of ['/p/a', '/p/b', '/p/c', '/p/d', '/p/e']) await store.create(key, `${key}@1`);
        const first = await store.list('/p/', { limit: 2 });
        const at = first.revision;
        // After the first page: delete a listed key, delete an unlisted one,
        // change one, add one between the pages.
        await store.delete('/p/a');
        await store.delete('/p/d');
        const c = await store.get('/p/c');
        await store.update('/p/c', '/p/c@2', c?.modRevision ?? 0);
        await store.create('/p/bb', 'new');

        const second = await store.list('/p/', { revision: at, limit: 2, startKey: '/p/b\0' });
        expect(second.items.map((kv) => kv.value)).toEqual(['/p/c@1', '/p/d@1']);
        expect(second).toMatchObject({ revision: at, more: true, remaining: 1 });
        const third = await store.list('/p/', { revision: at, limit: 2, startKey: '/p/d\0' });
        expect(third.items.map((kv) => kv.value)).toEqual(['/p/e@1']);
        expect(third).toMatchObject({ more: false, remaining: 0 });
        // Keys after this page changed since: "/p/bb" and "/p/c" exist now, "/p/d" existed then.
        const head = await store.list('/p/', { revision: at, limit: 1 });
        expect(keysOf(head.items)).toEqual(['/p/a']);
        expect(head).toMatchObject({ more: true, remaining: 4 });
        const whole = await store.list('/p/', { revision: at, limit: 4 });
        expect(keysOf(whole.items)).toEqual(['/p/a', '/p/b', '/p/c', '/p/d']);
        expect(whole).toMatchObject({ more: true, remaining: 1 });
      });

      it('at a compacted revision fails with CompactedError; at the compacted revision itself works', async () => {
        await writeHistory(store);
        await store.compact(3);
        expect(await store.compactedRevision()).toBe(3);
        await expect(store.list('/h/', { revision: 2 })).rejects.toBeInstanceOf(CompactedError);
        const at3 = await store.list('/h/', { revision: 3 });
        expect(at3.items.map((kv) => kv.value)).toEqual(['a2', 'b1']);
      });

      it('at a future revision fails', async () => {
        await store.create('/a', 'x');
        await expect(store.list('/', { revision: 5 })).rejects.toThrow(/future/);
      });
    });

    describe('watch', () => {
      it('replays history after fromRevision, then streams live events in order', async () => {
        const a = await store.create('/w/a', 'a1'); // 1
        await store.update('/w/a', 'a2', a.modRevision); // 2
        await store.create('/x/outside', 'x'); // 3
        await store.create('/w/b', 'b1'); // 4
        const rec = new WatchRecorder();
        await store.watch('/w/', 1, rec.handler);
        await rec.waitFor(2);
        await store.create('/w/c', 'c1'); // 5
        await store.delete('/w/b'); // 6
        await store.create('/x/outside2', 'x'); // 7
        await store.create('/w/d', 'd1'); // 8
        await rec.waitFor(5);
        expect(rec.summaries()).toEqual([
          { type: 'put', key: '/w/a', value: 'a2', revision: 2, prev: 'a1' },
          { type: 'put', key: '/w/b', value: 'b1', revision: 4 },
          { type: 'put', key: '/w/c', value: 'c1', revision: 5 },
          { type: 'delete', key: '/w/b', value: 'b1', revision: 6, prev: 'b1' },
          { type: 'put', key: '/w/d', value: 'd1', revision: 8 },
        ]);
      });

      it('from the current revision delivers only new events', async () => {
        await store.create('/w/a', 'old');
        const rec = new WatchRecorder();
        await store.watch('/w/', await store.currentRevision(), rec.handler);
        await store.create('/w/b', 'new');
        await rec.waitFor(1);
        expect(rec.summaries()).toEqual([{ type: 'put', key: '/w/b', value: 'new', revision: 2 }]);
      });

      it('from a future revision delivers only events after it', async () => {
        await store.create('/w/a', 'x');
        const rec = new WatchRecorder();
        await store.watch('/w/', 3, rec.handler);
        for (const key of ['/w/b', '/w/c', '/w/d']) await store.create(key, 'x');
        await rec.waitFor(1);
        expect(rec.events.map((e) => e.revision)).toEqual([4]);
      });

      it('writes made right after watch() returns come after the replay, none lost or repeated', async () => {
        await store.create('/w/0', 'x');
        const rec = new WatchRecorder();
        await store.watch('/w/', 0, rec.handler);
        for (let i = 1; i <= 20; i++) await store.create(`/w/${i}`, 'x');
        await rec.waitFor(21);
        expect(rec.events.map((e) => e.revision)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      });

      it('a delete event carries the old value, its create revision and the deletion revision', async () => {
        const created = await store.create('/w/a', 'one');
        const updated = await store.update('/w/a', 'two', created.modRevision);
        const rec = new WatchRecorder();
        await store.watch('/w/', updated.modRevision, rec.handler);
        await store.delete('/w/a');
        await rec.waitFor(1);
        const ev = rec.events[0] as StoreEvent;
        expect(ev.type).toBe('delete');
        expect(ev.revision).toBe(3);
        expect(ev.kv).toEqual({ key: '/w/a', value: 'two', createRevision: 1, modRevision: 3 });
        expect(ev.prevKv).toEqual({ key: '/w/a', value: 'two', createRevision: 1, modRevision: 2 });
      });

      it('watch prefixes are isolated like list prefixes', async () => {
        const rec = new WatchRecorder();
        await store.watch('/a/b/', 0, rec.handler);
        await store.create('/a/bc/x', 'no');
        await store.create('/a/b', 'no');
        await store.create('/a/b/x', 'yes');
        await rec.waitFor(1);
        expect(rec.summaries().map((s) => s.key)).toEqual(['/a/b/x']);
      });

      it('from a compacted revision fails with CompactedError; from the compacted revision works', async () => {
        for (let i = 1; i <= 5; i++) await store.create(`/w/${i}`, 'x');
        await store.compact(3);
        const err = await store.watch('/w/', 2, () => undefined).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CompactedError);
        expect(err).toMatchObject({ requested: 2, compacted: 3 });
        const rec = new WatchRecorder();
        await store.watch('/w/', 3, rec.handler);
        await rec.waitFor(2);
        expect(rec.events.map((e) => e.revision)).toEqual([4, 5]);
      });

      it('handlers of one write each get it once, in one call', async () => {
        const recs = [new WatchRecorder(), new WatchRecorder(), new WatchRecorder()];
        await store.watch('/w/', 0, (recs[0] as WatchRecorder).handler);
        await store.watch('/w/', 0, (recs[1] as WatchRecorder).handler);
        await store.watch('/', 0, (recs[2] as WatchRecorder).handler);
        await store.create('/w/a', 'x');
        // A second write fences the first: once it arrives, any duplicate of the first would have too.
        await store.create('/w/b', 'y');
        for (const rec of recs) {
          await rec.waitFor(2);
          expect(rec.events.map((e) => e.revision)).toEqual([1, 2]);
          for (const batch of rec.batches) expect(batch.length).toBeGreaterThan(0);
        }
      });

      it('unsubscribe stops delivery to that watcher only', async () => {
        const stopped = new WatchRecorder();
        const kept = new WatchRecorder();
        const stop = await store.watch('/w/', 0, stopped.handler);
        await store.watch('/w/', 0, kept.handler);
        await store.create('/w/a', 'x');
        await stopped.waitFor(1);
        stop();
        await store.create('/w/b', 'y');
        await kept.waitFor(2);
        expect(stopped.events.map((e) => e.revision)).toEqual([1]);
        stop(); // a second call is harmless
      });

      it('unsubscribing before queued events are delivered drops them', async () => {
        const rec = new WatchRecorder();
        const fence = new WatchRecorder();
        const stop = await store.watch('/w/', 0, rec.handler);
        await store.watch('/w/', 0, fence.handler);
        const pending = store.create('/w/a', 'x');
        stop();
        await pending;
        await fence.waitFor(1);
        expect(rec.events).toEqual([]);
      });

      it('a throwing handler breaks neither the store nor other watchers', async () => {
        let calls = 0;
        await store.watch('/w/', 0, () => {
          calls++;
          throw new Error('handler bug');
        });
        const rec = new WatchRecorder();
        await store.watch('/w/', 0, rec.handler);
        await expect(store.create('/w/a', 'x')).resolves.toMatchObject({ modRevision: 1 });
        await store.create('/w/b', 'y');
        await rec.waitFor(2);
        expect(rec.events.map((e) => e.revision)).toEqual([1, 2]);
        expect(calls).toBeGreaterThanOrEqual(1);
        expect(await store.currentRevision()).toBe(2);
      });

      it('a handler may write to the store; the resulting event follows in order', async () => {
        const rec = new WatchRecorder();
        await store.watch('/w/', 0, (events) => {
          for (const ev of events) {
            if (ev.kv.key === '/w/ping') void store.create('/w/pong', 'reply');
          }
        });
        await store.watch('/w/', 0, rec.handler);
        await store.create('/w/ping', 'x');
        await rec.waitFor(2);
        expect(rec.summaries().map((s) => [s.key, s.revision])).toEqual([
          ['/w/ping', 1],
          ['/w/pong', 2],
        ]);
      });
    });

    describe('compact', () => {
      it('raises compactedRevision, ignores older revisions and refuses the future', async () => {
        for (let i = 1; i <= 4; i++) await store.create(`/c/${i}`, 'x');
        await store.compact(3);
        await store.compact(1);
        expect(await store.compactedRevision()).toBe(3);
        await expect(store.compact(9)).rejects.toThrow(/current revision is 4/);
        // Data is untouched by compaction; only history goes.
        expect(keysOf((await store.list('/c/')).items)).toEqual(['/c/1', '/c/2', '/c/3', '/c/4']);
        expect(await store.currentRevision()).toBe(4);
      });
    });
  });
}
