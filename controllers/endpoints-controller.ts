// The Endpoints controller: keeps core/v1 Endpoints of every Service with a
// selector in step with its pods (reconcileEndpoints is the pure decision).
// Writes carry the cached resourceVersion, so a stale cache ends in a 409 and
// a retry rather than a lost update. It leaves alone the `kubernetes`
// Endpoints (the API server maintains them), Services without a selector
// (their Endpoints are hand-made), and any Endpoints it did not write.
import type { Endpoints as EndpointsObject, Pod, Service } from '../kube/api/core.js';
import { Endpoints, Pods, Services, isApiError } from '../kube/client.js';
import { objectKey } from '../kube/informer.js';
import type { Controller, ControllerContext } from './controller-context.js';
import { hasSelector, lastChangeTriggerTime, podsForService } from './endpoints-pod.js';
import { ServiceSelectorIndex, splitKey } from './endpoints-service-index.js';
import { ENDPOINTS_CONTROLLER_NAME, ENDPOINTS_MANAGED_BY_LABEL, reconcileEndpoints } from './endpoints-subsets.js';
import { WorkQueue } from './work-queue.js';

export interface EndpointsControllerOptions {
  workers?: number;
}

const SKIP = new Set(['default/kubernetes']);

export function createEndpointsController(opts: EndpointsControllerOptions = {}): Controller {
  return {
    name: 'endpoints',
    setup(ctx: ControllerContext) {
      const services = ctx.informers.for<Service>(Services);
      const pods = ctx.informers.for<Pod>(Pods);
      const endpoints = ctx.informers.for<EndpointsObject>(Endpoints);
      const queue = new WorkQueue();
      const index = new ServiceSelectorIndex(() => services.list());
      const enqueue = (o: { metadata: { name?: string; namespace?: string } }) => {
        const k = objectKey(o);
        if (k && !SKIP.has(k)) queue.add(k);
      };
      const enqueuePods = (...ps: Pod[]) => {
        for (const k of index.serviceKeysFor(...ps)) enqueue({ metadata: { namespace: splitKey(k)[0], name: splitKey(k)[1] } });
      };
      services.on({ add: enqueue, update: (_o, c) => enqueue(c), delete: enqueue });
      pods.on({
        add: (p) => enqueuePods(p),
        update: (o, c) => {
          if (o.metadata.resourceVersion !== c.metadata.resourceVersion) enqueuePods(o, c);
        },
        delete: (p) => enqueuePods(p),
      });
      // Someone else changed or removed an Endpoints object: put it back (only ours; see reconcile).
      endpoints.on({ add: enqueue, update: (_o, c) => enqueue(c), delete: enqueue });

      const reconcile = async (key: string): Promise<void> => {
        const [ns, name] = splitKey(key);
        const svc = services.get(ns, name);
        const cur = endpoints.get(ns, name);
        if (!svc) {
          if (cur && cur.metadata.labels?.[ENDPOINTS_MANAGED_BY_LABEL] === ENDPOINTS_CONTROLLER_NAME) {
            await ctx.client
              .delete(Endpoints, name, { namespace: ns, ...(cur.metadata.uid ? { preconditions: { uid: cur.metadata.uid } } : {}) })
              .catch((e: unknown) => {
                if (!isApiError(e, 404)) throw e;
              });
          }
          return;
        }
        if (!hasSelector(svc)) return;
        const selected = podsForService(svc, pods.list());
        const r = reconcileEndpoints(svc, selected, cur, { triggerTime: lastChangeTriggerTime(svc, selected) });
        if (r.action === 'create') await ctx.client.create(Endpoints, r.object, { namespace: ns });
        else if (r.action === 'update') await ctx.client.update(Endpoints, r.object);
      };

      return {
        async run() {
          await queue.runUntil(ctx.signal, reconcile, opts.workers ?? 4, (key, err) => {
            if (isApiError(err, 409)) return; // the cache was behind; the retry reads the newer object
            ctx.log(`endpoints: sync of service="${key}" failed: ${(err as Error).message ?? String(err)}`);
          });
        },
      };
    },
  };
}

export const endpointsController: Controller = createEndpointsController();
