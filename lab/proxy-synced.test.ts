import { describe, expect, it } from 'vitest';
import { proxyHasSynced } from './proxy-synced.js';

describe('proxyHasSynced', () => {
  it.each([
    { name: 'synced once', body: '{"lastUpdated":"2026-11-28T19:10:37.000Z","currentTime":"2026-11-28T19:10:38.000Z"}', want: true },
    { name: 'never synced: the epoch', body: '{"lastUpdated":"1970-01-01T00:00:00.000Z","currentTime":"2026-11-28T19:10:38.000Z"}', want: false },
    { name: 'no field', body: '{"currentTime":"2026-11-28T19:10:38.000Z"}', want: false },
    { name: 'not JSON', body: 'ok', want: false },
  ])('$name', ({ body, want }) => {
    expect(proxyHasSynced(body)).toBe(want);
  });
});
