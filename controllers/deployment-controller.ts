// The Deployment controller: owns ReplicaSets by pod-template hash, creates
// the new one when the template changes, steps a RollingUpdate or Recreate
// rollout forward by scaling ReplicaSets (the ReplicaSet controller makes and
// removes the pods), keeps revisionHistoryLimit old ReplicaSets, and reports
// the status `kubectl rollout status` reads. Decisions are in
// deployment-rollout.ts.
import type { Deployment, Pod, ReplicaSet } from '../kube/api/core.js';
import { Deployments, isApiError, Pods, ReplicaSets } from '../kube/client.js';
import { selectorFromLabelSelector } from '../kube/label-selector.js';
import type { Controller, ControllerContext } from './controller-context.js';
import {
  deploymentStatus,
  deploymentStatusEqual,
  findNewReplicaSet,
  historyToDelete,
  isRolloutComplete,
  newReplicaSetFor,
  recreateStep,
  REVISION_ANNOTATION,
  revisionOf,
  rollingUpdateStep,
  templatesEqualIgnoringHash,
  type DeploymentStatus,
  type ScaleAction,
} from './deployment-rollout.js';
import { controllerRefOf, controllerRefTo, isTerminal, keyOf, splitKey } from './pod-status.js';
import { patchOwnerReferences, runUntilAborted } from './replicaset-controller.js';
import { WorkQueue } from './work-queue.js';

export const deploymentController: Controller = {
  name: 'deployment',
  setup(ctx: ControllerContext) {
    const deployments = ctx.informers.for<Deployment>(Deployments);
    const sets = ctx.informers.for<ReplicaSet>(ReplicaSets);
    const pods = ctx.informers.for<Pod>(Pods);
    const queue = new WorkQueue();

    const ownerOf = (rs: ReplicaSet): string | undefined => {
      const ref = controllerRefOf(rs);
      return ref?.kind === 'Deployment' ? `${rs.metadata.namespace}/${ref.name}` : undefined;
    };
    const enqueueFor = (rs: ReplicaSet): void => {
      const owner = ownerOf(rs);
      if (owner) return queue.add(owner);
      if (controllerRefOf(rs)) return;
      for (const d of deployments.list()) {
        if (d.metadata.namespace !== rs.metadata.namespace) continue;
        const sel = selectorFromLabelSelector(d.spec?.selector);
        if (!sel.empty() && sel.matches(rs.metadata.labels)) queue.add(keyOf(d));
      }
    };
    deployments.on({ add: (d) => queue.add(keyOf(d)), update: (_o, d) => queue.add(keyOf(d)), delete: () => undefined });
    sets.on({
      add: enqueueFor,
      update: (old, rs) => {
        const before = ownerOf(old);
        if (before && before !== ownerOf(rs)) queue.add(before);
        enqueueFor(rs);
      },
      delete: enqueueFor,
    });
    // Recreate waits for the old pods to be gone: their deletion is worth a look.
    pods.on({
      add: () => undefined,
      update: () => undefined,
      delete: (p) => {
        const ref = controllerRefOf(p);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = sets.get(p.metadata.namespace ?? '', ref.name);
        if (rs) enqueueFor(rs);
      },
    });

    const reconcile = async (key: string): Promise<void> => {
      const { namespace, name } = splitKey(key);
      const d = deployments.get(namespace, name);
      if (!d || d.metadata.deletionTimestamp || !d.spec) return;

      const inNamespace = sets.list().filter((rs) => rs.metadata.namespace === namespace);
      const owned: ReplicaSet[] = inNamespace.filter((rs) => controllerRefOf(rs)?.uid === d.metadata.uid);
      const selector = selectorFromLabelSelector(d.spec.selector);
      for (const orphan of inNamespace) {
        if (controllerRefOf(orphan) || orphan.metadata.deletionTimestamp || selector.empty() || !selector.matches(orphan.metadata.labels)) continue;
        const refs = [...(orphan.metadata.ownerReferences ?? []), controllerRefTo(d, 'apps/v1', 'Deployment')];
        const adopted = await patchOwnerReferences(ctx, orphan, refs, ReplicaSets);
        if (adopted) owned.push(adopted);
        // Our copy was stale: without it we might make a second ReplicaSet for the same template.
        else if (sets.get(namespace, orphan.metadata.name ?? '')) throw new Error(`adopting replica set ${orphan.metadata.name}: it changed meanwhile; retrying`);
      }

      const newRS = findNewReplicaSet(d, owned);
      const oldRSs = owned.filter((rs) => rs !== newRS);
      const maxOldRevision = Math.max(0, ...oldRSs.map(revisionOf));

      if (!newRS) {
        if (!d.spec.paused) await createNewReplicaSet(ctx, d, oldRSs, maxOldRevision + 1, runningPodsOf(pods.list(), oldRSs));
        return; // its informer event brings us back
      }
      // A template rolled back to an older ReplicaSet's makes that one the newest revision again.
      if (revisionOf(newRS) <= maxOldRevision) {
        await ctx.client.patch(ReplicaSets, newRS.metadata.name ?? '', 'merge', { metadata: { annotations: { [REVISION_ANNOTATION]: String(maxOldRevision + 1) } } }, { namespace });
        return;
      }
      const revision = String(revisionOf(newRS));
      if (d.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
        await ctx.client.patch(Deployments, name, 'merge', { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } }, { namespace });
      }

      if (!d.spec.paused) {
        const actions =
          d.spec.strategy?.type === 'Recreate'
            ? recreateStep(d, newRS, oldRSs, runningPodsOf(pods.list(), oldRSs))
            : rollingUpdateStep(d, newRS, oldRSs);
        for (const a of actions) await scale(ctx, d, namespace, a);
        if (actions.length === 0 && isRolloutComplete(d, newRS, oldRSs)) {
          for (const rs of historyToDelete(d, oldRSs)) {
            await ctx.client.delete(ReplicaSets, rs.metadata.name ?? '', { namespace, preconditions: { uid: rs.metadata.uid ?? '' } }).catch((e: unknown) => {
              if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
            });
          }
        }
      }

      const status = deploymentStatus(d, newRS, oldRSs, rfc3339(new Date()));
      if (!deploymentStatusEqual(d.status as DeploymentStatus | undefined, status)) {
        try {
          await ctx.client.update(Deployments, { ...d, status }, { subresource: 'status' });
        } catch (e) {
          // 409: our copy is stale; the newer object's own watch event brings this key back.
          if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
        }
      }
    };

    return { run: () => runUntilAborted(ctx, queue, reconcile, 4, 'deployment') };
  },
};

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Pods of the given ReplicaSets that still run (terminating ones included: they have not stopped yet). */
function runningPodsOf(pods: readonly Pod[], sets: readonly ReplicaSet[]): number {
  const uids = new Set(sets.map((rs) => rs.metadata.uid));
  return pods.filter((p) => uids.has(controllerRefOf(p)?.uid) && !isTerminal(p)).length;
}

async function createNewReplicaSet(ctx: ControllerContext, d: Deployment, oldRSs: readonly ReplicaSet[], revision: number, oldRunning: number): Promise<void> {
  const namespace = d.metadata.namespace ?? 'default';
  const collisionCount = (d.status as DeploymentStatus | undefined)?.collisionCount;
  const draft = newReplicaSetFor(d, 0, revision, collisionCount);
  let replicas: number;
  if (d.spec?.strategy?.type === 'Recreate') replicas = oldRSs.some((rs) => (rs.spec?.replicas ?? 0) > 0) || oldRunning > 0 ? 0 : d.spec.replicas ?? 1;
  else replicas = rollingUpdateStep(d, draft, oldRSs).find((a) => a.name === draft.metadata.name)?.to ?? 0;
  draft.spec!.replicas = replicas;
  try {
    await ctx.client.create(ReplicaSets, draft, { namespace });
  } catch (e) {
    if (!isApiError(e, 409)) throw e;
    // The name is taken. Ours, with our template, is just not in the cache yet; anything else is a hash collision.
    const existing = await ctx.client.get<ReplicaSet>(ReplicaSets, draft.metadata.name ?? '', { namespace });
    if (controllerRefOf(existing)?.uid === d.metadata.uid && templatesEqualIgnoringHash(existing.spec?.template, d.spec?.template)) return;
    const status: DeploymentStatus = { ...(d.status ?? {}), collisionCount: (collisionCount ?? 0) + 1 };
    await ctx.client.update(Deployments, { ...d, status }, { subresource: 'status' });
    throw new Error(`replica set name ${draft.metadata.name} collides with an existing one; retrying with collisionCount ${status.collisionCount}`);
  }
  ctx.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${draft.metadata.name} to ${replicas}`);
  if (d.metadata.annotations?.[REVISION_ANNOTATION] !== String(revision)) {
    await ctx.client.patch(Deployments, d.metadata.name ?? '', 'merge', { metadata: { annotations: { [REVISION_ANNOTATION]: String(revision) } } }, { namespace });
  }
}

async function scale(ctx: ControllerContext, d: Deployment, namespace: string, a: ScaleAction): Promise<void> {
  await ctx.client.patch(ReplicaSets, a.name, 'merge', { spec: { replicas: a.to } }, { namespace });
  const verb = a.to > a.from ? 'up' : 'down';
  ctx.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${a.name} to ${a.to} from ${a.from}`);
}
