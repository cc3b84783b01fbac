import { describe, it, expect } from 'vitest';
import { WorkQueue } from './work-queue.js';

function manualTimers() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    setTimer: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      pending.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    fire() {
      for (const t of pending.splice(0)) if (!t.cancelled) t.fn();
    },
    delays: () => pending.filter((t) => !t.cancelled).map((t) => t.ms),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('deduplicates keys added while queued', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    q.add('a');
    q.add('a');
    q.add('b');
    const run = q.run(async (k) => {
      seen.push(k);
    });
    await tick();
    q.stop();
    await run;
    expect(seen).toEqual(['a', 'b']);
  });

  it('processes a key again when it was added during processing, never concurrently', async () => {
    const q = new WorkQueue();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release!: () => void;
    const run = q.run(
      async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await new Promise<void>((r) => (release = r));
        running--;
      },
      4,
    );
    q.add('k');
    await tick();
    q.add('k');
    await tick();
    release();
    await tick();
    await tick();
    q.stop();
    await run;
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('retries failures with doubling, capped delays', async () => {
    const timers = manualTimers();
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 25, setTimer: timers.setTimer });
    let attempts = 0;
    const errors: string[] = [];
    const run = q.run(
      async () => {
        attempts++;
        throw new Error(`fail ${attempts}`);
      },
      1,
      (_k, e) => errors.push((e as Error).message),
    );
    q.add('x');
    await tick();
    expect(timers.delays()).toEqual([10]);
    timers.fire();
    await tick();
    expect(timers.delays()).toEqual([20]);
    timers.fire();
    await tick();
    expect(timers.delays()).toEqual([25]);
    q.stop();
    await run;
    expect(errors).toEqual(['fail 1', 'fail 2', 'fail 3']);
  });
});
