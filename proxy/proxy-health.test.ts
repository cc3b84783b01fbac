import { describe, expect, it } from 'vitest';
import { ProxyHealth } from './proxy-health.js';

describe('ProxyHealth', () => {
  it.each([
    { name: 'nothing queued is healthy however old the last sync', steps: [['updated', 0]], at: 1e9, healthy: true },
    { name: 'a change queued less than the timeout ago is healthy', steps: [['queued', 1000]], at: 60_999, healthy: true },
    { name: 'a change waiting the timeout is unhealthy', steps: [['queued', 1000]], at: 61_000, healthy: false },
    { name: 'a sync after the change makes it healthy again', steps: [['queued', 1000], ['updated', 70_000]], at: 70_001, healthy: true },
    {
      name: 'later changes do not reset the age of the oldest waiting one',
      steps: [['queued', 1000], ['queued', 50_000]],
      at: 61_000,
      healthy: false,
    },
  ] as const)('$name', ({ steps, at, healthy }) => {
    const h = new ProxyHealth(60_000);
    for (const [what, t] of steps) {
      if (what === 'queued') h.queued(t);
      else h.updated(t, t);
    }
    const s = h.status(at);
    expect(s.healthy).toBe(healthy);
    expect(s.body.currentTime).toBe(new Date(at).toISOString());
  });
});
