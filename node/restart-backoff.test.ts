import { describe, expect, it } from 'vitest';
import { planRestart, shouldRestart, type BackoffState } from './restart-backoff.js';

describe('planRestart', () => {
  it('restarts at once, then waits 10 s, 20 s, 40 s … up to 5 minutes after each quick crash', () => {
    let state: BackoffState | undefined;
    let t = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const finished = t + 1000;
      const plan = planRestart(state, { startedAtMs: t, finishedAtMs: finished });
      waits.push(plan.restartAtMs - finished);
      state = plan.next;
      t = plan.restartAtMs;
    }
    expect(waits).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts over after a run of ten minutes', () => {
    const plan = planRestart({ nextDelayMs: 300_000 }, { startedAtMs: 0, finishedAtMs: 600_000 });
    expect(plan.restartAtMs).toBe(600_000);
    expect(plan.next.nextDelayMs).toBe(10_000);
  });
});

describe('shouldRestart', () => {
  it.each([
    { policy: 'Always' as const, code: 0, want: true },
    { policy: undefined, code: 1, want: true },
    { policy: 'OnFailure' as const, code: 0, want: false },
    { policy: 'OnFailure' as const, code: 2, want: true },
    { policy: 'Never' as const, code: 2, want: false },
  ])('$policy with exit $code → $want', ({ policy, code, want }) => {
    expect(shouldRestart(policy, code)).toBe(want);
  });
});
