// The EndpointSlice controller: Services + Pods + EndpointSlices informers →
// a queue of Service keys → reconcileEndpointSlices (pure) → the API writes
// for the difference. Creates go first, then updates, then deletes, so a
// Service's endpoints never vanish in between. It only ever writes slices
// labelled as managed by it.
import type { EndpointSlice, Pod, Service } from '../kube/api/core.js';
import { EndpointSlices, Pods, Services, isApiError } from '../kube/client.js';
import { objectKey } from '../kube/informer.js';
import type { Controller, ControllerContext } from './controller-context.js';
import { hasSelector, lastChangeTriggerTime, podsForService } from './endpoints-pod.js';
import { ServiceSelectorIndex, splitKey } from './endpoints-service-index.js';
import { SERVICE_NAME_LABEL, isManagedSlice, reconcileEndpointSlices } from './endpointslice-reconcile.js';
import { WorkQueue } from './work-queue.js';

export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice?: number;
  workers?: number;
  /** How long to wait for the informer to show our own writes before acting anyway. Default 5 s. */
  staleWriteTimeoutMs?: number;
  now?: () => number;
}

/**
 * Our own writes not yet seen in the slice informer. Acting on a cache that
 * lacks a slice we just created would create it again (Kubernetes'
 * endpointSliceTracker solves the same problem); so a Service with a write in
 * flight waits for the informer event, which re-queues it. The watch event
 * can arrive before the write's response, so a write is recorded only if the
 * cache does not already show it.
 */
export class SliceWriteTracker {
  private readonly pending = new Map<string, { service: string; resourceVersion: string | undefined; at: number }>();

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number,
    /** The informer's current copy of a slice. */
    private readonly cached: (namespace: string, name: string) => EndpointSlice | undefined,
  ) {}

  wrote(service: string, slice: EndpointSlice): void {
    const k = objectKey(slice);
    const seen = this.cached(slice.metadata.namespace ?? '', slice.metadata.name ?? '');
    if (!k || (seen && atLeast(seen.metadata.resourceVersion, slice.metadata.resourceVersion))) return;
    this.pending.set(k, { service, resourceVersion: slice.metadata.resourceVersion, at: this.now() });
  }

  deleted(service: string, slice: EndpointSlice): void {
    const k = objectKey(slice);
    if (!k || !this.cached(slice.metadata.namespace ?? '', slice.metadata.name ?? '')) return;
    this.pending.set(k, { service, resourceVersion: undefined, at: this.now() });
  }

  /** An informer event for `slice`: clears the entry once the cache has caught up with our write. */
  observed(slice: EndpointSlice, gone: boolean): void {
    const k = objectKey(slice);
    const p = k ? this.pending.get(k) : undefined;
    if (!p || !k) return;
    if (gone || (p.resourceVersion !== undefined && atLeast(slice.metadata.resourceVersion, p.resourceVersion))) this.pending.delete(k);
  }

  /** True while a write for `service` is not yet in the cache (and not older than the timeout). */
  awaiting(service: string): boolean {
    const cutoff = this.now() - this.timeoutMs;
    for (const [k, p] of this.pending) {
      if (p.at < cutoff) this.pending.delete(k);
      else if (p.service === service) return true;
    }
    return false;
  }
}

/**
 * Whether resourceVersion `a` is `b` or later. resourceVersions are opaque in
 * the API contract; integers (etcd revisions, apiserver-lite's) are compared
 * as such, anything else only for equality.
 */
function atLeast(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}

export function createEndpointSliceController(opts: EndpointSliceControllerOptions = {}): Controller {
  return {
    name: 'endpointslice',
    setup(ctx: ControllerContext) {
      const services = ctx.informers.for<Service>(Services);
      const pods = ctx.informers.for<Pod>(Pods);
      const slices = ctx.informers.for<EndpointSlice>(EndpointSlices);
      const now = opts.now ?? Date.now;
      const queue = new WorkQueue();
      const tracker = new SliceWriteTracker(opts.staleWriteTimeoutMs ?? 5000, now, (ns, n) => slices.get(ns, n));
      const index = new ServiceSelectorIndex(() => services.list());
      const enqueue = (o: Service) => {
        const k = objectKey(o);
        if (k) queue.add(k);
      };
      const enqueuePods = (...ps: Pod[]) => {
        for (const k of index.serviceKeysFor(...ps)) queue.add(k);
      };
      const sliceOwner = (s: EndpointSlice): string | undefined => {
        const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
        return svc && isManagedSlice(s) ? `${s.metadata.namespace}/${svc}` : undefined;
      };
      const onSlice = (s: EndpointSlice, gone: boolean) => {
        tracker.observed(s, gone);
        const k = sliceOwner(s);
        if (k) queue.add(k);
      };

      services.on({ add: enqueue, update: (_o, c) => enqueue(c), delete: enqueue });
      pods.on({
        add: (p) => enqueuePods(p),
        update: (o, c) => {
          if (o.metadata.resourceVersion !== c.metadata.resourceVersion) enqueuePods(o, c);
        },
        delete: (p) => enqueuePods(p),
      });
      slices.on({ add: (s) => onSlice(s, false), update: (_o, c) => onSlice(c, false), delete: (s) => onSlice(s, true) });

      const reconcile = async (key: string): Promise<void> => {
        const [ns, name] = splitKey(key);
        if (tracker.awaiting(key)) {
          // The informer event for our write re-queues the Service; this is the fallback if it never comes.
          queue.addAfter(key, opts.staleWriteTimeoutMs ?? 5000);
          return;
        }
        const mine = slices.list().filter((s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && isManagedSlice(s));
        const svc = services.get(ns, name);
        if (!svc || !hasSelector(svc)) {
          // A deleted Service, or one that lost its selector: its managed slices go (hand-made ones stay).
          await Promise.all(mine.map((s) => deleteSlice(ctx, tracker, key, s)));
          return;
        }
        const selected = podsForService(svc, pods.list());
        const changes = reconcileEndpointSlices(svc, selected, mine, {
          maxEndpointsPerSlice: opts.maxEndpointsPerSlice,
          triggerTime: lastChangeTriggerTime(svc, selected),
        });
        await Promise.all(
          changes.create.map(async (s) => {
            const created = await ctx.client.create(EndpointSlices, s, { namespace: ns });
            tracker.wrote(key, created);
          }),
        );
        await Promise.all(
          changes.update.map(async (s) => {
            const updated = await ctx.client.update(EndpointSlices, s);
            tracker.wrote(key, updated);
          }),
        );
        await Promise.all(changes.delete.map((s) => deleteSlice(ctx, tracker, key, s)));
      };

      return {
        async run() {
          await queue.runUntil(ctx.signal, reconcile, opts.workers ?? 4, (key, err) => {
            ctx.log(`endpointslice: sync of service="${key}" failed: ${(err as Error).message ?? String(err)}`);
            const [ns, name] = splitKey(key);
            const svc = services.get(ns, name);
            if (svc && !isApiError(err, 409)) ctx.events.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${(err as Error).message ?? String(err)}`);
          });
        },
      };
    },
  };
}

async function deleteSlice(ctx: ControllerContext, tracker: SliceWriteTracker, key: string, s: EndpointSlice): Promise<void> {
  try {
    await ctx.client.delete(EndpointSlices, s.metadata.name ?? '', {
      namespace: s.metadata.namespace ?? '',
      ...(s.metadata.uid ? { preconditions: { uid: s.metadata.uid } } : {}),
    });
    tracker.deleted(key, s);
  } catch (e) {
    if (!isApiError(e, 404)) throw e;
  }
}

export const endpointsliceController: Controller = createEndpointSliceController();
