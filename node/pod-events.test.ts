import { describe, expect, it } from 'vitest';
import type { Event, Pod } from '../kube/api/core.js';
import { PodEventRecorder } from './pod-events.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'shop', uid: 'u1' }, spec: { containers: [] } };

function fakeClient() {
  const created: Event[] = [];
  const patched: Array<{ name: string; body: object }> = [];
  return {
    created,
    patched,
    create: async <T>(_r: unknown, obj: T) => {
      created.push(obj as Event);
      return obj;
    },
    patch: async <T>(_r: unknown, name: string, _t: unknown, body: object) => {
      patched.push({ name, body });
      return body as T;
    },
  };
}

describe('PodEventRecorder', () => {
  it('records a kubelet event naming the container by fieldPath', () => {
    const c = fakeClient();
    new PodEventRecorder(c, 'node-1', () => undefined, () => Date.parse('2026-01-01T00:00:00Z')).emit(pod, 'Normal', 'Started', 'Started container echo', 'echo');
    expect(c.created[0]).toMatchObject({
      metadata: { namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'u1', fieldPath: 'spec.containers{echo}' },
      reason: 'Started',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-1' },
      count: 1,
      lastTimestamp: '2026-01-01T00:00:00Z',
    });
  });

  it('counts a repeated event on the first one instead of creating another', () => {
    const c = fakeClient();
    let t = 0;
    const r = new PodEventRecorder(c, 'n', () => undefined, () => t);
    r.emit(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: refused', 'echo');
    t = 1000;
    r.emit(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: refused', 'echo');
    r.emit(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: timeout', 'echo');
    expect(c.created).toHaveLength(2);
    expect(c.patched).toEqual([{ name: c.created[0]!.metadata.name, body: { count: 2, lastTimestamp: '1970-01-01T00:00:01Z' } }]);
  });
});
