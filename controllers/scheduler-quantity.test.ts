import { describe, expect, it } from 'vitest';
import { baseUnits, cpuMillis, parseQuantity, QuantityError, resourceAmount } from './scheduler-quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['2', 2],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1Ki', 1024],
    ['1G', 1e9],
    ['1k', 1000],
    ['1M', 1e6],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2e-3', 0.002],
    ['+3', 3],
    ['0', 0],
    ['100u', 100e-6],
  ])('%s → %d', (text, want) => {
    expect(parseQuantity(text)).toBeCloseTo(want, 9);
  });

  it.each(['', 'abc', '1 Gi', '1gi', '1KiB', 'Mi', '1.2.3', '--1'])('rejects %j with a message naming the input', (text) => {
    expect(() => parseQuantity(text)).toThrow(QuantityError);
    expect(() => parseQuantity(text)).toThrow(JSON.stringify(text));
  });
});

describe('cpuMillis / baseUnits', () => {
  it.each([
    ['500m', 500],
    ['2', 2000],
    ['0.1', 100],
    ['1.5', 1500],
    ['0.0001', 1], // rounds up like MilliValue
    ['250m', 250],
  ])('cpu %s = %dm', (text, want) => {
    expect(cpuMillis(text)).toBe(want);
  });

  it.each([
    ['128Mi', 134217728],
    ['1G', 1e9],
    ['1e3', 1000],
    ['1.5Ki', 1536],
  ])('memory %s = %d bytes', (text, want) => {
    expect(baseUnits(text)).toBe(want);
  });

  it('picks the unit by resource name', () => {
    expect(resourceAmount('cpu', '1')).toBe(1000);
    expect(resourceAmount('memory', '1Ki')).toBe(1024);
    expect(resourceAmount('pods', '110')).toBe(110);
  });
});
