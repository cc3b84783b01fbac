import { describe, expect, it } from 'vitest';
import { formatLogs, parseLogOptions, parseSizeIndex, timeOfOffset } from './log-read.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const text = 'one\ntwo\nthree\n';
// "one\n" seen at t0, "two\nthree\n" seen a second later.
const index = parseSizeIndex(`4 ${t0}\n14 ${t0 + 1000}\n`);

describe('formatLogs', () => {
  it.each([
    { name: 'everything by default', o: {}, want: 'one\ntwo\nthree\n' },
    { name: 'tailLines keeps the last lines', o: { tailLines: 2 }, want: 'two\nthree\n' },
    { name: 'tailLines 0 is nothing', o: { tailLines: 0 }, want: '' },
    { name: 'limitBytes cuts after tail', o: { tailLines: 2, limitBytes: 5 }, want: 'two\nt' },
    { name: 'timestamps prefix each line with when it was seen', o: { timestamps: true, tailLines: 2 }, want: '2026-01-01T00:00:01.000000000Z two\n2026-01-01T00:00:01.000000000Z three\n' },
    { name: 'since drops older lines', o: { sinceMs: t0 + 500 }, want: 'two\nthree\n' },
  ])('$name', ({ o, want }) => {
    expect(formatLogs(text, 0, o, index, t0 - 1)).toBe(want);
  });

  it('keeps a partial last line', () => {
    expect(formatLogs('a\nb', 0, { tailLines: 1 }, [], 0)).toBe('b');
  });
});

describe('timeOfOffset', () => {
  it('uses the fallback for bytes the index has not covered', () => {
    expect(timeOfOffset(index, 20, 42)).toBe(42);
    expect(timeOfOffset(index, 3, 42)).toBe(t0);
    expect(timeOfOffset(index, 4, 42)).toBe(t0 + 1000);
  });
});

describe('parseLogOptions', () => {
  it('reads the kubelet query parameters', () => {
    expect(parseLogOptions(new URLSearchParams('follow=true&tailLines=5&timestamps=true&previous=false&limitBytes=10&sinceSeconds=60'), t0)).toEqual({
      follow: true, previous: false, tailLines: 5, timestamps: true, limitBytes: 10, sinceMs: t0 - 60_000,
    });
  });
  it('rejects a bad number, naming the parameter', () => {
    expect(() => parseLogOptions(new URLSearchParams('tailLines=x'), t0)).toThrow(/tailLines/);
  });
});
