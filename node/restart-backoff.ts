// CrashLoopBackOff: how long a container that exited waits before its next
// start. The first restart is immediate; after that the wait starts at 10 s
// and doubles up to 5 minutes, counted from when the container finished. A
// container that ran for 10 minutes before exiting starts over at no wait
// (the kubelet forgets a back-off entry after twice the maximum).
// Pure: times are milliseconds passed in.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the back-off. */
  resetAfterMs: number;
}

export const KUBELET_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** Back-off state of one container; persisted with the pod so an agent restart keeps it. */
export interface BackoffState {
  /** The wait before the next restart (0 = immediate). */
  nextDelayMs: number;
}

/**
 * Called when a container that should be restarted has exited. Returns when
 * it may start again and the state for the exit after that.
 */
export function planRestart(
  prev: BackoffState | undefined,
  run: { startedAtMs: number; finishedAtMs: number },
  p: BackoffPolicy = KUBELET_BACKOFF,
): { restartAtMs: number; next: BackoffState } {
  const ranLong = run.finishedAtMs - run.startedAtMs >= p.resetAfterMs;
  const delay = !prev || ranLong ? 0 : prev.nextDelayMs;
  const nextDelayMs = delay === 0 ? p.initialMs : Math.min(delay * 2, p.maxMs);
  return { restartAtMs: run.finishedAtMs + delay, next: { nextDelayMs } };
}

/** Whether `restartPolicy` restarts a container that exited with `exitCode`. */
export function shouldRestart(policy: 'Always' | 'OnFailure' | 'Never' | undefined, exitCode: number): boolean {
  const p = policy ?? 'Always';
  return p === 'Always' || (p === 'OnFailure' && exitCode !== 0);
}
