// When a probe runs and what its results mean, with Kubernetes' timing
// fields: initialDelaySeconds after the container started, then every
// periodSeconds; successThreshold consecutive successes flip it to success,
// failureThreshold consecutive failures flip it to failure. Pure: the caller
// runs the probe and passes the clock.
import type { Probe } from '../kube/api/core.js';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';
export type ProbeResult = 'success' | 'failure';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The API server's defaults (Kubernetes defaults them on create; a spec from elsewhere may lack them). */
export function probeTiming(p: Probe, kind: ProbeKind): ProbeTiming {
  const pos = (v: number | undefined, d: number): number => (typeof v === 'number' && v > 0 ? v : d);
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: pos(p.periodSeconds, 10) * 1000,
    timeoutMs: pos(p.timeoutSeconds, 1) * 1000,
    // Liveness and startup must have successThreshold 1 (validation says so); readiness may ask for more.
    successThreshold: kind === 'readiness' ? pos(p.successThreshold, 1) : 1,
    failureThreshold: pos(p.failureThreshold, 3),
  };
}

/**
 * One probe of one running container. A readiness probe starts out failing
 * (not ready until it succeeds); liveness and startup start out succeeding.
 */
export class ProbeSchedule {
  readonly timing: ProbeTiming;
  private result: ProbeResult;
  private runs = 0;
  private streak = 0;
  private streakOf: ProbeResult | undefined;
  private next: number;

  constructor(
    readonly kind: ProbeKind,
    probe: Probe,
    containerStartedAtMs: number,
  ) {
    this.timing = probeTiming(probe, kind);
    this.result = kind === 'readiness' ? 'failure' : 'success';
    this.next = containerStartedAtMs + this.timing.initialDelayMs;
  }

  get current(): ProbeResult {
    return this.result;
  }

  /** How many results were recorded. */
  get count(): number {
    return this.runs;
  }

  /** When the next probe is due. */
  dueAtMs(): number {
    return this.next;
  }

  /**
   * Records the result of a probe that ran at `atMs` and schedules the next
   * one a period later. Returns true when the overall result flipped.
   */
  record(r: ProbeResult, atMs: number): boolean {
    this.runs++;
    this.next = atMs + this.timing.periodMs;
    if (this.streakOf === r) this.streak++;
    else {
      this.streakOf = r;
      this.streak = 1;
    }
    const threshold = r === 'success' ? this.timing.successThreshold : this.timing.failureThreshold;
    // The very first readiness success counts at once, as in the kubelet when successThreshold is 1.
    if (r !== this.result && this.streak >= threshold) {
      this.result = r;
      return true;
    }
    return false;
  }

  /** After a liveness/startup failure has acted (container killed), start counting afresh. */
  reset(r: ProbeResult): void {
    this.result = r;
    this.streak = 0;
    this.streakOf = undefined;
  }
}
