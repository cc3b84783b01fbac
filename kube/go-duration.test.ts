import { describe, it, expect } from 'vitest';
import { parseGoDuration } from './go-duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['1s', 1000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['250us', 0.25],
    ['0s', 0],
  ])('%s → %d ms', (text, want) => {
    expect(parseGoDuration(text)).toBe(want);
  });

  it.each(['', '1', '-1s', 's', '1x', '1s2', 'ms'])('rejects %j, naming the flag', (text) => {
    expect(() => parseGoDuration(text, '--sync-period')).toThrow(/--sync-period/);
  });
});
