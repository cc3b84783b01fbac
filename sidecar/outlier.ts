// Passive health checking: Envoy's outlier detection, consecutive-gateway-
// failure flavour. A connect failure or a 502/503/504 answer counts as one
// error; any other answer resets the count. `consecutiveErrors` in a row eject
// the upstream for baseEjectionMs × (times ejected), capped at maxEjectionMs.
// Where we differ from Envoy:
//   - Envoy un-ejects on its `interval` timer (10 s default), so an ejection
//     lasts at least that long; we un-eject exactly when the time is up (checked
//     lazily on every pick).
//   - Envoy lowers the ejection multiplier by one per interval in which the host
//     stayed healthy; we lower it by one per baseEjectionMs since the last
//     ejection ended (same idea, no timer).
//   - max ejection percent: as Envoy (since 1.22), one upstream may always be
//     ejected whatever the percentage; beyond that an ejection must keep
//     ejected/total ≤ maxEjectionPercent.
export interface OutlierOptions {
  consecutiveErrors: number;
  baseEjectionMs: number;
  /** Envoy's max_ejection_time default: 300 s. */
  maxEjectionMs: number;
  maxEjectionPercent: number;
}

export interface OutlierState {
  consecutiveErrors: number;
  timesEjected: number;
  /** Epoch ms at which the current ejection ends; undefined when not ejected. */
  ejectedUntil: number | undefined;
}

export class OutlierDetector {
  private readonly states = new Map<string, OutlierState & { lastEjectionEnd: number }>();
  private hosts = 0;

  constructor(
    readonly opts: OutlierOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current upstream set: state of upstreams that left is forgotten (a pod that comes back starts clean). */
  setUpstreams(addresses: readonly string[]): void {
    const keep = new Set(addresses);
    for (const a of this.states.keys()) if (!keep.has(a)) this.states.delete(a);
    this.hosts = addresses.length;
  }

  recordSuccess(address: string): void {
    const s = this.states.get(address);
    if (s) s.consecutiveErrors = 0;
  }

  /** Returns true when this error ejected the upstream. */
  recordError(address: string): boolean {
    const s = this.state(address);
    s.consecutiveErrors++;
    if (this.isEjected(address) || s.consecutiveErrors < this.opts.consecutiveErrors) return false;
    if (!this.mayEject()) return false;
    const now = this.now();
    const healthyPeriods = s.timesEjected > 0 ? Math.floor((now - s.lastEjectionEnd) / this.opts.baseEjectionMs) : 0;
    s.timesEjected = Math.max(0, s.timesEjected - healthyPeriods) + 1;
    const duration = Math.min(this.opts.baseEjectionMs * s.timesEjected, this.opts.maxEjectionMs);
    s.ejectedUntil = now + duration;
    s.lastEjectionEnd = s.ejectedUntil;
    s.consecutiveErrors = 0;
    return true;
  }

  isEjected(address: string): boolean {
    const s = this.states.get(address);
    if (s?.ejectedUntil === undefined) return false;
    if (this.now() < s.ejectedUntil) return true;
    s.ejectedUntil = undefined;
    return false;
  }

  /** Addresses ejected right now. */
  ejected(): string[] {
    return [...this.states.keys()].filter((a) => this.isEjected(a));
  }

  /** A copy of the upstream's state (zeros for one never seen). */
  stateOf(address: string): OutlierState {
    this.isEjected(address);
    const s = this.states.get(address);
    return { consecutiveErrors: s?.consecutiveErrors ?? 0, timesEjected: s?.timesEjected ?? 0, ejectedUntil: s?.ejectedUntil };
  }

  private mayEject(): boolean {
    const ejected = this.ejected().length;
    if (ejected === 0) return true;
    return this.hosts > 0 && ((ejected + 1) * 100) / this.hosts <= this.opts.maxEjectionPercent;
  }

  private state(address: string): OutlierState & { lastEjectionEnd: number } {
    let s = this.states.get(address);
    if (!s) {
      s = { consecutiveErrors: 0, timesEjected: 0, ejectedUntil: undefined, lastEjectionEnd: 0 };
      this.states.set(address, s);
    }
    return s;
  }
}
