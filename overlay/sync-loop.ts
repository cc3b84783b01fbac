// The loop both overlay agents (VXLAN and host-gw) run around their sync:
// an informer's events and a periodic resync ask for a sync; syncs run one at
// a time, and requests made while one runs coalesce into exactly one more.
// Each sync starts from the observed state, so the loop never needs to know
// what changed, only that something may have. Kept apart from the agents so
// the scheduling is tested without a kernel. (proxy/sync-runner.ts is the
// proxy's richer runner, with a minimum interval and retry backoff; the
// overlay agents deliberately retry only on the next event or resync.)
import type { Informer, InformerHandler } from '../kube/informer.js';

export interface SyncLoopOptions<T> {
  /** Its events ask for a sync; the loop starts it and waits for its first list. */
  readonly informer: Pick<Informer<T>, 'on' | 'start'>;
  /** One sync; a rejection goes to `onError`, and the next request simply runs it again. */
  readonly sync: () => Promise<void>;
  readonly onError: (err: unknown) => void;
  /** Stops the loop: no new syncs, and `runSyncLoop` resolves once the running one has finished. */
  readonly signal: AbortSignal;
  /** A sync at least this often even without events (to repair state changed behind the agent's back). */
  readonly resyncMs: number;
  /** Whether an update event asks for a sync; default every update does. */
  readonly updateMatters?: (old: T, cur: T) => boolean;
}

/**
 * Runs until `signal` aborts: starts the informer, syncs once after its first
 * list, then on every event and every `resyncMs`. Resolves after the last
 * sync has finished (or at once if aborted before the first list); never rejects.
 */
export async function runSyncLoop<T>(o: SyncLoopOptions<T>): Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const schedule = (): void => {
    if (o.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = o
      .sync()
      .catch(o.onError)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };

  const updateMatters = o.updateMatters;
  const handler: InformerHandler<T> = {
    add: schedule,
    update: (old, cur) => {
      if (!updateMatters || updateMatters(old, cur)) schedule();
    },
    delete: schedule,
  };
  o.informer.on(handler);
  try {
    await o.informer.start(o.signal);
  } catch {
    return; // aborted before the first list
  }
  schedule();
  const timer = setInterval(schedule, o.resyncMs);
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  await running;
}
