// Per-upstream counters the proxy updates and /stats reports. Counters of an
// upstream that leaves the set are kept (a vanished pod's history is what one
// wants to see while debugging), but /stats lists them apart.
export interface UpstreamCounters {
  /** Attempts sent to the upstream (a retried request counts on both). */
  requests: number;
  /** Connect failures, resets and 502/503/504 answers. */
  failures: number;
  /** Requests in flight now (least-request reads this). */
  active: number;
  /** Times outlier detection ejected it. */
  ejections: number;
}

export class SidecarStats {
  readonly upstreams = new Map<string, UpstreamCounters>();
  /** Downstream requests, by outcome. */
  requests = 0;
  retries = 0;
  /** Answered 503 because there was no endpoint at all. */
  noUpstream = 0;
  /** Answered 502/503 by the sidecar after the upstream(s) failed. */
  upstreamFailed = 0;

  of(address: string): UpstreamCounters {
    let c = this.upstreams.get(address);
    if (!c) {
      c = { requests: 0, failures: 0, active: 0, ejections: 0 };
      this.upstreams.set(address, c);
    }
    return c;
  }

  inFlight(address: string): number {
    return this.upstreams.get(address)?.active ?? 0;
  }
}
