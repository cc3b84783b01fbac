import { describe, expect, it } from 'vitest';
import { MemoryStore, prefixEnd } from './memory-store.js';
import { CompactedError } from './store.js';
import { describeStoreConformance, WatchRecorder } from './store-conformance.js';

describeStoreConformance('memory', async () => new MemoryStore());

describe('MemoryStore history limit', () => {
  it('evicts the oldest events and counts them as compacted', async () => {
    const store = new MemoryStore({ historyLimit: 3 });
    for (let i = 1; i <= 5; i++) await store.create(`/k/${i}`, 'x');
    expect(await store.compactedRevision()).toBe(2);
    await expect(store.watch('/k/', 1, () => undefined)).rejects.toBeInstanceOf(CompactedError);
    await expect(store.list('/k/', { revision: 1 })).rejects.toBeInstanceOf(CompactedError);

    const rec = new WatchRecorder();
    await store.watch('/k/', 2, rec.handler);
    await rec.waitFor(3);
    expect(rec.events.map((e) => e.revision)).toEqual([3, 4, 5]);
    expect((await store.list('/k/', { revision: 2 })).items.map((kv) => kv.key)).toEqual(['/k/1', '/k/2']);
  });

  it('keeps working across many evictions', async () => {
    const store = new MemoryStore({ historyLimit: 4 });
    for (let i = 1; i <= 50; i++) await store.create(`/k/${String(i).padStart(2, '0')}`, 'x');
    expect(await store.compactedRevision()).toBe(46);
    const rec = new WatchRecorder();
    await store.watch('/k/', 46, rec.handler);
    await rec.waitFor(4);
    expect(rec.events.map((e) => e.revision)).toEqual([47, 48, 49, 50]);
  });

  it('rejects a history limit below 1', () => {
    expect(() => new MemoryStore({ historyLimit: 0 })).toThrow(/historyLimit/);
  });

  it('reports handler errors to onWatchError', async () => {
    const errors: unknown[] = [];
    const store = new MemoryStore({ onWatchError: (err) => errors.push(err) });
    const rec = new WatchRecorder();
    await store.watch('/', 0, () => {
      throw new Error('boom');
    });
    await store.watch('/', 0, rec.handler);
    await store.create('/a', 'x');
    await rec.waitFor(1);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('refuses operations after close', async () => {
    const store = new MemoryStore();
    await store.close();
    await expect(store.get('/a')).rejects.toThrow(/closed/);
  });
});

describe('prefixEnd', () => {
  it.each([
    { prefix: '/a/b/', want: '/a/b0' },
    { prefix: 'a', want: 'b' },
    { prefix: '', want: undefined },
    { prefix: 'a\uffff', want: 'b' },
    { prefix: '\uffff', want: undefined },
  ])('of $prefix is $want', ({ prefix, want }) => {
    expect(prefixEnd(prefix)).toBe(want);
  });
});
