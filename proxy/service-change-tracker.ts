// Records Service changes between syncs (kube-proxy's servicechangetracker.go).
// Informer callbacks only call update(); the sync loop calls checkout(). For
// each Service we keep the ports as of the last checkout (`prev`) and as of
// now (`cur`); when the two become equal again (an update undone, or a resync
// with nothing new) the entry is dropped, so no sync is spent on it.
import type { Service } from '../kube/api/core.js';
import { servicePortListsEqual, toServicePorts, type ServicePortInfo } from './service-port.js';

export interface ServiceChange {
  readonly prev: readonly ServicePortInfo[];
  readonly cur: readonly ServicePortInfo[];
}

/** `namespace/name` of a Service. */
export type ServiceKey = string;

function keyOf(svc: Service): ServiceKey | undefined {
  const name = svc.metadata.name;
  return name ? `${svc.metadata.namespace ?? 'default'}/${name}` : undefined;
}

export class ServiceChangeTracker {
  private items = new Map<ServiceKey, ServiceChange>();

  /**
   * Records add (no prev), update, or delete (no cur). Returns whether a change
   * for this Service is now pending.
   */
  update(prev?: Service, cur?: Service): boolean {
    const obj = cur ?? prev;
    if (!obj) return false;
    const key = keyOf(obj);
    if (!key) return false;
    const curPorts = cur ? toServicePorts(cur) : [];
    const existing = this.items.get(key);
    const prevPorts = existing ? existing.prev : prev ? toServicePorts(prev) : [];
    if (servicePortListsEqual(prevPorts, curPorts)) {
      this.items.delete(key);
      return false;
    }
    this.items.set(key, { prev: prevPorts, cur: curPorts });
    return true;
  }

  /** Number of Services with a pending change. */
  get pending(): number {
    return this.items.size;
  }

  /** Returns the pending changes and forgets them. */
  checkout(): Map<ServiceKey, ServiceChange> {
    const out = this.items;
    this.items = new Map();
    return out;
  }
}
