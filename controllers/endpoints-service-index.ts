// Which Services a pod event concerns, for the two endpoints controllers:
// the Services in the pod's namespace whose selector matches the pod's old or
// new labels. Selectors are parsed once per Service version, not per event.
import type { Pod, Service } from '../kube/api/core.js';
import { selectorFromMap, type Selector } from '../kube/label-selector.js';
import { objectKey } from '../kube/informer.js';
import { hasSelector } from './endpoints-pod.js';

export class ServiceSelectorIndex {
  private readonly cache = new WeakMap<Service, Selector>();

  constructor(private readonly services: () => readonly Service[]) {}

  private selectorOf(svc: Service): Selector {
    let sel = this.cache.get(svc);
    if (!sel) this.cache.set(svc, (sel = selectorFromMap(svc.spec?.selector)));
    return sel;
  }

  /** Keys ("ns/name") of Services with a selector matching any of the given pods (pass old and new). */
  serviceKeysFor(...pods: (Pod | undefined)[]): Set<string> {
    const keys = new Set<string>();
    const present = pods.filter((p): p is Pod => p !== undefined);
    if (present.length === 0) return keys;
    for (const svc of this.services()) {
      if (!hasSelector(svc)) continue;
      const sel = this.selectorOf(svc);
      for (const p of present) {
        if (p.metadata.namespace === svc.metadata.namespace && sel.matches(p.metadata.labels)) {
          const k = objectKey(svc);
          if (k) keys.add(k);
          break;
        }
      }
    }
    return keys;
  }
}

/** "ns/name" → [ns, name]. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}
