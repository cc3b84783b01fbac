import { describe, expect, it } from 'vitest';
import { OutlierDetector, type OutlierOptions } from './outlier.js';

const opts: OutlierOptions = { consecutiveErrors: 3, baseEjectionMs: 1000, maxEjectionMs: 2500, maxEjectionPercent: 50 };

function detector(o: Partial<OutlierOptions> = {}) {
  let now = 10_000;
  const d = new OutlierDetector({ ...opts, ...o }, () => now);
  d.setUpstreams(['a', 'b', 'c', 'd']);
  return { d, advance: (ms: number) => (now += ms) };
}

describe('OutlierDetector', () => {
  it('ejects after N consecutive errors; a success resets the count', () => {
    const { d } = detector();
    expect(d.recordError('a')).toBe(false);
    expect(d.recordError('a')).toBe(false);
    d.recordSuccess('a');
    expect(d.recordError('a')).toBe(false);
    expect(d.recordError('a')).toBe(false);
    expect(d.isEjected('a')).toBe(false);
    expect(d.recordError('a')).toBe(true);
    expect(d.isEjected('a')).toBe(true);
    expect(d.ejected()).toEqual(['a']);
  });

  it('ejects for base × times ejected, capped, and un-ejects when the time is up', () => {
    const { d, advance } = detector();
    const eject = () => [1, 2, 3].map(() => d.recordError('a')).at(-1);
    expect(eject()).toBe(true);
    expect(d.stateOf('a')).toMatchObject({ timesEjected: 1, ejectedUntil: 11_000 });
    advance(999);
    expect(d.isEjected('a')).toBe(true);
    advance(1);
    expect(d.isEjected('a')).toBe(false);
    expect(eject()).toBe(true); // right away again: 2 × base
    expect(d.stateOf('a')).toMatchObject({ timesEjected: 2, ejectedUntil: 13_000 });
    advance(2000);
    expect(eject()).toBe(true); // 3 × base = 3000, capped at 2500
    expect(d.stateOf('a')).toMatchObject({ timesEjected: 3, ejectedUntil: 15_500 });
  });

  it('lowers the multiplier by one per healthy base period since the last ejection ended', () => {
    const { d, advance } = detector();
    const eject = () => [1, 2, 3].map(() => d.recordError('a')).at(-1);
    eject();
    advance(1000);
    eject();
    expect(d.stateOf('a').timesEjected).toBe(2);
    advance(2000 + 2000); // ejection over, then two healthy periods
    eject();
    expect(d.stateOf('a').timesEjected).toBe(1);
  });

  it('respects max ejection percent but always allows one', () => {
    const { d } = detector({ maxEjectionPercent: 10 });
    const eject = (h: string) => [1, 2, 3].map(() => d.recordError(h)).at(-1);
    expect(eject('a')).toBe(true); // one may always go
    expect(eject('b')).toBe(false); // 2/4 = 50 % > 10 %
    const e = detector({ maxEjectionPercent: 50 });
    const ej = (h: string) => [1, 2, 3].map(() => e.d.recordError(h)).at(-1);
    expect(ej('a')).toBe(true);
    expect(ej('b')).toBe(true); // 2/4 = 50 %
    expect(ej('c')).toBe(false); // 3/4 = 75 %
    expect(e.d.ejected().sort()).toEqual(['a', 'b']);
  });

  it('forgets upstreams that leave the set', () => {
    const { d } = detector();
    [1, 2, 3].forEach(() => d.recordError('a'));
    d.setUpstreams(['b']);
    expect(d.isEjected('a')).toBe(false);
    expect(d.stateOf('a')).toEqual({ consecutiveErrors: 0, timesEjected: 0, ejectedUntil: undefined });
  });
});
