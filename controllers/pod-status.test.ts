import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/api/core.js';
import { availableAt, controllerRefOf, isPodActive, isPodAvailable, isPodReady, splitKey } from './pod-status.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function pod(ready: 'True' | 'False' | undefined, readySecondsAgo?: number, extra: Partial<Pod['metadata']> = {}, phase?: 'Running' | 'Failed' | 'Succeeded'): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', ...extra },
    status: {
      ...(phase ? { phase } : {}),
      ...(ready
        ? { conditions: [{ type: 'Ready', status: ready, ...(readySecondsAgo !== undefined ? { lastTransitionTime: new Date(NOW - readySecondsAgo * 1000).toISOString() } : {}) }] }
        : {}),
    },
  };
}

describe('readiness and availability', () => {
  it.each<[string, Pod, number, boolean, boolean]>([
    ['ready, no minReadySeconds', pod('True', 1), 0, true, true],
    ['ready long enough', pod('True', 30), 10, true, true],
    ['ready too briefly', pod('True', 5), 10, true, false],
    ['ready without a transition time', pod('True'), 10, true, true],
    ['not ready', pod('False', 100), 0, false, false],
    ['no conditions', pod(undefined), 0, false, false],
  ])('%s', (_n, p, minReady, ready, available) => {
    expect(isPodReady(p)).toBe(ready);
    expect(isPodAvailable(p, minReady, NOW)).toBe(available);
  });

  it('says when a ready pod becomes available', () => {
    expect(availableAt(pod('True', 5), 10)).toBe(NOW + 5000);
    expect(availableAt(pod('False', 5), 10)).toBeUndefined();
  });
});

describe('isPodActive', () => {
  it.each<[string, Pod, boolean]>([
    ['running', pod('True', 1, {}, 'Running'), true],
    ['failed', pod(undefined, undefined, {}, 'Failed'), false],
    ['succeeded', pod(undefined, undefined, {}, 'Succeeded'), false],
    ['terminating', pod('True', 1, { deletionTimestamp: '2024-01-01T00:00:00Z' }, 'Running'), false],
  ])('%s → %s', (_n, p, want) => {
    expect(isPodActive(p)).toBe(want);
  });
});

describe('controllerRefOf / splitKey', () => {
  it('finds the controller among owner references', () => {
    const p = pod(undefined, undefined, {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'n' },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'r', controller: true },
      ],
    });
    expect(controllerRefOf(p)?.uid).toBe('r');
    expect(controllerRefOf(pod(undefined))).toBeUndefined();
  });
  it.each([
    ['ns/name', { namespace: 'ns', name: 'name' }],
    ['node-1', { namespace: '', name: 'node-1' }],
  ])('%s', (key, want) => {
    expect(splitKey(key)).toEqual(want);
  });
});
