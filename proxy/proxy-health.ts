// Whether the proxy keeps up (kube-proxy's ProxierHealthServer logic): it is
// unhealthy when a queued change has waited longer than the health timeout
// (2 × --sync-period) without a successful sync. Pure: times come in as ms.

export interface HealthStatus {
  readonly healthy: boolean;
  /** kube-proxy's JSON body for /healthz and /livez. */
  readonly body: { lastUpdated: string; currentTime: string; nodeEligible?: boolean };
}

export class ProxyHealth {
  private lastUpdated: number | undefined;
  /** When the oldest change not yet applied was queued; undefined when all is applied. */
  private oldestQueued: number | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** A change is waiting for a sync. Only the oldest waiting change counts. */
  queued(now: number): void {
    this.oldestQueued ??= now;
  }

  /** A sync succeeded: everything queued before `syncStart` is applied. */
  updated(now: number, syncStart: number): void {
    this.lastUpdated = now;
    // Changes queued while the sync ran are still waiting: the caller queues them again (aged from syncStart).
    if (this.oldestQueued !== undefined && this.oldestQueued <= syncStart) this.oldestQueued = undefined;
  }

  status(now: number): HealthStatus {
    const healthy = this.oldestQueued === undefined || now - this.oldestQueued < this.timeoutMs;
    return {
      healthy,
      body: {
        lastUpdated: new Date(this.lastUpdated ?? 0).toISOString(),
        currentTime: new Date(now).toISOString(),
      },
    };
  }
}
