// Group commit, as etcd batches its backend commits: writes that arrive within
// one turn of the event loop are committed together in one transaction, so N
// concurrent writers pay one fsync instead of N. This file holds the parts that
// know nothing of SQLite: what a queued write is, how it is checked against the
// state the writes before it left, and the queue that decides when to flush.

import { KeyExistsError, NotFoundError, RevisionConflictError, type KeyValue, type StoreEvent } from './store.js';

export type WriteRequest =
  | { readonly op: 'create'; readonly key: string; readonly value: string }
  | { readonly op: 'update'; readonly key: string; readonly value: string; readonly expectedModRevision: number }
  | { readonly op: 'delete'; readonly key: string; readonly expectedModRevision?: number };

/**
 * The event a write makes at `revision`, given the key's value as the writes
 * before it (also those earlier in the same batch) left it. Throws the Store
 * error of a failed precondition; the caller then writes nothing for it.
 */
export function planWrite(req: WriteRequest, current: KeyValue | undefined, revision: number): StoreEvent {
  const { key } = req;
  if (req.op === 'create') {
    if (current !== undefined) throw new KeyExistsError(key);
    return { type: 'put', kv: { key, value: req.value, createRevision: revision, modRevision: revision }, revision };
  }
  if (current === undefined) throw new NotFoundError(key);
  const expected = req.expectedModRevision;
  if (expected !== undefined && current.modRevision !== expected) {
    throw new RevisionConflictError(key, expected, current.modRevision);
  }
  if (req.op === 'delete') return { type: 'delete', kv: { ...current, modRevision: revision }, prevKv: current, revision };
  const kv: KeyValue = { key, value: req.value, createRevision: current.createRevision, modRevision: revision };
  return { type: 'put', kv, prevKv: current, revision };
}

/** Writes per transaction at most: bounds how long one commit holds the event loop. */
export const DEFAULT_MAX_BATCH = 256;

/**
 * Collects items and hands them to `commit` as one batch, in arrival order:
 * on the setImmediate after the first item (so everything that arrives in the
 * same event-loop turn, e.g. all requests read in one I/O poll, shares a
 * batch), or at once when maxBatch items are waiting. `commit` owns every item
 * it is given and must not throw: it settles each item itself.
 */
export class WriteBatcher<T> {
  private queue: T[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly commit: (batch: T[]) => void,
    private readonly maxBatch = DEFAULT_MAX_BATCH,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  add(item: T): void {
    this.queue.push(item);
    if (this.queue.length >= this.maxBatch) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Commits whatever is queued now (also used on close). */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.commit(batch);
  }

  get size(): number {
    return this.queue.length;
  }
}
