// The garbage collector's decisions, pure. A dependent whose owners are all
// gone (checked by uid: a new object of the same name is not the owner) is
// deleted; one that still has a live owner only loses the references to the
// gone ones. An owner being deleted with the `orphan` finalizer first has its
// references removed from every dependent, then loses the finalizer (which
// completes its deletion); with `foregroundDeletion` its dependents are
// deleted first, and the finalizer removed once none blocking remain.
import type { KubeObject, OwnerReference } from '../kube/api/meta.js';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** What is known about one owner reference. `unknown`: a kind the collector does not watch; never grounds for deletion. */
export type OwnerState = 'present' | 'absent' | 'deletingForeground' | 'unknown';

export type DependentAction =
  | { action: 'keep' }
  | { action: 'delete'; policy: 'Background' | 'Foreground' }
  | { action: 'removeRefs'; uids: string[] };

export function decideDependent(obj: KubeObject, ownerState: (ref: OwnerReference) => OwnerState): DependentAction {
  const refs = obj.metadata.ownerReferences ?? [];
  if (refs.length === 0 || obj.metadata.deletionTimestamp) return { action: 'keep' };
  const states = refs.map((r) => ({ ref: r, state: ownerState(r) }));
  const solid = states.filter((s) => s.state === 'present' || s.state === 'unknown');
  const dangling = states.filter((s) => s.state === 'absent');
  const waiting = states.filter((s) => s.state === 'deletingForeground');
  if (dangling.length === 0 && waiting.length === 0) return { action: 'keep' };
  if (solid.length > 0) return { action: 'removeRefs', uids: [...dangling, ...waiting].map((s) => s.ref.uid) };
  // Every owner is gone or going: a foreground owner waits for this one, so it goes the same way.
  return { action: 'delete', policy: waiting.length > 0 ? 'Foreground' : 'Background' };
}

export function refersTo(obj: KubeObject, ownerUid: string | undefined): boolean {
  return !!ownerUid && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid);
}

export function withoutOwner(refs: readonly OwnerReference[] | undefined, uid: string): OwnerReference[] {
  return (refs ?? []).filter((r) => r.uid !== uid);
}

export interface OwnerStep {
  /** Dependents to remove the owner's reference from (orphaning). */
  release: KubeObject[];
  /** Dependents to delete (foreground). */
  delete: KubeObject[];
  /** The finalizer to remove from the owner now, if its work is done. */
  removeFinalizer?: string;
}

/** One pass over an owner being deleted, given every object that still refers to it. */
export function ownerStep(owner: KubeObject, dependents: readonly KubeObject[]): OwnerStep {
  const step: OwnerStep = { release: [], delete: [] };
  const finalizers = owner.metadata.finalizers ?? [];
  if (!owner.metadata.deletionTimestamp) return step;
  const uid = owner.metadata.uid;
  const mine = dependents.filter((d) => refersTo(d, uid));
  if (finalizers.includes(ORPHAN_FINALIZER)) {
    step.release = mine;
    if (mine.length === 0) step.removeFinalizer = ORPHAN_FINALIZER;
    return step;
  }
  if (finalizers.includes(FOREGROUND_FINALIZER)) {
    step.delete = mine.filter((d) => !d.metadata.deletionTimestamp);
    const blocking = mine.filter((d) => d.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length === 0) step.removeFinalizer = FOREGROUND_FINALIZER;
  }
  return step;
}
