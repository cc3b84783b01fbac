import { describe, expect, it } from 'vitest';
import type { ContainerState, Pod } from '../kube/api/core.js';
import { computePodStatus, isTerminal, podPhase, statusDiffers, type ContainerView, type PodView } from './pod-status.js';

const pod = (restartPolicy?: 'Always' | 'OnFailure' | 'Never'): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'a' }, { name: 'b' }], ...(restartPolicy ? { restartPolicy } : {}) },
});
const running: ContainerState = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const exited = (exitCode: number): ContainerState => ({ terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } });
const creating: ContainerState = { waiting: { reason: 'ContainerCreating' } };
const crashLoop: ContainerState = { waiting: { reason: 'CrashLoopBackOff' } };
const c = (name: string, state: ContainerState, extra: Partial<ContainerView> = {}): ContainerView => ({
  name, image: 'netkube/echo', state, restartCount: 0, ready: false, started: !!state.running, ...extra,
});
const view = (containers: ContainerView[], more: Partial<PodView> = {}): PodView => ({ hostIP: '172.18.0.11', podIPs: ['10.244.1.2'], sandboxReady: true, containers, ...more });

describe('podPhase', () => {
  it.each([
    { name: 'a container not yet started keeps the pod Pending', policy: undefined, cs: [c('a', running), c('b', creating)], want: 'Pending' },
    { name: 'all running is Running', policy: undefined, cs: [c('a', running), c('b', running)], want: 'Running' },
    { name: 'a crash-looping container still counts as running', policy: undefined, cs: [c('a', running), c('b', crashLoop, { lastState: exited(1), restartCount: 2 })], want: 'Running' },
    { name: 'Never: all exited 0 is Succeeded', policy: 'Never' as const, cs: [c('a', exited(0)), c('b', exited(0))], want: 'Succeeded' },
    { name: 'Never: one failure is Failed', policy: 'Never' as const, cs: [c('a', exited(0)), c('b', exited(3))], want: 'Failed' },
    { name: 'OnFailure: a failure restarts, so Running', policy: 'OnFailure' as const, cs: [c('a', exited(0)), c('b', exited(3))], want: 'Running' },
    { name: 'OnFailure: all exited 0 is Succeeded', policy: 'OnFailure' as const, cs: [c('a', exited(0)), c('b', exited(0))], want: 'Succeeded' },
    { name: 'Always: all exited is still Running', policy: 'Always' as const, cs: [c('a', exited(0)), c('b', exited(0))], want: 'Running' },
  ])('$name', ({ policy, cs, want }) => {
    expect(podPhase(pod(policy), view(cs))).toBe(want);
  });

  it('isTerminal once nothing will restart', () => {
    expect(isTerminal(pod('Never'), view([c('a', exited(0)), c('b', exited(1))]))).toBe(true);
    expect(isTerminal(pod('OnFailure'), view([c('a', exited(0)), c('b', exited(1))]))).toBe(false);
  });
});

describe('computePodStatus', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it('reports Ready only when every container is ready, naming the unready ones', () => {
    const s = computePodStatus(pod(), view([c('a', running, { ready: true }), c('b', running)]), t0);
    const ready = s.conditions!.find((x) => x.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
    expect(s.podIP).toBe('10.244.1.2');
    expect(s.podIPs).toEqual([{ ip: '10.244.1.2' }]);
    expect(s.conditions!.map((x) => x.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  });

  it('keeps lastTransitionTime while a condition holds and moves it when it flips', () => {
    const first = computePodStatus(pod(), view([c('a', running, { ready: true }), c('b', running)]), t0);
    const p2 = { ...pod(), status: first };
    const same = computePodStatus(p2, view([c('a', running, { ready: true }), c('b', running)]), t0 + 5000);
    expect(statusDiffers(first, same)).toBe(false);
    const flipped = computePodStatus(p2, view([c('a', running, { ready: true }), c('b', running, { ready: true })]), t0 + 5000);
    expect(flipped.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:05Z' });
    expect(flipped.conditions!.find((x) => x.type === 'Initialized')!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('keeps the scheduler PodScheduled condition', () => {
    const sched = { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: '2025-12-31T00:00:00Z' };
    const s = computePodStatus({ ...pod(), status: { conditions: [sched] } }, view([]), t0);
    expect(s.conditions!.find((x) => x.type === 'PodScheduled')!.lastTransitionTime).toBe('2025-12-31T00:00:00Z');
  });

  it('marks a completed pod not ready with PodCompleted', () => {
    const s = computePodStatus(pod('Never'), view([c('a', exited(0)), c('b', exited(0))]), t0);
    expect(s.phase).toBe('Succeeded');
    expect(s.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });
});
