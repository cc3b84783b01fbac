import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InformerHandler } from '../kube/informer.js';
import { runSyncLoop, type SyncLoopOptions } from './sync-loop.js';

interface Obj {
  v: number;
}

/** An informer whose first list completes when the test says so, and whose events the test sends. */
class FakeInformer {
  handler: InformerHandler<Obj> | undefined;
  private listed!: { resolve: () => void; reject: (e: Error) => void };
  on(h: InformerHandler<Obj>): () => void {
    this.handler = h;
    return () => undefined;
  }
  start(): Promise<void> {
    return new Promise((resolve, reject) => (this.listed = { resolve, reject }));
  }
  finishList(): void {
    this.listed.resolve();
  }
  failList(): void {
    this.listed.reject(new Error('aborted'));
  }
}

/** A sync the test finishes by hand, so it can send events while one runs. */
class ManualSync {
  started = 0;
  private pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  readonly fn = (): Promise<void> => {
    this.started++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };
  get running(): number {
    return this.pending.length;
  }
  finish(): void {
    this.pending.shift()!.resolve();
  }
  fail(msg: string): void {
    this.pending.shift()!.reject(new Error(msg));
  }
}

const flush = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(0);
};

function startLoop(over: Partial<SyncLoopOptions<Obj>> = {}) {
  const informer = new FakeInformer();
  const sync = new ManualSync();
  const errors: string[] = [];
  const ac = new AbortController();
  let done = false;
  const loop = runSyncLoop<Obj>({
    informer,
    sync: sync.fn,
    onError: (e) => errors.push((e as Error).message),
    signal: ac.signal,
    resyncMs: 1000,
    ...over,
  }).then(() => {
    done = true;
  });
  return {
    informer,
    sync,
    errors,
    ac,
    loop,
    isDone: () => done,
    /** The informer's first list completes (and with it the first sync starts). */
    async listed(): Promise<void> {
      informer.finishList();
      await flush();
    },
    /** Abort, let any running sync finish, and wait for the loop to end. */
    async stop(): Promise<void> {
      ac.abort();
      while (sync.running) sync.finish();
      await loop;
    },
  };
}

/** A loop past the informer's first list, its first sync running. */
async function listedLoop(over: Partial<SyncLoopOptions<Obj>> = {}) {
  const t = startLoop(over);
  await t.listed();
  return t;
}

describe('runSyncLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('syncs once after the first list, not before', async () => {
    const t = startLoop();
    await flush();
    expect(t.sync.started).toBe(0);
    await t.listed();
    expect(t.sync.started).toBe(1);
    await t.stop();
  });

  it('runs one sync at a time and coalesces requests made meanwhile into one more', async () => {
    const t = await listedLoop();
    expect(t.sync.started).toBe(1);
    t.informer.handler!.add({ v: 1 });
    t.informer.handler!.update({ v: 1 }, { v: 2 });
    t.informer.handler!.delete({ v: 2 });
    await flush();
    expect(t.sync.started).toBe(1);
    expect(t.sync.running).toBe(1);
    t.sync.finish();
    await flush();
    expect(t.sync.started).toBe(2); // three requests, one more sync
    t.sync.finish();
    await flush();
    expect(t.sync.started).toBe(2);
    expect(t.sync.running).toBe(0);
    await t.stop();
  });

  it('skips updates that updateMatters rejects', async () => {
    const t = await listedLoop({ updateMatters: (old, cur) => old.v !== cur.v });
    t.sync.finish();
    await flush();
    t.informer.handler!.update({ v: 1 }, { v: 1 });
    await flush();
    expect(t.sync.started).toBe(1);
    t.informer.handler!.update({ v: 1 }, { v: 2 });
    await flush();
    expect(t.sync.started).toBe(2);
    await t.stop();
  });

  it('resyncs every resyncMs without events', async () => {
    const t = await listedLoop();
    t.sync.finish();
    await vi.advanceTimersByTimeAsync(999);
    expect(t.sync.started).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.sync.started).toBe(2);
    t.sync.finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.sync.started).toBe(3);
    await t.stop();
  });

  it('reports a failed sync and runs again on the next request', async () => {
    const t = await listedLoop();
    t.sync.fail('kernel said no');
    await flush();
    expect(t.errors).toEqual(['kernel said no']);
    t.informer.handler!.add({ v: 1 });
    await flush();
    expect(t.sync.started).toBe(2);
    await t.stop();
  });

  it('on abort: waits for the running sync, then starts no more (events or resync)', async () => {
    const t = await listedLoop();
    t.informer.handler!.add({ v: 1 }); // asks for one more while the first runs
    t.ac.abort();
    await flush();
    expect(t.isDone()).toBe(false);
    t.sync.finish();
    await t.loop;
    expect(t.isDone()).toBe(true);
    t.informer.handler!.add({ v: 2 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.sync.started).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves without syncing when the informer stops before its first list', async () => {
    const t = startLoop();
    t.ac.abort();
    t.informer.failList();
    await t.loop;
    expect(t.sync.started).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
