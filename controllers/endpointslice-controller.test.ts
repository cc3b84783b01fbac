import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../kube/api/core.js';
import { SliceWriteTracker } from './endpointslice-controller.js';

const slice = (name: string, rv: string): EndpointSlice => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  addressType: 'IPv4',
  endpoints: [],
});

function setup() {
  let t = 0;
  const cache = new Map<string, EndpointSlice>();
  const tracker = new SliceWriteTracker(5000, () => t, (ns, n) => cache.get(`${ns}/${n}`));
  return { tracker, cache, advance: (ms: number) => (t += ms) };
}

describe('SliceWriteTracker', () => {
  it('a write waits until the informer shows it', () => {
    const { tracker, cache } = setup();
    tracker.wrote('ns/web', slice('web-a', '10'));
    expect(tracker.awaiting('ns/web')).toBe(true);
    expect(tracker.awaiting('ns/other')).toBe(false);
    tracker.observed(slice('web-a', '9'), false);
    expect(tracker.awaiting('ns/web')).toBe(true);
    cache.set('ns/web-a', slice('web-a', '10'));
    tracker.observed(slice('web-a', '10'), false);
    expect(tracker.awaiting('ns/web')).toBe(false);
  });

  it('a watch event that beat the write response is not waited for', () => {
    const { tracker, cache } = setup();
    cache.set('ns/web-a', slice('web-a', '10'));
    tracker.observed(slice('web-a', '10'), false);
    tracker.wrote('ns/web', slice('web-a', '10'));
    expect(tracker.awaiting('ns/web')).toBe(false);
  });

  it('a later version clears an earlier write', () => {
    const { tracker } = setup();
    tracker.wrote('ns/web', slice('web-a', '10'));
    tracker.observed(slice('web-a', '12'), false);
    expect(tracker.awaiting('ns/web')).toBe(false);
  });

  it('a deletion waits for the delete event; one already gone is not waited for', () => {
    const { tracker, cache } = setup();
    cache.set('ns/web-a', slice('web-a', '10'));
    tracker.deleted('ns/web', slice('web-a', '10'));
    expect(tracker.awaiting('ns/web')).toBe(true);
    cache.delete('ns/web-a');
    tracker.observed(slice('web-a', '10'), true);
    expect(tracker.awaiting('ns/web')).toBe(false);
    tracker.deleted('ns/web', slice('web-a', '10'));
    expect(tracker.awaiting('ns/web')).toBe(false);
  });

  it('gives up waiting after the timeout', () => {
    const { tracker, advance } = setup();
    tracker.wrote('ns/web', slice('web-a', '10'));
    advance(5001);
    expect(tracker.awaiting('ns/web')).toBe(false);
  });
});
