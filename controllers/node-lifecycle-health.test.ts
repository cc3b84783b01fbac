import { describe, expect, it } from 'vitest';
import type { Node, Pod, Taint, Toleration } from '../kube/api/core.js';
import {
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  evictionTime,
  observeHeartbeat,
  planNode,
  podMarkedNotReady,
  rfc3339,
  type NodeHealth,
} from './node-lifecycle-health.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const timings = { nodeMonitorGracePeriodMs: 40_000, podEvictionTimeoutMs: 300_000 };

function node(o: { ready?: 'True' | 'False' | 'Unknown' | null; heartbeat?: string; taints?: Taint[] } = {}): Node {
  const n: Node = { metadata: { name: 'n1', creationTimestamp: '2024-12-31T00:00:00Z' }, spec: {}, status: { conditions: [] } };
  if (o.ready !== null) {
    n.status!.conditions!.push(
      { type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', lastHeartbeatTime: o.heartbeat ?? '2025-01-01T00:00:00Z', lastTransitionTime: '2024-12-31T00:00:00Z' },
      { type: 'MemoryPressure', status: o.ready === 'Unknown' ? 'Unknown' : 'False' },
    );
  }
  if (o.taints) n.spec!.taints = o.taints;
  return n;
}

function pod(name: string, o: { ready?: boolean; tolerations?: Toleration[]; deletionTimestamp?: string; phase?: 'Running' | 'Succeeded' } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: name, ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c' }], ...(o.tolerations ? { tolerations: o.tolerations } : {}) },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const names = (ps: Pod[]) => ps.map((p) => p.metadata.name);

describe('observeHeartbeat', () => {
  it.each([
    { name: 'first sight starts the grace now', prev: undefined, lease: '2025-01-01T00:00:00Z', want: T0 + 5000 },
    { name: 'an unchanged heartbeat keeps the probe time', prev: { heartbeat: 'L1|2025-01-01T00:00:00Z', probeTime: T0 }, lease: 'L1', want: T0 },
    { name: 'a renewed lease moves the probe time', prev: { heartbeat: 'L1|2025-01-01T00:00:00Z', probeTime: T0 }, lease: 'L2', want: T0 + 5000 },
  ])('$name', ({ prev, lease, want }) => {
    expect(observeHeartbeat(prev, node(), { spec: { renewTime: lease } }, T0 + 5000).probeTime).toBe(want);
  });

  it('a new status heartbeat alone also counts', () => {
    const h = observeHeartbeat(undefined, node(), undefined, T0);
    expect(observeHeartbeat(h, node({ heartbeat: '2025-01-01T00:00:10Z' }), undefined, T0 + 10_000).probeTime).toBe(T0 + 10_000);
  });
});

describe('planNode: the state machine', () => {
  const fresh: NodeHealth = { heartbeat: 'x', probeTime: T0, readyStatus: 'True' };

  it('within the grace period nothing happens, and a recheck is scheduled at its end', () => {
    const p = planNode(node(), fresh, [pod('a')], T0 + 40_000, timings);
    expect(p).toMatchObject({ silent: false, markNotReady: [], evict: [], events: [], recheckAt: T0 + 40_001 });
    expect(p.conditions).toBeUndefined();
    expect(p.taints).toBeUndefined();
  });

  it('a silent node: conditions Unknown, unreachable taints, pods not ready, an event', () => {
    const now = T0 + 40_001;
    const p = planNode(node(), fresh, [pod('a'), pod('b', { ready: false }), pod('c', { phase: 'Succeeded' })], now, timings);
    expect(p.silent).toBe(true);
    expect(p.conditions?.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastHeartbeatTime: '2025-01-01T00:00:00Z',
      lastTransitionTime: rfc3339(now),
    });
    expect(p.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('Unknown');
    expect(p.taints).toEqual([
      { key: TAINT_UNREACHABLE, effect: 'NoSchedule', timeAdded: rfc3339(now) },
      { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: rfc3339(now) },
    ]);
    expect(names(p.markNotReady)).toEqual(['a']);
    expect(p.evict).toEqual([]);
    expect(p.recheckAt).toBe(Date.parse(rfc3339(now)) + 300_000);
    expect(p.events).toEqual([{ type: 'Normal', reason: 'NodeNotReady', message: 'Node n1 status is now: NodeNotReady' }]);
    expect(p.readyStatus).toBe('Unknown');
  });

  it('a node that never posted a status gets Ready=Unknown NodeStatusNeverUpdated', () => {
    const p = planNode(node({ ready: null }), { heartbeat: '', probeTime: T0 }, [], T0 + 41_000, timings);
    expect(p.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated' })]);
  });

  it('once written, the next pass writes nothing and evicts after the timeout', () => {
    const added = '2025-01-01T00:00:41Z';
    const tainted = node({
      ready: 'Unknown',
      taints: [
        { key: TAINT_UNREACHABLE, effect: 'NoSchedule', timeAdded: added },
        { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: added },
      ],
    });
    const pods = [pod('a', { ready: false }), pod('keep', { ready: false, tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }] })];
    const h: NodeHealth = { ...fresh, readyStatus: 'Unknown' };
    const before = planNode(tainted, h, pods, Date.parse(added) + 299_999, timings);
    expect(before.conditions).toBeUndefined();
    expect(before.taints).toBeUndefined();
    expect(before.events).toEqual([]);
    expect(before.evict).toEqual([]);
    const after = planNode(tainted, h, pods, Date.parse(added) + 300_000, timings);
    expect(names(after.evict)).toEqual(['a']);
  });

  it('heartbeats again: our taints go, other taints stay, conditions are left to the node', () => {
    const other: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const tainted = node({ ready: 'Unknown', taints: [other, { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: '2025-01-01T00:00:41Z' }] });
    const back: NodeHealth = { heartbeat: 'new', probeTime: T0 + 100_000, readyStatus: 'Unknown' };
    const p = planNode(tainted, back, [pod('a', { ready: false })], T0 + 100_000, timings);
    expect(p.silent).toBe(false);
    expect(p.taints).toEqual([other]);
    expect(p.conditions).toBeUndefined();
    expect(p.evict).toEqual([]);
  });

  it('the kubelet posting Ready=True again gives a NodeReady event', () => {
    const p = planNode(node(), { heartbeat: 'new', probeTime: T0, readyStatus: 'Unknown' }, [], T0 + 1000, timings);
    expect(p.events.map((e) => e.reason)).toEqual(['NodeReady']);
  });

  it('a node posting Ready=False gets the not-ready taints', () => {
    const p = planNode(node({ ready: 'False' }), fresh, [pod('a')], T0 + 1000, timings);
    expect(p.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual([`${TAINT_NOT_READY}:NoSchedule`, `${TAINT_NOT_READY}:NoExecute`]);
    expect(p.markNotReady).toEqual([]);
  });

  it('a pod already terminating on a silent node is force-deleted once its grace is over', () => {
    const tainted = node({ ready: 'Unknown', taints: [{ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: '2025-01-01T00:00:41Z' }] });
    const p = planNode(tainted, fresh, [pod('t', { ready: false, deletionTimestamp: '2025-01-01T00:01:00Z' })], T0 + 60_000, timings);
    expect(names(p.evict)).toEqual(['t']);
  });
});

describe('evictionTime', () => {
  const taint: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' };
  it.each([
    { name: 'no toleration: the default timeout', tol: [], want: T0 + 300_000 },
    { name: 'a toleration with seconds', tol: [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 10 }], want: T0 + 10_000 },
    { name: 'the smallest of several', tol: [{ operator: 'Exists' as const, tolerationSeconds: 60 }, { key: TAINT_UNREACHABLE, operator: 'Exists' as const, tolerationSeconds: 5 }], want: T0 + 5_000 },
    { name: 'a toleration without seconds: forever', tol: [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, effect: 'NoExecute' as const }], want: undefined },
    { name: 'tolerating another key does not count', tol: [{ key: 'other', operator: 'Exists' as const, tolerationSeconds: 1 }], want: T0 + 300_000 },
    { name: 'tolerating another effect does not count', tol: [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, effect: 'NoSchedule' as const }], want: T0 + 300_000 },
    { name: 'zero seconds: at once', tol: [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, tolerationSeconds: 0 }], want: T0 },
  ])('$name', ({ tol, want }) => {
    expect(evictionTime(pod('p', { tolerations: tol }), [taint], 300_000, T0 + 1)).toBe(want);
  });

  it('taints that are not ours, or NoSchedule, do not evict', () => {
    expect(evictionTime(pod('p'), [{ key: 'x', effect: 'NoExecute' }, { key: TAINT_UNREACHABLE, effect: 'NoSchedule' }], 1000, T0)).toBeUndefined();
  });
});

describe('podMarkedNotReady', () => {
  it('turns Ready False with a transition time and leaves the rest', () => {
    const p = pod('a');
    p.status!.conditions!.push({ type: 'PodScheduled', status: 'True' });
    const m = podMarkedNotReady(p, T0);
    expect(m.status?.conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'NodeNotReady', message: 'Node is not ready', lastTransitionTime: '2025-01-01T00:00:00Z' },
      { type: 'PodScheduled', status: 'True' },
    ]);
    expect(p.status?.conditions?.[0]?.status).toBe('True');
  });
});
