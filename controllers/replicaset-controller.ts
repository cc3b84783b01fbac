// The ReplicaSet controller: keeps spec.replicas active pods for every
// ReplicaSet, adopting matching orphans and releasing pods that stopped
// matching, and reports status. Decisions are replicaset-sync.ts's; this file
// wires informers → queue → reconcile → API writes, and holds the
// expectations that keep a lagging watch from causing double creates.
import type { Pod, ReplicaSet } from '../kube/api/core.js';
import type { KubeObject } from '../kube/api/meta.js';
import { isApiError, Pods, ReplicaSets } from '../kube/client.js';
import { selectorFromLabelSelector } from '../kube/label-selector.js';
import type { Controller, ControllerContext } from './controller-context.js';
import { controllerRefOf, controllerRefTo, keyOf, splitKey } from './pod-status.js';
import { Expectations } from './replicaset-expectations.js';
import { claimPods, diffReplicas, nextAvailableAt, replicaSetPod, replicaSetStatus, slowStartBatches, statusEqual } from './replicaset-sync.js';
import { WorkQueue } from './work-queue.js';

export interface ReplicaSetControllerOptions {
  workers?: number;
  /** Most pods created or deleted in one sync (Kubernetes' burstReplicas). */
  burst?: number;
}

export function createReplicaSetController(opts: ReplicaSetControllerOptions = {}): Controller {
  const burst = opts.burst ?? 500;
  return {
    name: 'replicaset',
    setup(ctx: ControllerContext) {
      const pods = ctx.informers.for<Pod>(Pods);
      const sets = ctx.informers.for<ReplicaSet>(ReplicaSets);
      const queue = new WorkQueue();
      const expectations = new Expectations();

      const ownerKey = (pod: Pod): string | undefined => {
        const ref = controllerRefOf(pod);
        if (!ref || ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
        return `${pod.metadata.namespace}/${ref.name}`;
      };
      /** An orphan may be adopted by any ReplicaSet in its namespace whose selector matches. */
      const enqueueMatching = (pod: Pod): void => {
        for (const rs of sets.list()) {
          if (rs.metadata.namespace !== pod.metadata.namespace) continue;
          const sel = selectorFromLabelSelector(rs.spec?.selector);
          if (!sel.empty() && sel.matches(pod.metadata.labels)) queue.add(keyOf(rs));
        }
      };
      const enqueueFor = (pod: Pod): void => {
        const owner = ownerKey(pod);
        if (owner) queue.add(owner);
        else if (!controllerRefOf(pod)) enqueueMatching(pod);
      };

      pods.on({
        add: (p) => {
          const owner = ownerKey(p);
          if (owner) {
            if (p.metadata.deletionTimestamp) expectations.deletionObserved(owner, keyOf(p));
            else expectations.creationObserved(owner);
          }
          enqueueFor(p);
        },
        update: (old, p) => {
          const owner = ownerKey(p);
          if (owner && p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) expectations.deletionObserved(owner, keyOf(p));
          const oldOwner = ownerKey(old);
          if (oldOwner && oldOwner !== owner) queue.add(oldOwner);
          if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(p.metadata.labels ?? {})) enqueueMatching(p);
          enqueueFor(p);
        },
        delete: (p) => {
          const owner = ownerKey(p);
          if (owner) {
            expectations.deletionObserved(owner, keyOf(p));
            queue.add(owner);
          }
        },
      });
      sets.on({
        add: (rs) => queue.add(keyOf(rs)),
        update: (_old, rs) => queue.add(keyOf(rs)),
        delete: (rs) => {
          expectations.forget(keyOf(rs));
        },
      });

      const reconcile = async (key: string): Promise<void> => {
        const { namespace, name } = splitKey(key);
        const rs = sets.get(namespace, name);
        if (!rs) {
          expectations.forget(key);
          return;
        }
        const now = Date.now();
        const claim = claimPods(rs, pods.list());
        const owned = [...claim.owned];
        const ref = controllerRefTo(rs, 'apps/v1', 'ReplicaSet');
        for (const orphan of claim.adopt) {
          const adopted = await patchOwnerReferences(ctx, orphan, [...(orphan.metadata.ownerReferences ?? []), ref]);
          if (adopted) owned.push(adopted);
          // Our copy was stale: counting without it would create a replica too many, so settle adoption first.
          else if (pods.get(namespace, orphan.metadata.name ?? '')) throw new Error(`adopting pod ${orphan.metadata.name}: it changed meanwhile; retrying`);
        }
        for (const pod of claim.release) {
          await patchOwnerReferences(ctx, pod, (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid));
        }

        if (expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
          const diff = diffReplicas(rs.spec?.replicas ?? 1, owned, now);
          if (diff.create > 0) await createPods(ctx, rs, Math.min(burst, diff.create), expectations, key);
          else if (diff.delete.length > 0) await deletePods(ctx, rs, diff.delete.slice(0, burst), expectations, key);
        }

        const status = replicaSetStatus(rs, owned, now);
        if (!statusEqual(rs.status, status)) {
          try {
            await ctx.client.update(ReplicaSets, { ...rs, status: { ...rs.status, ...status } }, { subresource: 'status' });
          } catch (e) {
            // 409: our copy is stale; the newer object's own watch event brings this key back.
            if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
          }
        }
        const next = nextAvailableAt(rs, owned, now);
        if (next !== undefined) queue.addAfter(key, next - now + 50);
      };

      return {
        run: () => runUntilAborted(ctx, queue, reconcile, opts.workers ?? 4, 'replicaset'),
      };
    },
  };
}

export const replicaSetController: Controller = createReplicaSetController();

async function createPods(ctx: ControllerContext, rs: ReplicaSet, n: number, expectations: Expectations, key: string): Promise<void> {
  expectations.expect(key, n);
  const template = replicaSetPod(rs);
  let remaining = n;
  for (const size of slowStartBatches(n)) {
    const results = await Promise.allSettled(
      Array.from({ length: size }, () => ctx.client.create(Pods, structuredClone(template), { namespace: rs.metadata.namespace })),
    );
    remaining -= size;
    let failed: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        ctx.events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      } else {
        // A creation that failed will never be observed.
        expectations.creationObserved(key);
        failed ??= r.reason;
      }
    }
    if (failed !== undefined) {
      for (let i = 0; i < remaining; i++) expectations.creationObserved(key);
      const msg = failed instanceof Error ? failed.message : String(failed);
      ctx.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${msg}`);
      throw failed;
    }
  }
}

async function deletePods(ctx: ControllerContext, rs: ReplicaSet, victims: readonly Pod[], expectations: Expectations, key: string): Promise<void> {
  expectations.expect(key, 0, victims.map(keyOf));
  const results = await Promise.allSettled(
    victims.map((p) => ctx.client.delete(Pods, p.metadata.name ?? '', { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid ?? '' } })),
  );
  let failed: unknown;
  results.forEach((r, i) => {
    const pod = victims[i]!;
    if (r.status === 'fulfilled' || isApiError(r.reason, 404)) {
      if (r.status === 'fulfilled') ctx.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      else expectations.deletionObserved(key, keyOf(pod));
      return;
    }
    expectations.deletionObserved(key, keyOf(pod));
    ctx.events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    failed ??= r.reason;
  });
  if (failed !== undefined) throw failed;
}

/**
 * Writes a pod's ownerReferences, pinned to the uid and resourceVersion we
 * decided on, so a pod that changed meanwhile is left for the next sync.
 * Returns the updated pod, or undefined when it changed or went away.
 */
export async function patchOwnerReferences<T extends KubeObject>(
  ctx: ControllerContext,
  obj: T,
  refs: KubeObject['metadata']['ownerReferences'],
  res = Pods,
): Promise<T | undefined> {
  try {
    return await ctx.client.patch<T>(
      res,
      obj.metadata.name ?? '',
      'merge',
      { metadata: { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, ownerReferences: refs ?? [] } },
      { namespace: obj.metadata.namespace },
    );
  } catch (e) {
    if (isApiError(e, 404) || isApiError(e, 409)) return undefined;
    throw e;
  }
}

/** Runs the queue's workers until the context's signal aborts, logging failed keys (they are retried). */
export async function runUntilAborted(
  ctx: ControllerContext,
  queue: WorkQueue,
  reconcile: (key: string) => Promise<void>,
  workers: number,
  name: string,
): Promise<void> {
  await queue.runUntil(ctx.signal, reconcile, workers, (key, err) => ctx.log(`${name}: ${key}: ${err instanceof Error ? err.message : String(err)}`));
}
