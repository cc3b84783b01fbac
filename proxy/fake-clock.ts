// A hand-stepped RunnerClock for unit tests of the sync runner and proxier:
// timers fire only inside advance(), in due order, with pending promise
// callbacks run between them.
import type { RunnerClock } from './sync-runner.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** Lets promise callbacks (a finished sync, its finally) run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export class FakeClock implements RunnerClock {
  private t = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, due: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  /** The due times of pending timers, relative to now. */
  pending(): number[] {
    return this.timers.map((x) => x.due - this.t).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushPromises();
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.due > end) break;
      this.timers.shift();
      this.t = next.due;
      next.fn();
      await flushPromises();
    }
    this.t = end;
    await flushPromises();
  }
}
