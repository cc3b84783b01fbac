import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore as openStoreOfKind } from './index.js';
import { SqliteStore } from './sqlite-store.js';
import { CompactedError, RevisionConflictError, type Store } from './store.js';
import { describeStoreConformance, WatchRecorder } from './store-conformance.js';

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
