// The StatefulSet controller: pods <set>-0..N-1 with stable names and DNS
// identities, created in order and removed from the top (decisions in
// statefulset-sync.ts). Names are deterministic, so a lagging cache cannot
// cause a duplicate: the API answers AlreadyExists and we wait for the event.
import type { Pod } from '../kube/api/core.js';
import { isApiError, Pods, StatefulSets } from '../kube/client.js';
import type { Controller, ControllerContext } from './controller-context.js';
import { controllerRefOf, keyOf, splitKey } from './pod-status.js';
import { runUntilAborted } from './replicaset-controller.js';
import { planStatefulSet, statefulSetStatus, type StatefulSetFull, type StatefulSetStatus } from './statefulset-sync.js';
import { WorkQueue } from './work-queue.js';

export const statefulSetController: Controller = {
  name: 'statefulset',
  setup(ctx: ControllerContext) {
    const sets = ctx.informers.for<StatefulSetFull>(StatefulSets);
    const pods = ctx.informers.for<Pod>(Pods);
    const queue = new WorkQueue();
    const enqueueOwner = (p: Pod): void => {
      const ref = controllerRefOf(p);
      if (ref?.kind === 'StatefulSet') queue.add(`${p.metadata.namespace}/${ref.name}`);
    };
    pods.on({ add: enqueueOwner, update: (_o, p) => enqueueOwner(p), delete: enqueueOwner });
    sets.on({ add: (s) => queue.add(keyOf(s)), update: (_o, s) => queue.add(keyOf(s)), delete: () => undefined });

    const reconcile = async (key: string): Promise<void> => {
      const { namespace, name } = splitKey(key);
      const sts = sets.get(namespace, name);
      if (!sts || sts.metadata.deletionTimestamp) return;
      const inNamespace = pods.list().filter((p) => p.metadata.namespace === namespace);
      const plan = planStatefulSet(sts, inNamespace);
      await Promise.all([
        ...plan.create.map(async (p) => {
          try {
            await ctx.client.create(Pods, p, { namespace });
            ctx.events.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${p.metadata.name} in StatefulSet ${name} successful`);
          } catch (e) {
            if (isApiError(e, 409)) return; // exists already: the cache will show it
            ctx.events.event(sts, 'Warning', 'FailedCreate', `create Pod ${p.metadata.name} in StatefulSet ${name} failed error: ${(e as Error).message}`);
            throw e;
          }
        }),
        ...plan.delete.map(async (p) => {
          try {
            await ctx.client.delete(Pods, p.metadata.name ?? '', { namespace, preconditions: { uid: p.metadata.uid ?? '' } });
            ctx.events.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`);
          } catch (e) {
            if (isApiError(e, 404) || isApiError(e, 409)) return;
            throw e;
          }
        }),
      ]);
      const status = statefulSetStatus(sts, inNamespace);
      if (!sameStatus(sts.status, status)) {
        try {
          await ctx.client.update(StatefulSets, { ...sts, status: { ...sts.status, ...status } }, { subresource: 'status' });
        } catch (e) {
          // 409: our copy is stale; the newer object's own watch event brings this key back.
          if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
        }
      }
    };
    return { run: () => runUntilAborted(ctx, queue, reconcile, 2, 'statefulset') };
  },
};

function sameStatus(a: StatefulSetStatus | undefined, b: StatefulSetStatus): boolean {
  if (!a) return false;
  return (Object.keys(b) as (keyof StatefulSetStatus)[]).every((k) => a[k] === b[k]);
}
