import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore as openStoreOfKind } from './index.js';
import { SqliteStore } from './sqlite-store.js';
import {
  CompactedError,
  KeyExistsError,
  NotFoundError,
  RevisionConflictError,
  type KeyValue,
  type Store,
} from './store.js';
import { describeStoreConformance, summarize, WatchRecorder } from './store-conformance.js';
import { DEFAULT_MAX_BATCH } from './write-batch.js';

const dirs = new Map<Store, string>();

describeStoreConformance(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netkube-sqlite-store-'));
    const store = SqliteStore.open(join(dir, 'netkube.db'));
    dirs.set(store, dir);
    return store;
  },
  (store) => {
    const dir = dirs.get(store);
    dirs.delete(store);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
);

describe('SqliteStore on disk', () => {
  let dir: string;
  let file: string;
  const open: SqliteStore[] = [];

  function openStore(): SqliteStore {
    const store = SqliteStore.open(file);
    open.push(store);
    return store;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netkube-sqlite-store-'));
    file = join(dir, 'netkube.db');
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reopened file has the data, the revision, the compaction point and the history', async () => {
    const first = openStore();
    const a = await first.create('/r/a', 'a1'); // 1
    await first.create('/r/b', 'b1'); // 2
    await first.update('/r/a', 'a2', a.modRevision); // 3
    await first.delete('/r/b'); // 4
    await first.create('/r/c', 'c1'); // 5
    await first.compact(1);
    await first.close();

    const second = openStore();
    expect(await second.currentRevision()).toBe(5);
    expect(await second.compactedRevision()).toBe(1);
    expect((await second.list('/r/')).items).toEqual([
      { key: '/r/a', value: 'a2', createRevision: 1, modRevision: 3 },
      { key: '/r/c', value: 'c1', createRevision: 5, modRevision: 5 },
    ]);
    expect((await second.list('/r/', { revision: 2 })).items.map((kv) => kv.value)).toEqual(['a1', 'b1']);
    await expect(second.watch('/r/', 0, () => undefined)).rejects.toBeInstanceOf(CompactedError);

    const rec = new WatchRecorder();
    await second.watch('/r/', 2, rec.handler);
    await second.create('/r/d', 'd1'); // 6: revisions continue where they were
    await rec.waitFor(4);
    expect(rec.summaries()).toEqual([
      { type: 'put', key: '/r/a', value: 'a2', revision: 3, prev: 'a1' },
      { type: 'delete', key: '/r/b', value: 'b1', revision: 4, prev: 'b1' },
      { type: 'put', key: '/r/c', value: 'c1', revision: 5 },
      { type: 'put', key: '/r/d', value: 'd1', revision: 6 },
    ]);
  });

  it('a write that threw changed nothing, also on disk', async () => {
    const store = openStore();
    const a = await store.create('/r/a', 'a1');
    await store.update('/r/a', 'a2', a.modRevision);
    const countRows = (): { kv: unknown; events: unknown } => {
      const db = new Database(file, { readonly: true });
      try {
        return {
          kv: db.prepare('SELECT key, value, mod_revision FROM kv ORDER BY key').all(),
          events: db.prepare('SELECT revision FROM events ORDER BY revision').all(),
        };
      } finally {
        db.close();
      }
    };
    const before = countRows();

    await expect(store.update('/r/a', 'stale', a.modRevision)).rejects.toBeInstanceOf(RevisionConflictError);
    await expect(store.delete('/r/a', a.modRevision)).rejects.toBeInstanceOf(RevisionConflictError);
    await expect(store.create('/r/a', 'dup')).rejects.toThrow(/already exists/);

    expect(countRows()).toEqual(before);
    expect(await store.currentRevision()).toBe(2);
    await store.close();
    const reopened = openStore();
    expect(await reopened.currentRevision()).toBe(2);
    expect(await reopened.get('/r/a')).toMatchObject({ value: 'a2', modRevision: 2 });
  });

  it('keeps the file in WAL mode', async () => {
    const store = openStore();
    await store.create('/a', 'x');
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('openStore puts the sqlite file at <dataDir>/netkube.db, creating the directory', async () => {
    const dataDir = join(dir, 'data');
    const store = openStoreOfKind('sqlite', dataDir);
    expect(store.backend).toBe('sqlite');
    await store.create('/a', 'x');
    await store.close();
    expect(existsSync(join(dataDir, 'netkube.db'))).toBe(true);
  });

  it('openStore("memory") ignores the data directory', async () => {
    const store = openStoreOfKind('memory', join(dir, 'unused'));
    expect(store.backend).toBe('memory');
    await store.close();
    expect(existsSync(join(dir, 'unused'))).toBe(false);
  });

  it('openStore("etcd") says it is not implemented yet', () => {
    expect(() => openStoreOfKind('etcd', dir)).toThrow(/--store etcd is not implemented yet/);
  });

  it('refuses a file written by a newer schema', async () => {
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => SqliteStore.open(file)).toThrow(/schema version 99/);
  });
});

describe('SqliteStore group commit', () => {
  let dir: string;
  let file: string;
  const open: SqliteStore[] = [];

  function openStore(): SqliteStore {
    const store = SqliteStore.open(file);
    open.push(store);
    return store;
  }

  /** Runs sql on a second connection to the store's file (the store's own is private). */
  function onSide<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  /** Makes every transaction that logs an event for `key` fail, like a full disk would. */
  function failWritesOf(key: string): void {
    onSide((db) =>
      db.exec(`CREATE TRIGGER fail_batch BEFORE INSERT ON events WHEN NEW.key = '${key}'
               BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`),
    );
  }

  function settledValues(results: PromiseSettledResult<KeyValue>[]): (number | string)[] {
    return results.map((r) => (r.status === 'fulfilled' ? r.value.modRevision : (r.reason as Error).constructor.name));
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netkube-sqlite-batch-'));
    file = join(dir, 'netkube.db');
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes issued in one tick get consecutive revisions in call order, across several batches', async () => {
    const store = openStore();
    const n = DEFAULT_MAX_BATCH * 2 + 50;
    const written = await Promise.all(Array.from({ length: n }, (_, i) => store.create(`/b/${i}`, `v${i}`)));
    expect(written.map((kv) => kv.modRevision)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(await store.currentRevision()).toBe(n);
    expect((await store.list('/b/')).items).toHaveLength(n);
    expect(await store.get('/b/7')).toEqual({ key: '/b/7', value: 'v7', createRevision: 8, modRevision: 8 });
  });

  it('each write of a batch is checked against the state the writes before it left; a failing one fails alone', async () => {
    const store = openStore();
    const results = await Promise.allSettled([
      store.create('/a', 'a1'), // 1
      store.create('/a', 'dup'),
      store.update('/a', 'a2', 1), // 2
      store.update('/a', 'stale', 1),
      store.delete('/b'),
      store.delete('/a', 2), // 3
      store.create('/a', 'again'), // 4
      store.update('/missing', 'x', 1),
    ]);
    expect(settledValues(results)).toEqual([
      1,
      'KeyExistsError',
      2,
      'RevisionConflictError',
      'NotFoundError',
      3,
      4,
      'NotFoundError',
    ]);
    const conflict = results[3] as PromiseRejectedResult;
    expect(conflict.reason).toBeInstanceOf(RevisionConflictError);
    expect(conflict.reason).toMatchObject({ key: '/a', expected: 1, actual: 2 });
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(KeyExistsError);
    expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect(await store.currentRevision()).toBe(4);
    expect(await store.get('/a')).toEqual({ key: '/a', value: 'again', createRevision: 4, modRevision: 4 });
    const logged = onSide((db) => db.prepare('SELECT revision, key, type FROM events ORDER BY revision').all());
    expect(logged).toEqual([
      { revision: 1, key: '/a', type: 'put' },
      { revision: 2, key: '/a', type: 'put' },
      { revision: 3, key: '/a', type: 'delete' },
      { revision: 4, key: '/a', type: 'put' },
    ]);
  });

  it('the events of a batch reach a watcher in revision order, in one handler call, without the failed writes', async () => {
    const store = openStore();
    await store.create('/w/seed', 's'); // 1
    const rec = new WatchRecorder();
    await store.watch('/w/', 1, rec.handler);
    await Promise.allSettled([
      store.create('/w/a', 'a1'), // 2
      store.update('/w/seed', 's2', 1), // 3
      store.create('/w/a', 'dup'),
      store.update('/w/a', 'a2', 2), // 4
      store.delete('/w/seed', 1),
      store.delete('/w/seed'), // 5
      store.create('/w/b', 'b1'), // 6
    ]);
    await rec.waitFor(5);
    expect(rec.summaries()).toEqual([
      { type: 'put', key: '/w/a', value: 'a1', revision: 2 },
      { type: 'put', key: '/w/seed', value: 's2', revision: 3, prev: 's' },
      { type: 'put', key: '/w/a', value: 'a2', revision: 4, prev: 'a1' },
      { type: 'delete', key: '/w/seed', value: 's2', revision: 5, prev: 's2' },
      { type: 'put', key: '/w/b', value: 'b1', revision: 6 },
    ]);
    expect(rec.batches).toHaveLength(1);
    // A watch started later replays the same history from the file.
    const late = new WatchRecorder();
    await store.watch('/w/', 1, late.handler);
    await late.waitFor(5);
    expect(late.events.map(summarize)).toEqual(rec.summaries());
  });

  it('a batch whose transaction fails rejects every write in it and leaves store and file unchanged', async () => {
    const store = openStore();
    await store.create('/a', 'a1'); // 1
    const rec = new WatchRecorder();
    await store.watch('/', 1, rec.handler);
    failWritesOf('/boom');

    const results = await Promise.allSettled([
      store.create('/x', 'x'),
      store.update('/a', 'a2', 1),
      store.create('/a', 'dup'),
      store.create('/boom', 'b'),
      store.create('/y', 'y'),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ message: 'simulated disk failure' });
    }
    expect(await store.currentRevision()).toBe(1);
    expect(await store.get('/x')).toBeUndefined();
    expect(await store.get('/a')).toMatchObject({ value: 'a1', modRevision: 1 });
    expect(onSide((db) => db.prepare('SELECT count(*) AS n FROM events').get())).toEqual({ n: 1 });

    // Later batches carry on from the committed revision.
    onSide((db) => db.exec('DROP TRIGGER fail_batch'));
    expect(await store.create('/z', 'z')).toMatchObject({ modRevision: 2 });
    await rec.waitFor(1);
    expect(rec.summaries()).toEqual([{ type: 'put', key: '/z', value: 'z', revision: 2 }]);
    await store.close();
    const reopened = openStore();
    expect(await reopened.currentRevision()).toBe(2);
    expect((await reopened.list('/')).items.map((kv) => kv.key)).toEqual(['/a', '/z']);
  });

  it(`at most ${DEFAULT_MAX_BATCH} writes share a transaction`, async () => {
    const store = openStore();
    failWritesOf(`/c/${DEFAULT_MAX_BATCH + 10}`);
    const results = await Promise.allSettled(
      Array.from({ length: DEFAULT_MAX_BATCH + 20 }, (_, i) => store.create(`/c/${i}`, 'x')),
    );
    const fulfilled = results.map((r) => r.status === 'fulfilled');
    expect(fulfilled.slice(0, DEFAULT_MAX_BATCH).every(Boolean)).toBe(true);
    expect(fulfilled.slice(DEFAULT_MAX_BATCH).some(Boolean)).toBe(false);
    expect(await store.currentRevision()).toBe(DEFAULT_MAX_BATCH);
  });

  it('every acknowledged write of a batch is in the file, also for a reader that never saw the store', async () => {
    const store = openStore();
    const results = await Promise.allSettled([
      store.create('/k/a', 'a1'), // 1
      store.create('/k/b', 'b1'), // 2
      store.update('/k/a', 'a2', 1), // 3
      store.create('/k/b', 'dup'),
      store.delete('/k/b'), // 4
      store.create('/k/c', 'c1'), // 5
    ]);
    expect(settledValues(results)).toEqual([1, 2, 3, 'KeyExistsError', 4, 5]);
    // Read the file through another connection while the store is still open:
    // what was acknowledged has been committed, not merely queued.
    const seen = onSide((db) => ({
      kv: db.prepare('SELECT key, value, mod_revision FROM kv ORDER BY key').all(),
      revision: db.prepare("SELECT value FROM meta WHERE name = 'revision'").pluck().get(),
    }));
    expect(seen).toEqual({
      kv: [
        { key: '/k/a', value: 'a2', mod_revision: 3 },
        { key: '/k/c', value: 'c1', mod_revision: 5 },
      ],
      revision: 5,
    });
    await store.close();
    const reopened = openStore();
    expect(await reopened.currentRevision()).toBe(5);
    expect((await reopened.list('/k/', { revision: 2 })).items.map((kv) => kv.value)).toEqual(['a1', 'b1']);
  });

  it('close commits the writes still queued and refuses later ones', async () => {
    const store = openStore();
    const queued = store.create('/q', 'queued');
    await store.close();
    await expect(queued).resolves.toMatchObject({ modRevision: 1 });
    await expect(store.create('/late', 'x')).rejects.toThrow(/closed/);
    const reopened = openStore();
    expect(await reopened.get('/q')).toMatchObject({ value: 'queued', modRevision: 1 });
  });
});
