import { describe, expect, it } from 'vitest';
import { KeyExistsError, NotFoundError, RevisionConflictError, type KeyValue } from './store.js';
import { planWrite, WriteBatcher, type WriteRequest } from './write-batch.js';

const current: KeyValue = { key: '/k', value: 'old', createRevision: 3, modRevision: 5 };

describe('planWrite', () => {
  type ErrorClass = new (...args: never[]) => Error;
  const update = (expectedModRevision: number): WriteRequest => ({ op: 'update', key: '/k', value: 'v', expectedModRevision });
  it.each<{ name: string; req: WriteRequest; cur: KeyValue | undefined; error: ErrorClass }>([
    { name: 'create of an existing key', req: { op: 'create', key: '/k', value: 'v' }, cur: current, error: KeyExistsError },
    { name: 'update of a missing key', req: update(5), cur: undefined, error: NotFoundError },
    { name: 'update at a stale revision', req: update(4), cur: current, error: RevisionConflictError },
    { name: 'delete of a missing key', req: { op: 'delete', key: '/k' }, cur: undefined, error: NotFoundError },
    { name: 'delete at a stale revision', req: { op: 'delete', key: '/k', expectedModRevision: 4 }, cur: current, error: RevisionConflictError },
  ])('$name fails with $error.name', ({ req, cur, error }) => {
    expect(() => planWrite(req, cur, 9)).toThrow(error);
  });

  it.each<{ name: string; req: WriteRequest; cur: KeyValue | undefined; want: unknown }>([
    {
      name: 'create',
      req: { op: 'create', key: '/n', value: 'v' },
      cur: undefined,
      want: { type: 'put', revision: 9, kv: { key: '/n', value: 'v', createRevision: 9, modRevision: 9 } },
    },
    {
      name: 'update',
      req: { op: 'update', key: '/k', value: 'new', expectedModRevision: 5 },
      cur: current,
      want: { type: 'put', revision: 9, kv: { key: '/k', value: 'new', createRevision: 3, modRevision: 9 }, prevKv: current },
    },
    {
      name: 'delete without a revision',
      req: { op: 'delete', key: '/k' },
      cur: current,
      want: { type: 'delete', revision: 9, kv: { key: '/k', value: 'old', createRevision: 3, modRevision: 9 }, prevKv: current },
    },
    {
      name: 'delete at the current revision',
      req: { op: 'delete', key: '/k', expectedModRevision: 5 },
      cur: current,
      want: { type: 'delete', revision: 9, kv: { key: '/k', value: 'old', createRevision: 3, modRevision: 9 }, prevKv: current },
    },
  ])('$name makes its event at the given revision', ({ req, cur, want }) => {
    expect(planWrite(req, cur, 9)).toEqual(want);
  });
});

describe('WriteBatcher', () => {
  function recorder(maxBatch?: number): { batcher: WriteBatcher<number>; batches: number[][] } {
    const batches: number[][] = [];
    return { batcher: new WriteBatcher<number>((b) => batches.push(b), maxBatch), batches };
  }

  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('hands everything added in one turn over as one batch on the next, in order', async () => {
    const { batcher, batches } = recorder();
    batcher.add(1);
    await Promise.resolve();
    batcher.add(2);
    batcher.add(3);
    expect(batches).toEqual([]);
    expect(batcher.size).toBe(3);
    await nextTurn();
    batcher.add(4);
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(batcher.size).toBe(0);
  });

  it('flushes at once when maxBatch items wait', async () => {
    const { batcher, batches } = recorder(2);
    for (let i = 1; i <= 5; i++) batcher.add(i);
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await nextTurn();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('flush() commits now and the pending turn then finds nothing', async () => {
    const { batcher, batches } = recorder();
    batcher.add(1);
    batcher.flush();
    expect(batches).toEqual([[1]]);
    batcher.flush();
    await nextTurn();
    expect(batches).toEqual([[1]]);
  });

  it.each([0, -1, 1.5])('refuses maxBatch %s', (n) => {
    expect(() => new WriteBatcher<number>(() => undefined, n)).toThrow(RangeError);
  });
});
