import { describe, expect, it } from 'vitest';
import type { KubeObject, OwnerReference } from '../kube/api/meta.js';
import { decideDependent, ownerStep, withoutOwner, type DependentAction, type OwnerState } from './garbage-collector-decision.js';

const ref = (uid: string, block = true): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true, blockOwnerDeletion: block });
const obj = (name: string, refs: OwnerReference[], deleting = false): KubeObject => ({
  metadata: { name, namespace: 'default', uid: `${name}-uid`, ownerReferences: refs, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
});

describe('decideDependent', () => {
  it.each<[string, KubeObject, Record<string, OwnerState>, DependentAction]>([
    ['no owners: keep', obj('p', []), {}, { action: 'keep' }],
    ['owner present: keep', obj('p', [ref('a')]), { a: 'present' }, { action: 'keep' }],
    ['owner gone: delete in the background', obj('p', [ref('a')]), { a: 'absent' }, { action: 'delete', policy: 'Background' }],
    ['all owners gone: delete', obj('p', [ref('a'), ref('b')]), { a: 'absent', b: 'absent' }, { action: 'delete', policy: 'Background' }],
    ['one owner left: drop only the gone reference', obj('p', [ref('a'), ref('b')]), { a: 'absent', b: 'present' }, { action: 'removeRefs', uids: ['a'] }],
    ['an owner of unknown kind is never assumed gone', obj('p', [ref('a'), ref('b')]), { a: 'absent', b: 'unknown' }, { action: 'removeRefs', uids: ['a'] }],
    ['owner deleting in the foreground: delete the same way', obj('p', [ref('a')]), { a: 'deletingForeground' }, { action: 'delete', policy: 'Foreground' }],
    ['already being deleted: leave it', obj('p', [ref('a')], true), { a: 'absent' }, { action: 'keep' }],
  ])('%s', (_name, o, states, want) => {
    expect(decideDependent(o, (r) => states[r.uid] ?? 'unknown')).toEqual(want);
  });
});

describe('ownerStep', () => {
  const owner = (finalizers: string[], deleting = true): KubeObject => ({
    metadata: { name: 'rs', namespace: 'default', uid: 'a', finalizers, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  });

  it('orphan: releases every dependent first, then drops the finalizer', () => {
    const deps = [obj('p1', [ref('a')]), obj('p2', [ref('a'), ref('b')]), obj('other', [ref('b')])];
    const step = ownerStep(owner(['orphan']), deps);
    expect(step.release.map((d) => d.metadata.name)).toEqual(['p1', 'p2']);
    expect(step.removeFinalizer).toBeUndefined();
    expect(ownerStep(owner(['orphan']), [obj('other', [ref('b')])]).removeFinalizer).toBe('orphan');
  });

  it('foreground: deletes dependents, and finishes when none that block remain', () => {
    const step = ownerStep(owner(['foregroundDeletion']), [obj('p1', [ref('a')]), obj('p2', [ref('a')], true)]);
    expect(step.delete.map((d) => d.metadata.name)).toEqual(['p1']);
    expect(step.removeFinalizer).toBeUndefined();
    expect(ownerStep(owner(['foregroundDeletion']), [obj('p3', [ref('a', false)])]).removeFinalizer).toBe('foregroundDeletion');
  });

  it('does nothing for an owner that is not being deleted', () => {
    expect(ownerStep(owner(['orphan'], false), [obj('p1', [ref('a')])])).toEqual({ release: [], delete: [] });
  });

  it('withoutOwner drops only that uid', () => {
    expect(withoutOwner([ref('a'), ref('b')], 'a').map((r) => r.uid)).toEqual(['b']);
  });
});
