// The embedded default Store: one SQLite file in WAL mode via better-sqlite3.
//
// A write's change to `kv`, its row in `events` and the revision in `meta` are
// committed in one transaction, so the history a watcher resumes from is
// exactly what was committed, also after a restart. With synchronous=FULL the
// WAL is fsynced before a write is acknowledged: it survives kill -9 of the
// server and a power loss. NORMAL survives kill -9 but may lose the newest
// writes on power loss; it is offered for benchmarks and throwaway clusters.
//
// Writes are group-committed (write-batch.ts): those that arrive in one turn of
// the event loop share one transaction and so one fsync. Each still checks its
// precondition against the state the writes queued before it left, gets the
// next revision only when it succeeds, and is acknowledged, and its event
// published, only after COMMIT returned. better-sqlite3 is synchronous, so a
// batch runs from BEGIN to COMMIT without anything else interleaving; reads
// never see a batch half done.

import Database from 'better-sqlite3';
import { listStart, prefixEnd, WatchFanout } from './memory-store.js';
import {
  CompactedError,
  StoreError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type StoreEventHandler,
} from './store.js';
import { planWrite, WriteBatcher, type WriteRequest } from './write-batch.js';

export interface SqliteStoreOptions {
  /** FULL (default): fsync on every commit. NORMAL: faster, may lose the last writes on power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Called with whatever a watch handler throws (default: ignore). */
  readonly onWatchError?: (err: unknown) => void;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  mod_revision INTEGER NOT NULL
);
-- One row per write. For a delete, value/create_revision are the deleted
-- object's; prev_* is the object before the write (NULL for a create).
CREATE TABLE IF NOT EXISTS events (
  revision INTEGER PRIMARY KEY NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
  value TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_value TEXT,
  prev_create_revision INTEGER,
  prev_mod_revision INTEGER
);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
`;

interface EventRow {
  revision: number;
  key: string;
  type: 'put' | 'delete';
  value: string;
  create_revision: number;
  prev_value: string | null;
  prev_create_revision: number | null;
  prev_mod_revision: number | null;
}

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** A write waiting for its batch to commit. */
interface QueuedWrite {
  readonly req: WriteRequest;
  readonly resolve: (kv: KeyValue) => void;
  readonly reject: (err: unknown) => void;
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;

  private revision: number;
  private compacted: number;
  private closed = false;
  private readonly fanout: WatchFanout;
  private readonly batcher = new WriteBatcher<QueuedWrite>((batch) => this.commitBatch(batch));

  private readonly getMeta: Stmt<[string], number>;
  private readonly begin: Stmt<[]>;
  private readonly commitTx: Stmt<[]>;
  private readonly rollbackTx: Stmt<[]>;
  private readonly getKv: Stmt<[string], KeyValue>;
  private readonly insertKv: Stmt<[string, string, number, number]>;
  private readonly updateKv: Stmt<[string, number, string]>;
  private readonly deleteKv: Stmt<[string]>;
  private readonly insertEvent: Stmt<
    [number, string, string, string, number, string | null, number | null, number | null]
  >;
  private readonly setMeta: Stmt<[number, string]>;
  private readonly deleteEventsUpTo: Stmt<[number]>;

  // Key-range reads: [start, end) and [start, ∞).
  private readonly listRange: Stmt<[string, string, number], KeyValue>;
  private readonly listFrom: Stmt<[string, number], KeyValue>;
  private readonly countRange: Stmt<[string, string], number>;
  private readonly countFrom: Stmt<[string], number>;
  private readonly eventsRange: Stmt<[number, string, string], EventRow>;
  private readonly eventsFrom: Stmt<[number, string], EventRow>;

  /** Opens (creating if needed) the store file at path. */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const db = new Database(path);
    try {
      configure(db, opts.synchronous ?? 'FULL');
      return new SqliteStore(db, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    opts: SqliteStoreOptions,
  ) {
    this.fanout = new WatchFanout(opts.onWatchError);
    this.getMeta = db.prepare<[string], number>('SELECT value FROM meta WHERE name = ?').pluck();
    this.revision = this.getMeta.get('revision') ?? 0;
    this.compacted = this.getMeta.get('compacted') ?? 0;
    // IMMEDIATE takes the write lock up front: a batch never fails half way
    // through because it could not upgrade a read lock.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commitTx = db.prepare('COMMIT');
    this.rollbackTx = db.prepare('ROLLBACK');

    const kvCols = 'key, value, create_revision, mod_revision';
    // Rows come out already shaped as KeyValue: no per-row conversion on large lists.
    const kvSelect = 'key, value, create_revision AS createRevision, mod_revision AS modRevision';
    const evCols = 'revision, key, type, value, create_revision, prev_value, prev_create_revision, prev_mod_revision';
    this.getKv = db.prepare(`SELECT ${kvSelect} FROM kv WHERE key = ?`);
    this.insertKv = db.prepare(`INSERT INTO kv (${kvCols}) VALUES (?, ?, ?, ?)`);
    this.updateKv = db.prepare('UPDATE kv SET value = ?, mod_revision = ? WHERE key = ?');
    this.deleteKv = db.prepare('DELETE FROM kv WHERE key = ?');
    this.insertEvent = db.prepare(`INSERT INTO events (${evCols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.setMeta = db.prepare('UPDATE meta SET value = ? WHERE name = ?');
    this.deleteEventsUpTo = db.prepare('DELETE FROM events WHERE revision <= ?');
    // LIMIT -1 means no limit in SQLite.
    this.listRange = db.prepare(`SELECT ${kvSelect} FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`);
    this.listFrom = db.prepare(`SELECT ${kvSelect} FROM kv WHERE key >= ? ORDER BY key LIMIT ?`);
    this.countRange = db.prepare<[string, string], number>('SELECT count(*) FROM kv WHERE key > ? AND key < ?').pluck();
    this.countFrom = db.prepare<[string], number>('SELECT count(*) FROM kv WHERE key > ?').pluck();
    this.eventsRange = db.prepare(
      `SELECT ${evCols} FROM events WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision`,
    );
    this.eventsFrom = db.prepare(`SELECT ${evCols} FROM events WHERE revision > ? AND key >= ? ORDER BY revision`);
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
    return this.getKv.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const at = opts.revision ?? 0;
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const start = listStart(prefix, opts.startKey);
    const end = prefixEnd(prefix);
    const latest = at === 0 || at === this.revision;
    if (!latest) {
      if (at < this.compacted) throw new CompactedError(at, this.compacted);
      if (at > this.revision) {
        throw new StoreError(`revision ${at} is in the future: the current revision is ${this.revision}`);
      }
    }
    if (end !== undefined && start >= end) {
      return { items: [], revision: latest ? this.revision : at, more: false, remaining: 0 };
    }
    if (latest) {
      // One row more than asked tells whether there is a next page.
      const rows = this.rowsFrom(start, end, limit === Infinity ? -1 : limit + 1);
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      const remaining = more ? this.countAfter((items[items.length - 1] as KeyValue).key, end) : 0;
      return { items, revision: this.revision, more, remaining };
    }
    return this.listAt(at, start, end, limit);
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue({ op: 'create', key, value });
  }

  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    return this.enqueue({ op: 'update', key, value, expectedModRevision });
  }

  delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.enqueue(
      expectedModRevision === undefined ? { op: 'delete', key } : { op: 'delete', key, expectedModRevision },
    );
  }

  async watch(prefix: string, fromRevision: number, handler: StoreEventHandler): Promise<() => void> {
    this.assertOpen();
    if (fromRevision < this.compacted) throw new CompactedError(fromRevision, this.compacted);
    const replay = fromRevision < this.revision ? this.eventsAfter(fromRevision, prefix, prefixEnd(prefix)) : [];
    return this.fanout.add(prefix, fromRevision, replay, handler);
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision > this.revision) {
      throw new StoreError(`cannot compact to revision ${revision}: the current revision is ${this.revision}`);
    }
    if (revision <= this.compacted) return;
    this.transact(() => {
      this.deleteEventsUpTo.run(revision);
      this.setMeta.run(revision, 'compacted');
    });
    this.compacted = revision;
  }

  /** Commits the writes still queued (their callers get their answers), then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.batcher.flush();
    this.closed = true;
    this.fanout.closeAll();
    this.db.close();
  }

  private enqueue(req: WriteRequest): Promise<KeyValue> {
    if (this.closed) return Promise.reject(new StoreError('the sqlite store is closed'));
    return new Promise((resolve, reject) => this.batcher.add({ req, resolve, reject }));
  }

  /**
   * Runs a batch in one transaction. A write whose precondition fails writes
   * nothing and fails alone; any other error aborts the transaction and fails
   * the whole batch. Only after COMMIT returned do the revision, the watchers
   * and the callers learn of the batch, so what was acknowledged is on disk.
   */
  private commitBatch(batch: QueuedWrite[]): void {
    const outcomes: (StoreEvent | StoreError)[] = [];
    const events: StoreEvent[] = [];
    let revision = this.revision;
    try {
      this.transact(() => {
        for (const { req } of batch) {
          let ev: StoreEvent;
          try {
            ev = planWrite(req, this.getKv.get(req.key), revision + 1);
          } catch (err) {
            if (!(err instanceof StoreError)) throw err;
            outcomes.push(err);
            continue;
          }
          this.writeEvent(ev);
          revision = ev.revision;
          outcomes.push(ev);
          events.push(ev);
        }
        if (events.length > 0) this.setMeta.run(revision, 'revision');
      });
    } catch (err) {
      this.resyncRevision();
      for (const w of batch) w.reject(err);
      return;
    }
    this.revision = revision;
    try {
      if (events.length > 0) this.fanout.publish(events);
    } finally {
      batch.forEach((w, i) => {
        const outcome = outcomes[i] ?? new StoreError('internal error: a batched write has no outcome');
        if (outcome instanceof StoreError) w.reject(outcome);
        else w.resolve(outcome.kv);
      });
    }
  }

  private writeEvent(ev: StoreEvent): void {
    const { kv, prevKv } = ev;
    if (ev.type === 'delete') this.deleteKv.run(kv.key);
    else if (prevKv === undefined) this.insertKv.run(kv.key, kv.value, kv.createRevision, kv.modRevision);
    else this.updateKv.run(kv.value, kv.modRevision, kv.key);
    this.insertEvent.run(
      ev.revision,
      kv.key,
      ev.type,
      kv.value,
      kv.createRevision,
      prevKv?.value ?? null,
      prevKv?.createRevision ?? null,
      prevKv?.modRevision ?? null,
    );
  }

  /**
   * BEGIN … COMMIT around fn, rolled back when anything throws. Written out
   * rather than db.transaction(): that one nests as a SAVEPOINT when a
   * transaction is still open (a ROLLBACK that failed), and a write
   * acknowledged inside a transaction that never commits would be lost.
   */
  private transact(fn: () => void): void {
    if (this.db.inTransaction) this.rollbackTx.run();
    this.begin.run();
    try {
      fn();
      this.commitTx.run();
    } catch (err) {
      if (this.db.inTransaction) {
        try {
          this.rollbackTx.run();
        } catch {
          // The next transact() retries the rollback before it begins.
        }
      }
      throw err;
    }
  }

  /** After a failed batch: the revision is whatever the database holds. */
  private resyncRevision(): void {
    try {
      this.revision = this.getMeta.get('revision') ?? this.revision;
    } catch {
      // Unreadable now: nothing was committed by this process since the last
      // successful batch, so the cached revision is still the database's.
    }
  }

  private rowsFrom(start: string, end: string | undefined, limit: number): KeyValue[] {
    return end === undefined ? this.listFrom.all(start, limit) : this.listRange.all(start, end, limit);
  }

  private countAfter(key: string, end: string | undefined): number {
    return (end === undefined ? this.countFrom.get(key) : this.countRange.get(key, end)) ?? 0;
  }

  private eventsAfter(revision: number, start: string, end: string | undefined): StoreEvent[] {
    const rows = end === undefined ? this.eventsFrom.all(revision, start) : this.eventsRange.all(revision, start, end);
    return rows.map(eventFromRow);
  }

  /**
   * The list as it was at an older revision: the current rows, except that
   * each key written since takes the value it had before its first later
   * write (none when that write created it). Merged in key order so a page
   * reads only as far as it needs.
   */
  private listAt(at: number, start: string, end: string | undefined, limit: number): ListResult {
    const changed = new Map<string, { then: KeyValue | undefined; existsNow: boolean }>();
    for (const ev of this.eventsAfter(at, start, end)) {
      const seen = changed.get(ev.kv.key);
      if (seen === undefined) changed.set(ev.kv.key, { then: ev.prevKv, existsNow: ev.type === 'put' });
      else seen.existsNow = ev.type === 'put';
    }
    const restored: KeyValue[] = [];
    for (const c of changed.values()) if (c.then !== undefined) restored.push(c.then);
    restored.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const items: KeyValue[] = [];
    let more = false;
    let r = 0;
    const take = (kv: KeyValue): boolean => {
      if (items.length < limit) {
        items.push(kv);
        return true;
      }
      more = true;
      return false;
    };
    const current = end === undefined ? this.listFrom.iterate(start, -1) : this.listRange.iterate(start, end, -1);
    scan: for (const row of current) {
      while (r < restored.length && (restored[r] as KeyValue).key < row.key) {
        if (!take(restored[r] as KeyValue)) break scan;
        r++;
      }
      if (changed.has(row.key)) continue;
      if (!take(row)) break;
    }
    while (!more && r < restored.length) {
      if (take(restored[r] as KeyValue)) r++;
    }
    if (!more) return { items, revision: at, more, remaining: 0 };

    // Remaining = current keys after the page, corrected for the keys whose
    // existence differs between then and now.
    const last = (items[items.length - 1] as KeyValue).key;
    let remaining = this.countAfter(last, end);
    for (const [key, c] of changed) {
      if (key <= last) continue;
      if (c.existsNow) remaining--;
      if (c.then !== undefined) remaining++;
    }
    return { items, revision: at, more, remaining };
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the sqlite store is closed');
  }
}

function configure(db: Database.Database, synchronous: 'FULL' | 'NORMAL'): void {
  const version = db.pragma('user_version', { simple: true });
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    throw new StoreError(`${db.name} has schema version ${version}; this netkube understands up to ${SCHEMA_VERSION}`);
  }
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal' && !db.memory) throw new StoreError(`${db.name}: cannot switch to WAL mode (got ${String(mode)})`);
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function eventFromRow(row: EventRow): StoreEvent {
  const kv: KeyValue = { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.revision };
  if (row.prev_value === null) return { type: row.type, kv, revision: row.revision };
  const prevKv: KeyValue = {
    key: row.key,
    value: row.prev_value,
    createRevision: row.prev_create_revision ?? 0,
    modRevision: row.prev_mod_revision ?? 0,
  };
  return { type: row.type, kv, prevKv, revision: row.revision };
}
