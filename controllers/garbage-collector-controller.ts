// The garbage collector: follows metadata.ownerReferences across the kinds it
// watches. When an owner is gone (by uid), its dependents are deleted
// (background propagation) or, when another owner remains, just lose the
// dangling reference. Owners deleted with propagationPolicy Orphan or
// Foreground carry a finalizer (added by the API server) that the collector
// completes: orphan → remove the owner's reference from every dependent;
// foregroundDeletion → delete the dependents first. Before deleting anything
// an owner's absence is confirmed with a live GET, so a lagging cache never
// costs a user an object. Decisions are in garbage-collector-decision.ts.
import type { KubeObject, OwnerReference } from '../kube/api/meta.js';
import {
  Deployments,
  EndpointSlices,
  isApiError,
  Leases,
  Nodes,
  Pods,
  ReplicaSets,
  Services,
  StatefulSets,
  type ResourceDescriptor,
} from '../kube/client.js';
import type { Controller, ControllerContext } from './controller-context.js';
import {
  decideDependent,
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  ownerStep,
  withoutOwner,
  type OwnerState,
} from './garbage-collector-decision.js';
import { patchOwnerReferences, runUntilAborted } from './replicaset-controller.js';
import { WorkQueue } from './work-queue.js';

/** The kinds collected by default: the owners and dependents netkube's controllers create. */
export const DEFAULT_GC_RESOURCES: readonly ResourceDescriptor[] = [Deployments, ReplicaSets, StatefulSets, Pods, Services, EndpointSlices, Nodes, Leases];

export function createGarbageCollector(resources: readonly ResourceDescriptor[] = DEFAULT_GC_RESOURCES): Controller {
  return {
    name: 'garbage-collector',
    setup(ctx: ControllerContext) {
      const informers = resources.map((r) => ctx.informers.for<KubeObject>(r));
      const queue = new WorkQueue();
      /** uid → where the object lives ("<resource index>|<ns>/<name>"). */
      const byUid = new Map<string, string>();
      /** owner uid → dependents' locations. */
      const dependents = new Map<string, Set<string>>();
      const locate = (i: number, o: KubeObject): string => `${i}|${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
      const parse = (loc: string): { i: number; namespace: string; name: string } => {
        const bar = loc.indexOf('|');
        const slash = loc.indexOf('/', bar);
        return { i: Number(loc.slice(0, bar)), namespace: loc.slice(bar + 1, slash), name: loc.slice(slash + 1) };
      };
      const objectAt = (loc: string): KubeObject | undefined => {
        const { i, namespace, name } = parse(loc);
        return informers[i]?.get(namespace, name);
      };
      const hasOurFinalizer = (o: KubeObject): boolean =>
        !!o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).some((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER);

      const index = (loc: string, o: KubeObject | undefined, add: boolean): void => {
        if (!o) return;
        if (o.metadata.uid) {
          if (add) byUid.set(o.metadata.uid, loc);
          else if (byUid.get(o.metadata.uid) === loc) byUid.delete(o.metadata.uid);
        }
        for (const r of o.metadata.ownerReferences ?? []) {
          let set = dependents.get(r.uid);
          if (add) {
            if (!set) dependents.set(r.uid, (set = new Set()));
            set.add(loc);
          } else if (set) {
            set.delete(loc);
            if (set.size === 0) dependents.delete(r.uid);
          }
        }
      };
      /** An owner finishing an orphan/foreground deletion waits on its dependents: look at it again when one changes. */
      const pokeOwners = (o: KubeObject): void => {
        for (const r of o.metadata.ownerReferences ?? []) {
          const loc = byUid.get(r.uid);
          const owner = loc ? objectAt(loc) : undefined;
          if (loc && owner && hasOurFinalizer(owner)) queue.add(`o|${loc}`);
        }
      };

      informers.forEach((inf, i) => {
        inf.on({
          add: (o) => {
            const loc = locate(i, o);
            index(loc, o, true);
            if (o.metadata.ownerReferences?.length) queue.add(`d|${loc}`);
            if (hasOurFinalizer(o)) queue.add(`o|${loc}`);
          },
          update: (old, o) => {
            const loc = locate(i, o);
            const refsChanged = JSON.stringify(old.metadata.ownerReferences ?? []) !== JSON.stringify(o.metadata.ownerReferences ?? []);
            if (refsChanged || old.metadata.uid !== o.metadata.uid) {
              index(loc, old, false);
              index(loc, o, true);
              if (o.metadata.ownerReferences?.length) queue.add(`d|${loc}`);
              pokeOwners(old);
            }
            if (hasOurFinalizer(o)) queue.add(`o|${loc}`);
            if (!old.metadata.deletionTimestamp && o.metadata.deletionTimestamp) pokeOwners(o);
          },
          delete: (o) => {
            const loc = locate(i, o);
            index(loc, o, false);
            for (const dep of dependents.get(o.metadata.uid ?? '') ?? []) queue.add(`d|${dep}`);
            pokeOwners(o);
          },
        });
      });

      const descriptorFor = (ref: OwnerReference): number => {
        const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
        return resources.findIndex((r) => r.kind === ref.kind && r.group === group);
      };
      const stateOf = (o: KubeObject): OwnerState =>
        o.metadata.deletionTimestamp && o.metadata.finalizers?.includes(FOREGROUND_FINALIZER) ? 'deletingForeground' : 'present';

      /** The owner's state, from the cache when it holds the uid, else confirmed with the API. */
      const resolveOwner = async (ref: OwnerReference, dependentNs: string | undefined): Promise<OwnerState> => {
        const loc = byUid.get(ref.uid);
        const cached = loc ? objectAt(loc) : undefined;
        if (cached) return stateOf(cached);
        const i = descriptorFor(ref);
        const res = resources[i];
        if (!res) return 'unknown';
        try {
          const live = await ctx.client.get(res, ref.name, res.namespaced ? { namespace: dependentNs ?? '' } : {});
          return live.metadata.uid === ref.uid ? stateOf(live) : 'absent';
        } catch (e) {
          if (isApiError(e, 404)) return 'absent';
          throw e;
        }
      };

      const processDependent = async (loc: string): Promise<void> => {
        const obj = objectAt(loc);
        if (!obj?.metadata.ownerReferences?.length) return;
        const res = resources[parse(loc).i]!;
        const states = new Map<string, OwnerState>();
        for (const r of obj.metadata.ownerReferences) states.set(r.uid, await resolveOwner(r, obj.metadata.namespace));
        const action = decideDependent(obj, (r) => states.get(r.uid) ?? 'unknown');
        if (action.action === 'keep') return;
        if (action.action === 'removeRefs') {
          const refs = obj.metadata.ownerReferences.filter((r) => !action.uids.includes(r.uid));
          if (!(await patchOwnerReferences(ctx, obj, refs, res))) throw new Error(`${loc}: changed while its owner references were being updated; retrying`);
          return;
        }
        try {
          await ctx.client.delete(res, obj.metadata.name ?? '', {
            ...(res.namespaced ? { namespace: obj.metadata.namespace ?? '' } : {}),
            propagationPolicy: action.policy,
            preconditions: { uid: obj.metadata.uid ?? '' },
          });
        } catch (e) {
          if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
        }
      };

      const processOwner = async (loc: string): Promise<void> => {
        const owner = objectAt(loc);
        if (!owner || !hasOurFinalizer(owner)) return;
        const deps = [...(dependents.get(owner.metadata.uid ?? '') ?? [])].map((d) => ({ d, o: objectAt(d) })).filter((x) => x.o !== undefined);
        const step = ownerStep(owner, deps.map((x) => x.o!));
        const resOf = (o: KubeObject) => resources[parse(deps.find((x) => x.o === o)!.d).i]!;
        for (const dep of step.release) {
          if (!(await patchOwnerReferences(ctx, dep, withoutOwner(dep.metadata.ownerReferences, owner.metadata.uid ?? ''), resOf(dep)))) {
            throw new Error(`${loc}: a dependent changed while being orphaned; retrying`);
          }
        }
        for (const dep of step.delete) {
          const res = resOf(dep);
          await ctx.client
            .delete(res, dep.metadata.name ?? '', { ...(res.namespaced ? { namespace: dep.metadata.namespace ?? '' } : {}), propagationPolicy: 'Foreground', preconditions: { uid: dep.metadata.uid ?? '' } })
            .catch((e: unknown) => {
              if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
            });
        }
        if (step.removeFinalizer) {
          const res = resources[parse(loc).i]!;
          try {
            await ctx.client.patch(
              res,
              owner.metadata.name ?? '',
              'merge',
              { metadata: { resourceVersion: owner.metadata.resourceVersion, finalizers: (owner.metadata.finalizers ?? []).filter((f) => f !== step.removeFinalizer) } },
              res.namespaced ? { namespace: owner.metadata.namespace ?? '' } : {},
            );
          } catch (e) {
            // 409: our copy of the owner is stale; its newer version's watch event brings this key back.
            if (isApiError(e, 404) || isApiError(e, 409)) return;
            throw e;
          }
        }
      };

      const reconcile = (key: string): Promise<void> => (key.startsWith('o|') ? processOwner(key.slice(2)) : processDependent(key.slice(2)));
      return { run: () => runUntilAborted(ctx, queue, reconcile, 4, 'garbage-collector') };
    },
  };
}

export const garbageCollectorController: Controller = createGarbageCollector();
