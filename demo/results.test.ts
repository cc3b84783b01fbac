import { describe, expect, it } from 'vitest';
import type { Sample } from './analyze.js';
import { checkResultsSane, downsampleTimeline, loadgenTime, modeResultFromLines, RESULTS_VERSION } from './results.js';
import { syntheticLines, syntheticResults } from './synthetic-results.js';

describe('modeResultFromLines', () => {
  it('analyses the samples, keeps lookups and the target', () => {
    const m = modeResultFromLines({ mode: 'headless', backends: ['web-a'], events: { killAt: 1000, killedBackend: 'web-c' }, lines: syntheticLines('headless') });
    expect(m.target).toBe('http://10.96.0.50/');
    expect(m.summary.count).toBe(400);
    expect(m.summary.failover!.failedAfterKill).toBe(7);
    expect(m.resolutions).toHaveLength(1);
    expect(m.timeline).toHaveLength(400);
    expect(m.timelineOf).toBe(400);
  });
  it('maps orchestrator times onto the loadgen clock', () => {
    expect(loadgenTime(1_700_000_001_234.5, 1_700_000_000_000)).toBe(1234.5);
  });
});

describe('downsampleTimeline', () => {
  it('keeps every failure and thins successes per backend', () => {
    const samples: Sample[] = Array.from({ length: 10_000 }, (_, i) => ({ t: i, ms: 1, ok: i % 100 !== 0, backend: `p${i % 4}`, target: 'x:1', ...(i % 100 === 0 ? { err: 'e' } : {}) }));
    const d = downsampleTimeline(samples, 1000);
    expect(d.length).toBeLessThanOrEqual(1100);
    expect(d.filter((s) => !s.ok)).toHaveLength(100);
    expect(new Set(d.filter((s) => s.ok).map((s) => s.backend))).toEqual(new Set(['p0', 'p1', 'p2', 'p3']));
    expect(d.every((s, i) => i === 0 || s.t > d[i - 1]!.t)).toBe(true);
  });
});

describe('checkResultsSane', () => {
  it('accepts a plausible run', () => {
    expect(checkResultsSane(syntheticResults())).toEqual([]);
  });
  it('names what is wrong', () => {
    const r = syntheticResults();
    r.modes[0]!.backends.push('web-z');
    r.modes[1]!.summary.latency = { p50: 5, p90: 4, p99: 3, max: 6, mean: 4 };
    r.modes[2]!.events = {};
    r.modes[3]!.summary.failover = { ...r.modes[3]!.summary.failover!, failedAfterKill: 0, timeToHealthyMs: null };
    const p = checkResultsSane(r);
    expect(p).toContain('clusterip: backend web-z got no traffic');
    expect(p.some((x) => x.startsWith('sidecar: latencies out of order'))).toBe(true);
    expect(p).toContain('dns: no kill event recorded');
    expect(p).toContain('headless: failover not detected (no failures and no time to healthy)');
  });
  it('rejects non-positive latency, empty runs and a wrong version', () => {
    const r = syntheticResults();
    r.version = 2 as typeof RESULTS_VERSION;
    r.modes[0]!.summary.latency!.p50 = 0;
    r.modes[1]!.summary = { ...r.modes[1]!.summary, count: 0 };
    const p = checkResultsSane(r);
    expect(p[0]).toMatch(/^version 2/);
    expect(p).toContain('clusterip: p50 0 is not positive');
    expect(p).toContain('sidecar: no requests');
  });
});
