// What one mode's run measured, computed from the load generator's request
// samples and the orchestrator's event times. Pure: no IO, no clock.
//
// Conventions (all times in ms on the load generator's clock, `t` = send time):
// - A request is "after the kill" when it completes at or after `killAt`
//   (t + ms ≥ killAt): a request in flight when the pod dies is hit by it.
// - Spread is measured over the backends alive the whole run: every backend
//   that answered, minus the killed and the added one.
// - Time to healthy: from the kill until the send time of the first request of
//   the first run of `healthyWindow` consecutive successes (in send order)
//   that starts after the last failure; null when no such run exists before
//   the end. Without failures it is the first request after the kill.
import { percentile } from '../bench/bench-stats.js';
import type { RequestSample } from './loadgen.js';

/** The part of a request sample the analysis reads (loadgen's RequestSample fits). */
export type Sample = Pick<RequestSample, 't' | 'ms' | 'ok' | 'backend' | 'target'> & Partial<Pick<RequestSample, 'podIp' | 'upstream' | 'err'>>;

export interface ModeEvents {
  /** When the backend was killed (ms on the loadgen clock), and which pod. */
  killAt?: number;
  killedBackend?: string;
  /** Addresses that mean "the dead backend" in `target`/`upstream`; default: the pod IPs it answered from (x-pod-ip). */
  killedIps?: string[];
  /** When the added pod became Ready, and its name. */
  addedAt?: number;
  addedBackend?: string;
  /** Addresses that mean "the added backend" in `target`/`upstream` (an entry point rather than a pod); default: match by pod name. */
  addedIps?: string[];
}

export interface AnalyzeOptions {
  /** Consecutive successes that mean healthy again (default 20). */
  healthyWindow?: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface SpreadSummary {
  /** Backends alive the whole run, sorted. */
  backends: string[];
  /** Coefficient of variation (population stddev / mean) of their request counts; 0 for one backend. */
  cv: number;
  /** Largest count / smallest count (Infinity when one got none… which cannot happen: only answering backends count). */
  maxOverMin: number;
}

export interface FailoverSummary {
  killAt: number;
  killedBackend: string | null;
  /** Failed requests completing at or after the kill. */
  failedAfterKill: number;
  /** Requests sent after the kill whose target (or sidecar upstream) is the dead backend's IP. */
  sentToDeadAfterKill: number;
  /** Requests answered by the dead pod after the kill (graceful termination still serving). */
  answeredByDeadAfterKill: number;
  /** From the kill to the send time of the last failure after it; 0 without failures. */
  lastFailureMs: number;
  /** See the file comment; null when traffic never became healthy again. */
  timeToHealthyMs: number | null;
}

export interface AddedSummary {
  addedAt: number;
  addedBackend: string;
  /** From `addedAt` to the first response completed by the added pod (0 when it answered before Ready was seen); null if never. */
  firstResponseAfterMs: number | null;
  /** Requests it answered. */
  requests: number;
}

export interface ModeSummary {
  count: number;
  ok: number;
  failed: number;
  /** Of ok requests; null when there were none. */
  latency: LatencySummary | null;
  /** Ok responses per backend (x-pod-name). */
  perBackend: Record<string, number>;
  spread: SpreadSummary;
  /** Failures by error (ECONNREFUSED, timeout, …). */
  errors: Record<string, number>;
  failover: FailoverSummary | null;
  added: AddedSummary | null;
}

export const DEFAULT_HEALTHY_WINDOW = 20;

const hostOf = (target: string): string => {
  const b = /^\[([^\]]+)\]:\d+$/.exec(target);
  if (b) return b[1]!;
  const i = target.lastIndexOf(':');
  return i > 0 && !target.slice(0, i).includes(':') ? target.slice(0, i) : target;
};

const round3 = (v: number) => Math.round(v * 1000) / 1000;

export function latencySummary(ms: readonly number[]): LatencySummary | null {
  if (ms.length === 0) return null;
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1]!, mean: round3(mean) };
}

export function spreadOf(perBackend: Record<string, number>, exclude: ReadonlySet<string>): SpreadSummary {
  const backends = Object.keys(perBackend)
    .filter((b) => !exclude.has(b))
    .sort();
  const counts = backends.map((b) => perBackend[b]!);
  if (counts.length === 0) return { backends, cv: 0, maxOverMin: 1 };
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length;
  return { backends, cv: round3(mean > 0 ? Math.sqrt(variance) / mean : 0), maxOverMin: round3(Math.max(...counts) / Math.min(...counts)) };
}

function failoverOf(sorted: readonly Sample[], ev: ModeEvents, window: number): FailoverSummary | null {
  if (ev.killAt === undefined) return null;
  const killAt = ev.killAt;
  const dead = ev.killedBackend ?? null;
  const deadIps = new Set(ev.killedIps ?? sorted.filter((s) => dead !== null && s.backend === dead && s.podIp).map((s) => s.podIp!));
  let failedAfterKill = 0;
  let sentToDeadAfterKill = 0;
  let answeredByDeadAfterKill = 0;
  let lastFailureIdx = -1;
  let firstAfterIdx = -1;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    const affected = s.t + s.ms >= killAt;
    if (affected && !s.ok) {
      failedAfterKill++;
      lastFailureIdx = i;
    }
    if (s.t >= killAt) {
      if (firstAfterIdx < 0) firstAfterIdx = i;
      if (deadIps.has(hostOf(s.target)) || (s.upstream !== undefined && deadIps.has(hostOf(s.upstream)))) sentToDeadAfterKill++;
      if (dead !== null && s.backend === dead && s.ok) answeredByDeadAfterKill++;
    }
  }
  const lastFailureMs = lastFailureIdx >= 0 ? Math.max(0, sorted[lastFailureIdx]!.t - killAt) : 0;
  let timeToHealthyMs: number | null = null;
  // The healthy run starts after the last failure, or at the first request sent after the kill.
  let runStart = lastFailureIdx >= 0 ? lastFailureIdx + 1 : firstAfterIdx;
  if (runStart >= 0) {
    while (runStart < sorted.length && sorted[runStart]!.t < killAt) runStart++;
    if (sorted.length - runStart >= window) timeToHealthyMs = round3(Math.max(0, sorted[runStart]!.t - killAt));
  }
  return { killAt, killedBackend: dead, failedAfterKill, sentToDeadAfterKill, answeredByDeadAfterKill, lastFailureMs: round3(lastFailureMs), timeToHealthyMs };
}

function addedOf(samples: readonly Sample[], ev: ModeEvents): AddedSummary | null {
  if (ev.addedAt === undefined || ev.addedBackend === undefined) return null;
  let first = Infinity;
  let requests = 0;
  const ips = ev.addedIps ? new Set(ev.addedIps) : undefined;
  // An address (an entry point coming back) answered before it went away too: only what it answers after addedAt counts.
  // A pod is new, so any answer from it counts (it may come a little before the orchestrator's poll saw it Ready).
  const isAdded = (s: Sample) =>
    ips ? s.t + s.ms >= ev.addedAt! && (ips.has(hostOf(s.target)) || (s.upstream !== undefined && ips.has(hostOf(s.upstream)))) : s.backend === ev.addedBackend;
  for (const s of samples) {
    if (!s.ok || !isAdded(s)) continue;
    requests++;
    first = Math.min(first, s.t + s.ms);
  }
  return {
    addedAt: ev.addedAt,
    addedBackend: ev.addedBackend,
    firstResponseAfterMs: Number.isFinite(first) ? round3(Math.max(0, first - ev.addedAt)) : null,
    requests,
  };
}

/** Everything the report shows about one mode. */
export function analyzeMode(samples: readonly Sample[], events: ModeEvents = {}, opts: AnalyzeOptions = {}): ModeSummary {
  const window = Math.max(1, opts.healthyWindow ?? DEFAULT_HEALTHY_WINDOW);
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const perBackend: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const okMs: number[] = [];
  for (const s of sorted) {
    if (s.ok) {
      okMs.push(s.ms);
      if (s.backend !== null) perBackend[s.backend] = (perBackend[s.backend] ?? 0) + 1;
    } else {
      const e = s.err ?? 'error';
      errors[e] = (errors[e] ?? 0) + 1;
    }
  }
  const exclude = new Set<string>();
  if (events.killedBackend !== undefined) exclude.add(events.killedBackend);
  if (events.addedBackend !== undefined) exclude.add(events.addedBackend);
  return {
    count: sorted.length,
    ok: okMs.length,
    failed: sorted.length - okMs.length,
    latency: latencySummary(okMs),
    perBackend,
    spread: spreadOf(perBackend, exclude),
    errors,
    failover: failoverOf(sorted, events, window),
    added: addedOf(sorted, events),
  };
}
