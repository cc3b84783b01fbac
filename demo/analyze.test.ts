import { describe, expect, it } from 'vitest';
import { analyzeMode, latencySummary, spreadOf, type Sample } from './analyze.js';

/** Requests every 10 ms, round-robin over `pods` (pod-i at 10.0.0.i+1), 1 ms each unless `tweak` changes them. */
function run(n: number, pods: string[], tweak: (s: Sample, i: number) => Sample = (s) => s): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const p = i % pods.length;
    const ip = `10.0.0.${p + 1}`;
    return tweak({ t: i * 10, ms: 1, ok: true, backend: pods[p]!, podIp: ip, target: `${ip}:8080` }, i);
  });
}

describe('latencySummary / spreadOf', () => {
  it('computes nearest-rank percentiles', () => {
    const l = latencySummary(Array.from({ length: 100 }, (_, i) => i + 1))!;
    expect(l).toEqual({ p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(latencySummary([])).toBeNull();
  });
  it('measures spread over the steady backends only', () => {
    expect(spreadOf({ a: 100, b: 100, c: 100 }, new Set())).toEqual({ backends: ['a', 'b', 'c'], cv: 0, maxOverMin: 1 });
    const s = spreadOf({ a: 50, b: 150, dead: 3 }, new Set(['dead']));
    expect(s.backends).toEqual(['a', 'b']);
    expect(s.cv).toBe(0.5);
    expect(s.maxOverMin).toBe(3);
  });
});

describe('analyzeMode', () => {
  it('counts, latency of ok requests only, per-backend counts and errors', () => {
    const samples = run(10, ['a', 'b'], (s, i) => (i === 3 ? { ...s, ok: false, backend: null, ms: 1000, err: 'timeout' } : { ...s, ms: i + 1 }));
    const m = analyzeMode(samples);
    expect(m.count).toBe(10);
    expect(m.ok).toBe(9);
    expect(m.failed).toBe(1);
    expect(m.latency!.max).toBe(10);
    expect(m.perBackend).toEqual({ a: 5, b: 4 });
    expect(m.errors).toEqual({ timeout: 1 });
    expect(m.failover).toBeNull();
    expect(m.added).toBeNull();
  });

  it('measures a failover: failures after the kill, requests to the dead IP, last failure, time to healthy', () => {
    // 3 pods; pod c (10.0.0.3) dies at t = 500; requests to it fail until t = 800 (client cache), then it is gone.
    const samples = run(300, ['a', 'b', 'c'], (s) => {
      if (s.backend !== 'c' || s.t < 500) return s;
      if (s.t < 800) return { ...s, ok: false, backend: null, podIp: null, err: 'ECONNREFUSED' };
      return { ...s, backend: 'a', podIp: '10.0.0.1', target: '10.0.0.1:8080' };
    });
    const m = analyzeMode(samples, { killAt: 500, killedBackend: 'c' }, { healthyWindow: 20 });
    const f = m.failover!;
    expect(f.killedBackend).toBe('c');
    expect(f.failedAfterKill).toBe(10); // t = 500, 530, …, 770
    expect(f.sentToDeadAfterKill).toBe(10);
    expect(f.answeredByDeadAfterKill).toBe(0);
    expect(f.lastFailureMs).toBe(270);
    expect(f.timeToHealthyMs).toBe(280); // the request after the last failure (t = 780)
    expect(m.spread.backends).toEqual(['a', 'b']);
  });

  it('counts a request in flight at the kill as hit, and uses the sidecar upstream for the dead IP', () => {
    const samples: Sample[] = [
      { t: 0, ms: 1, ok: true, backend: 'a', podIp: '10.0.0.1', target: '127.0.0.1:15001', upstream: '10.0.0.1:8080' },
      { t: 5, ms: 1, ok: true, backend: 'b', podIp: '10.0.0.2', target: '127.0.0.1:15001', upstream: '10.0.0.2:8080' },
      { t: 95, ms: 10, ok: false, backend: null, target: '127.0.0.1:15001', upstream: '10.0.0.2:8080', err: 'HTTP 502' },
      { t: 110, ms: 1, ok: false, backend: null, target: '127.0.0.1:15001', upstream: '10.0.0.2:8080', err: 'HTTP 502' },
      ...Array.from({ length: 5 }, (_, i): Sample => ({ t: 120 + i, ms: 1, ok: true, backend: 'a', podIp: '10.0.0.1', target: '127.0.0.1:15001', upstream: '10.0.0.1:8080' })),
    ];
    const f = analyzeMode(samples, { killAt: 100, killedBackend: 'b' }, { healthyWindow: 5 }).failover!;
    expect(f.failedAfterKill).toBe(2);
    expect(f.sentToDeadAfterKill).toBe(1);
    expect(f.lastFailureMs).toBe(10);
    expect(f.timeToHealthyMs).toBe(20);
  });

  it('reports no time to healthy when the run ends inside the failures, and 0-ish without failures', () => {
    const failing = run(50, ['a'], (s) => (s.t >= 200 ? { ...s, ok: false, backend: null, err: 'timeout' } : s));
    expect(analyzeMode(failing, { killAt: 200, killedBackend: 'a' }).failover!.timeToHealthyMs).toBeNull();
    const clean = run(100, ['a', 'b'], (s) => (s.backend === 'b' && s.t >= 205 ? { ...s, backend: 'a' } : s));
    const f = analyzeMode(clean, { killAt: 205, killedBackend: 'b' }).failover!;
    expect(f.failedAfterKill).toBe(0);
    expect(f.lastFailureMs).toBe(0);
    expect(f.timeToHealthyMs).toBe(5); // the first request after the kill (t = 210)
  });

  it('takes explicit dead addresses (a DNS entry point) when given', () => {
    const samples = run(40, ['a', 'b']).map((s, i) => ({ ...s, target: i % 2 ? '192.168.50.2:30080' : '192.168.60.2:30080' }));
    const f = analyzeMode(samples, { killAt: 100, killedBackend: 'b', killedIps: ['192.168.50.2'] }).failover!;
    expect(f.sentToDeadAfterKill).toBe(15); // odd i from 11 to 39
  });

  it('times the first response of an added backend from Ready, null when it never answers', () => {
    const samples = run(100, ['a', 'b'], (s) => (s.t >= 700 && s.backend === 'b' ? { ...s, backend: 'new', ms: 2 } : s));
    const m = analyzeMode(samples, { addedAt: 650, addedBackend: 'new' });
    expect(m.added).toEqual({ addedAt: 650, addedBackend: 'new', firstResponseAfterMs: 62, requests: 15 });
    expect(m.spread.backends).toEqual(['a', 'b']);
    expect(analyzeMode(run(10, ['a']), { addedAt: 50, addedBackend: 'x' }).added!.firstResponseAfterMs).toBeNull();
  });

  it('does not depend on sample order', () => {
    const samples = run(60, ['a', 'b'], (s) => (s.t >= 300 && s.t < 400 ? { ...s, ok: false, backend: null, err: 'x' } : s));
    const events = { killAt: 300, killedBackend: 'b' };
    expect(analyzeMode([...samples].reverse(), events, { healthyWindow: 5 })).toEqual(analyzeMode(samples, events, { healthyWindow: 5 }));
  });
});

describe('added entry point (matched by address)', () => {
  it('counts responses through the added address, whatever pod answered', () => {
    const mk = (t: number, target: string, backend: string) => ({ t, ms: 2, ok: true, backend, target });
    const samples = [mk(0, '10.0.0.1:30080', 'a'), mk(100, '10.0.0.2:30080', 'b'), mk(2000, '10.0.0.2:30080', 'a'), mk(2500, '10.0.0.2:30080', 'b')];
    const s = analyzeMode(samples, { addedAt: 1000, addedBackend: 'entry 10.0.0.2:30080', addedIps: ['10.0.0.2'] });
    expect(s.added).toEqual({ addedAt: 1000, addedBackend: 'entry 10.0.0.2:30080', firstResponseAfterMs: 1002, requests: 2 });
  });
});
