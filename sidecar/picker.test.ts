import { describe, expect, it } from 'vitest';
import type { Upstream } from './endpoints.js';
import { createPicker, isPolicy, LeastRequestPicker, RoundRobinPicker } from './picker.js';

const ups: Upstream[] = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ ip, port: 80, address: `${ip}:80` }));

describe('RoundRobinPicker', () => {
  it('rotates exactly and keeps rotating over a changed list', () => {
    const p = new RoundRobinPicker();
    expect([0, 1, 2, 3, 4, 5].map(() => p.pick(ups)!.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const two = ups.slice(0, 2);
    expect([0, 1, 2, 3].map(() => p.pick(two)!.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
    expect(p.pick([])).toBeUndefined();
  });
});

describe('LeastRequestPicker (power of two choices)', () => {
  it('picks the less loaded of two distinct random candidates, the first on a tie', () => {
    const load: Record<string, number> = { '10.0.0.1:80': 5, '10.0.0.2:80': 1, '10.0.0.3:80': 1 };
    // draws: i = floor(0.0*3)=0, j = floor(0.5*2)=1 → skip i → index 2
    let draws = [0.0, 0.5];
    const p = new LeastRequestPicker((a) => load[a] ?? 0, () => draws.shift()!);
    expect(p.pick(ups)!.ip).toBe('10.0.0.3');
    // i = 1, j = floor(0.9*2)=1 → ≥ i → 2: loads 1 vs 1 → first draw wins
    draws = [0.4, 0.9];
    expect(p.pick(ups)!.ip).toBe('10.0.0.2');
    // i = 2, j = 0: 1 vs 5 → 10.0.0.3
    draws = [0.99, 0.0];
    expect(p.pick(ups)!.ip).toBe('10.0.0.3');
  });
  it('never picks the same endpoint twice for the two choices and never the most loaded of three', () => {
    const load: Record<string, number> = { '10.0.0.1:80': 9, '10.0.0.2:80': 0, '10.0.0.3:80': 0 };
    const p = new LeastRequestPicker((a) => load[a] ?? 0);
    for (let k = 0; k < 500; k++) expect(p.pick(ups)!.ip).not.toBe('10.0.0.1');
  });
  it('handles 0 and 1 candidates without drawing', () => {
    const p = new LeastRequestPicker(() => 0, () => {
      throw new Error('no draw expected');
    });
    expect(p.pick([])).toBeUndefined();
    expect(p.pick(ups.slice(0, 1))!.ip).toBe('10.0.0.1');
  });
  it('spreads over all endpoints when the load is equal', () => {
    const p = createPicker('least-request', () => 0);
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) seen.add(p.pick(ups)!.ip);
    expect(seen.size).toBe(3);
  });
});

it('isPolicy', () => {
  expect(isPolicy('round-robin')).toBe(true);
  expect(isPolicy('least-request')).toBe(true);
  expect(isPolicy('random')).toBe(false);
});
