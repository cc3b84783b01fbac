// Coalesces sync requests into at most one run per `minIntervalMs`, runs at
// least every `maxIntervalMs`, never two at once, and retries a failed run
// with capped exponential backoff (kube-proxy's BoundedFrequencyRunner, with
// RetryAfter folded in). The clock is injected so tests step time by hand.

export interface RunnerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: RunnerClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A scheduled sync alone must not keep a process alive that is otherwise done.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SyncRunnerOptions {
  /** At most one run per this interval (kube-proxy --min-sync-period); 0 runs as soon as asked. */
  readonly minIntervalMs: number;
  /** A run at least this often even without requests (--sync-period). */
  readonly maxIntervalMs: number;
  /** Retry delay after a failed run: initialMs, doubling, at most maxMs. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly clock?: RunnerClock;
  /** Told about each failed run (the runner itself never throws). */
  readonly onError?: (err: unknown) => void;
}

export class SyncRunner {
  private readonly clock: RunnerClock;
  private readonly retry: { initialMs: number; maxMs: number };
  private running: Promise<void> | undefined;
  private requested = false;
  private stopped = false;
  private lastStart: number | undefined;
  private retryAt: number | undefined;
  private failures = 0;
  private timer: { handle: unknown; due: number } | undefined;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly opts: SyncRunnerOptions,
  ) {
    if (!(opts.minIntervalMs >= 0) || !(opts.maxIntervalMs > 0)) {
      throw new Error(`sync runner: min interval ${opts.minIntervalMs} ms must be >= 0 and max interval ${opts.maxIntervalMs} ms > 0`);
    }
    this.clock = opts.clock ?? systemClock;
    this.retry = opts.retry ?? { initialMs: Math.max(1000, opts.minIntervalMs), maxMs: opts.maxIntervalMs };
  }

  /** Asks for a run: now, or once the minimum interval since the last start has passed. */
  run(): void {
    if (this.stopped) return;
    this.requested = true;
    this.schedule();
  }

  /** Consecutive failed runs (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** No more runs; resolves once a run in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    await this.running;
  }

  private nextDue(): number | undefined {
    const now = this.clock.now();
    let due: number | undefined;
    const earliest = (t: number): void => {
      due = due === undefined ? t : Math.min(due, t);
    };
    if (this.requested) earliest(this.lastStart === undefined ? now : Math.max(now, this.lastStart + this.opts.minIntervalMs));
    if (this.retryAt !== undefined) earliest(this.retryAt);
    // The periodic run counts from the last start, and only once there was a first run.
    if (this.lastStart !== undefined) earliest(this.lastStart + this.opts.maxIntervalMs);
    return due;
  }

  private schedule(): void {
    if (this.stopped || this.running) return;
    const due = this.nextDue();
    if (due === undefined) return;
    if (this.timer && this.timer.due <= due) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    const delay = Math.max(0, due - this.clock.now());
    this.timer = { due, handle: this.clock.setTimeout(() => this.fire(), delay) };
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    this.requested = false;
    this.lastStart = this.clock.now();
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private async runOnce(): Promise<void> {
    try {
      await this.fn();
      this.failures = 0;
      this.retryAt = undefined;
    } catch (err) {
      this.failures++;
      const backoff = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** (this.failures - 1));
      this.retryAt = this.clock.now() + backoff;
      try {
        this.opts.onError?.(err);
      } catch {
        // a failing reporter must not stop the runner
      }
    }
  }
}
