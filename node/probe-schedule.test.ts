import { describe, expect, it } from 'vitest';
import { ProbeSchedule, probeTiming } from './probe-schedule.js';

describe('probeTiming', () => {
  it('applies Kubernetes defaults', () => {
    expect(probeTiming({}, 'readiness')).toEqual({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
  });
  it('forces successThreshold 1 for liveness', () => {
    expect(probeTiming({ successThreshold: 3 }, 'liveness').successThreshold).toBe(1);
  });
});

describe('ProbeSchedule', () => {
  it('first runs initialDelaySeconds after the start, then every periodSeconds', () => {
    const s = new ProbeSchedule('readiness', { initialDelaySeconds: 5, periodSeconds: 2 }, 1000);
    expect(s.dueAtMs()).toBe(6000);
    s.record('failure', 6000);
    expect(s.dueAtMs()).toBe(8000);
  });

  it('readiness starts not ready and becomes ready after successThreshold successes', () => {
    const s = new ProbeSchedule('readiness', { successThreshold: 2 }, 0);
    expect(s.current).toBe('failure');
    expect(s.record('success', 0)).toBe(false);
    expect(s.record('success', 10_000)).toBe(true);
    expect(s.current).toBe('success');
  });

  it('flips to failure only after failureThreshold consecutive failures', () => {
    const s = new ProbeSchedule('liveness', { failureThreshold: 3, periodSeconds: 1 }, 0);
    const flips = [s.record('failure', 0), s.record('failure', 1000), s.record('success', 2000), s.record('failure', 3000), s.record('failure', 4000), s.record('failure', 5000)];
    expect(flips).toEqual([false, false, false, false, false, true]);
    expect(s.current).toBe('failure');
  });

  it('reset starts the count again', () => {
    const s = new ProbeSchedule('liveness', { failureThreshold: 1 }, 0);
    expect(s.record('failure', 0)).toBe(true);
    s.reset('success');
    expect(s.current).toBe('success');
    expect(s.record('failure', 10_000)).toBe(true);
  });
});
