import { describe, expect, it } from 'vitest';
import { FakeClock, flushPromises } from './fake-clock.js';
import { SyncRunner } from './sync-runner.js';

/** A runner whose sync records its start time; `failNext` makes upcoming runs throw; `hold` keeps a run going. */
function setup(min: number, max = 30_000, retry = { initialMs: 1000, maxMs: 8000 }) {
  const clock = new FakeClock();
  const starts: number[] = [];
  const errors: unknown[] = [];
  let failNext = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const runner = new SyncRunner(
    async () => {
      starts.push(clock.now());
      if (hold) await new Promise<void>((r) => (release = r));
      if (failNext > 0) {
        failNext--;
        throw new Error('restore failed');
      }
    },
    { minIntervalMs: min, maxIntervalMs: max, retry, clock, onError: (e) => errors.push(e) },
  );
  return {
    clock,
    runner,
    starts,
    errors,
    fail(n: number) {
      failNext = n;
    },
    hold(on: boolean) {
      hold = on;
    },
    release: () => release?.(),
  };
}

describe('SyncRunner', () => {
  it('runs the first request at once, then coalesces requests within the min interval into one run', async () => {
    const s = setup(1000);
    s.runner.run();
    await s.clock.advance(0);
    expect(s.starts).toEqual([0]);
    await s.clock.advance(100);
    s.runner.run();
    await s.clock.advance(200);
    s.runner.run();
    s.runner.run();
    await s.clock.advance(2000);
    // One more run, at the earliest the min interval allows.
    expect(s.starts).toEqual([0, 1000]);
  });

  it('with a min interval of 0 every request after a finished run runs right away', async () => {
    const s = setup(0);
    for (const t of [0, 5, 7]) {
      await s.clock.advance(t - s.clock.now());
      s.runner.run();
      await s.clock.advance(0);
    }
    expect(s.starts).toEqual([0, 5, 7]);
  });

  it('never runs twice at once: requests during a run give exactly one run after it', async () => {
    const s = setup(0);
    s.hold(true);
    s.runner.run();
    await s.clock.advance(0);
    s.runner.run();
    s.runner.run();
    await s.clock.advance(500);
    expect(s.starts).toEqual([0]);
    s.hold(false);
    s.release();
    await flushPromises();
    await s.clock.advance(0);
    expect(s.starts).toEqual([0, 500]);
  });

  it('runs every max interval without requests', async () => {
    const s = setup(1000, 30_000);
    s.runner.run();
    await s.clock.advance(95_000);
    expect(s.starts).toEqual([0, 30_000, 60_000, 90_000]);
  });

  it('retries a failed run with doubling backoff, capped, until it succeeds', async () => {
    const s = setup(1000, 30_000, { initialMs: 1000, maxMs: 4000 });
    s.fail(4);
    s.runner.run();
    await s.clock.advance(20_000);
    // Failures at 0, 1000, 3000, 7000; the run at 11000 succeeds; then periodic.
    expect(s.starts).toEqual([0, 1000, 3000, 7000, 11_000]);
    expect(s.errors).toHaveLength(4);
    expect(s.runner.consecutiveFailures).toBe(0);
  });

  it('stop() cancels scheduled runs', async () => {
    const s = setup(1000);
    s.runner.run();
    await s.clock.advance(0);
    s.runner.run();
    await s.runner.stop();
    await s.clock.advance(60_000);
    expect(s.starts).toEqual([0]);
  });
});
