// The demo's results.json: what was run (labs, parameters, times), and per
// mode the analysis and a timeline of requests for the failover chart. Plus
// `checkResultsSane`, the CI test's oracle: it says what is wrong with a run,
// never what the numbers should be.
import { analyzeMode, type ModeEvents, type ModeSummary, type Sample } from './analyze.js';
import { isRequestSample, isResolution, isStartLine, type LoadgenLine, type ResolutionEvent } from './loadgen.js';

export const RESULTS_VERSION = 1;

/** The four ways the client reaches the echo pods. */
export type DemoMode = 'clusterip' | 'sidecar' | 'dns' | 'headless';

export const MODE_TITLES: Record<DemoMode, string> = {
  clusterip: 'ClusterIP (iptables proxy)',
  sidecar: 'Sidecar LB (localhost)',
  dns: 'DNS LB across 2 clusters',
  headless: 'Headless Service (client picks)',
};

/** A request as the timeline keeps it (a loadgen sample minus the fields the charts do not use). */
export type TimelineSample = Pick<Sample, 't' | 'ms' | 'ok' | 'backend' | 'target'> & { err?: string };

export interface ModeResult {
  mode: DemoMode;
  /** What the client connected to (URL, or name:port). */
  target: string;
  /** Pods serving when the run started: each must get traffic. */
  backends: string[];
  events: ModeEvents;
  summary: ModeSummary;
  /** Requests in send order; every failure is kept, successes are thinned when there are many. */
  timeline: TimelineSample[];
  /** How many requests `timeline` stands for (= summary.count). */
  timelineOf: number;
  /** DNS modes: the lookups the client made. */
  resolutions?: ResolutionEvent[];
  /** What the orchestrator saw during the run (e.g. the global DNS withdrawing a record), ms on the run's clock. */
  notes?: { at: number; text: string }[];
}

export interface DemoParameters {
  rate: number;
  durationS: number;
  timeoutMs: number;
  healthyWindow: number;
  replicas: number;
  /** Seconds into each run when a backend is killed / added. */
  killAtS?: number;
  addAtS?: number;
  /** TTL of the global DNS records, and of the cluster DNS's. */
  globalDnsTtlS?: number;
  clusterDnsTtlS?: number;
  nodePort?: number;
}

export interface DemoResults {
  version: typeof RESULTS_VERSION;
  labs: string[];
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string;
  parameters: DemoParameters;
  modes: ModeResult[];
}

export const DEFAULT_TIMELINE_MAX = 4000;

/**
 * Thins a run's samples to at most about `max` for the timeline: all failures
 * stay (they are the story), successes are kept every k-th per backend so each
 * backend's band stays visible.
 */
export function downsampleTimeline(samples: readonly Sample[], max = DEFAULT_TIMELINE_MAX): TimelineSample[] {
  const slim = (s: Sample): TimelineSample => {
    const out: TimelineSample = { t: s.t, ms: s.ms, ok: s.ok, backend: s.backend, target: s.target };
    if (s.err !== undefined) out.err = s.err;
    return out;
  };
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  if (sorted.length <= max) return sorted.map(slim);
  const failures = sorted.filter((s) => !s.ok).length;
  const room = Math.max(1, max - failures);
  const step = Math.ceil((sorted.length - failures) / room);
  const seen = new Map<string, number>();
  const out: TimelineSample[] = [];
  for (const s of sorted) {
    if (!s.ok) {
      out.push(slim(s));
      continue;
    }
    const k = s.backend ?? '';
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    if (n % step === 0) out.push(slim(s));
  }
  return out;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Problems with a run's results; empty when they are sane. */
export function checkResultsSane(r: DemoResults): string[] {
  const problems: string[] = [];
  if (r.version !== RESULTS_VERSION) problems.push(`version ${String(r.version)}, expected ${RESULTS_VERSION}`);
  if (r.labs.length === 0) problems.push('no labs recorded');
  if (Number.isNaN(Date.parse(r.startedAt)) || Number.isNaN(Date.parse(r.finishedAt))) problems.push('startedAt/finishedAt are not dates');
  else if (Date.parse(r.finishedAt) < Date.parse(r.startedAt)) problems.push('finishedAt is before startedAt');
  if (r.modes.length === 0) problems.push('no modes were run');
  for (const m of r.modes) {
    const p = (msg: string) => problems.push(`${m.mode}: ${msg}`);
    const s = m.summary;
    if (s.count === 0) {
      p('no requests');
      continue;
    }
    if (s.ok === 0) p('no successful requests');
    if (s.ok + s.failed !== s.count) p(`ok ${s.ok} + failed ${s.failed} ≠ count ${s.count}`);
    if (m.backends.length === 0) p('no backends recorded');
    for (const b of m.backends) if (!((s.perBackend[b] ?? 0) > 0)) p(`backend ${b} got no traffic`);
    if (m.events.addedBackend !== undefined && !((s.added?.requests ?? 0) > 0)) p(`added backend ${m.events.addedBackend} got no traffic`);
    const l = s.latency;
    if (l) {
      if (![l.p50, l.p90, l.p99, l.max].every(isNum)) p('latency is not a number');
      else {
        if (!(l.p50 > 0)) p(`p50 ${l.p50} is not positive`);
        if (!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max)) p(`latencies out of order: p50 ${l.p50}, p90 ${l.p90}, p99 ${l.p99}, max ${l.max}`);
      }
    } else if (s.ok > 0) p('no latency summary');
    if (m.events.killAt === undefined) p('no kill event recorded');
    else if (!s.failover) p('kill event recorded but no failover analysis');
    else if (s.failover.failedAfterKill === 0 && s.failover.timeToHealthyMs === null) p('failover not detected (no failures and no time to healthy)');
  }
  return problems;
}

/** An orchestrator time (Date.now()) on a loadgen run's clock (ms since its start line's `startedAt`). */
export function loadgenTime(epochMs: number, startedAt: number): number {
  return Math.round((epochMs - startedAt) * 1000) / 1000;
}

export interface ModeRunInput {
  mode: DemoMode;
  backends: string[];
  /** Kill/add times already on the loadgen clock (see loadgenTime). */
  events: ModeEvents;
  /** The loadgen's parsed output lines (parseLoadgenLine). */
  lines: readonly LoadgenLine[];
  healthyWindow?: number;
  timelineMax?: number;
  notes?: { at: number; text: string }[];
}

/** One mode's entry of results.json from the load generator's output. */
export function modeResultFromLines(input: ModeRunInput): ModeResult {
  const samples = input.lines.filter(isRequestSample);
  const resolutions = input.lines.filter(isResolution);
  const start = input.lines.find(isStartLine);
  const out: ModeResult = {
    mode: input.mode,
    target: start?.target ?? '',
    backends: [...input.backends],
    events: input.events,
    summary: analyzeMode(samples, input.events, input.healthyWindow === undefined ? {} : { healthyWindow: input.healthyWindow }),
    timeline: downsampleTimeline(samples, input.timelineMax),
    timelineOf: samples.length,
  };
  if (resolutions.length > 0) out.resolutions = resolutions;
  if (input.notes?.length) out.notes = input.notes;
  return out;
}
