// A deduplicating work queue of object keys ("ns/name"), like client-go's:
// a key added while queued is queued once; a key being processed is not
// handed to a second worker, and is processed again afterwards if it was
// added meanwhile; failed keys come back after a capped exponential delay.
// Delays go through an injectable timer so tests need no real time.

export interface WorkQueueOptions {
  /** First retry delay after a failure (doubles per consecutive failure). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

export type Reconcile = (key: string) => Promise<void>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { cancel(): void }>();
  private readonly waiters: (() => void)[] = [];
  private stopped = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly setTimer: NonNullable<WorkQueueOptions['setTimer']>;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return { cancel: () => clearTimeout(t) };
      });
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Add after a delay (a later addAfter for the same key replaces the earlier one). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    this.timers.get(key)?.cancel();
    this.timers.set(
      key,
      this.setTimer(() => {
        this.timers.delete(key);
        this.add(key);
      }, ms),
    );
  }

  get length(): number {
    return this.queue.length;
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopped && this.queue.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    if (this.stopped) return undefined;
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  private done(key: string, ok: boolean): void {
    this.processing.delete(key);
    if (ok) this.failures.delete(key);
    else {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (n - 1)));
    }
    if (this.dirtyWhileProcessing.delete(key)) this.add(key);
  }

  /** Run `workers` loops calling reconcile until stop(). Errors are reported and the key retried. */
  run(reconcile: Reconcile, workers = 1, onError: (key: string, err: unknown) => void = () => undefined): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.next();
        if (key === undefined) return;
        let ok = true;
        try {
          await reconcile(key);
        } catch (e) {
          ok = false;
          onError(key, e);
        }
        this.done(key, ok);
      }
    };
    return Promise.all(Array.from({ length: workers }, loop)).then(() => undefined);
  }

  /** run() until `signal` aborts, then stop() and wait for the workers: a controller's whole run. */
  async runUntil(signal: AbortSignal, reconcile: Reconcile, workers = 1, onError: (key: string, err: unknown) => void = () => undefined): Promise<void> {
    const done = this.run(reconcile, workers, onError);
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.stop();
    await done;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}
